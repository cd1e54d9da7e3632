"""The ledger list's orders and searches: what users see (every database) and, on PostgreSQL, that each
query is one the enterprise table's indexes serve (EXPLAIN shows no sequential scan, and no sort of the
whole table for the default order)."""

import pytest
from django.db import connection, transaction
from django.test import RequestFactory

from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.pages import paginate_table
from anyang_hte.core.reference import JURISDICTIONS
from enterprises.models import Enterprise, Stage, TechField
from enterprises.tables import EnterpriseTable
from enterprises.views import _filtered
from tests.factories import EnterpriseFactory, jurisdiction

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="EXPLAIN plans and trigram indexes are PostgreSQL's; SQLite (the embedded default) scans",
)

SORTABLE = ["name", "credit_code", "jurisdiction", "stage", "tech_field", "helper_name"]
SORTABLE += ["planned_year", "hte_ready", "tsme_score"]


@pytest.fixture
def ledger(db):
    """Enterprises in two counties, with repeated values in every sortable column (so the id decides)."""
    made = []
    for i, (code, name) in enumerate(
        [
            ("410502", "安阳市鑫源科技有限公司"),
            ("410502", "安阳华泰电子有限公司"),
            ("410581", "林州市红旗渠机械有限公司"),
            ("410581", "林州ABC新材料有限公司"),
            ("410502", "安阳鑫源科技有限公司"),
        ]
    ):
        made.append(
            EnterpriseFactory(
                name=name,
                jurisdiction=jurisdiction(code),
                stage=[Stage.HTE, Stage.TECH_SME][i % 2],
                tech_field=[TechField.NEW_MATERIALS, TechField.ELECTRONIC_INFO][i % 2],
                helper_name=["王敏", "李强", ""][i % 3],
                planned_year=[2027, None][i % 2],
                hte_ready=[True, None, False][i % 3],
                tsme_score=[80, None][i % 2],
            )
        )
    # Enough rows in other counties that a plan is a plan, not a guess over five rows.
    EnterpriseFactory.create_batch(40, jurisdiction=jurisdiction("410526"))
    return made


def list_queryset(user, params: dict, *, page_rows: bool = True):
    """The list's queryset, built the way the view builds it: scoped, filtered, table-ordered, paged."""
    request = RequestFactory().get("/ledger/", params)
    request.user = user
    table = EnterpriseTable(_filtered(request).qs)
    paginate_table(request, table, per_page=50)
    queryset = table.data.data
    return queryset[:50] if page_rows else queryset


def shown(user, params: dict) -> list[str]:
    return [e.name for e in list_queryset(user, params)]


# ---- what users see, on every database -------------------------------------------------------------


def test_seeded_jurisdiction_ids_follow_their_sort_order(db):
    """The county column sorts by jurisdiction_id; users expect the official order (sort_order)."""
    codes = list(Jurisdiction.objects.filter(code__in=[j[0] for j in JURISDICTIONS]).order_by("id"))
    assert [j.code for j in codes] == [j.code for j in sorted(codes, key=lambda j: (j.sort_order, j.code))]


def test_default_order_is_county_in_sort_order_then_name_then_id(ledger, reviewer):
    rows = list(list_queryset(reviewer, {}))
    expected = sorted(
        Enterprise.objects.select_related("jurisdiction"),
        key=lambda e: (e.jurisdiction.sort_order, e.name, e.pk),
    )
    assert [e.pk for e in rows] == [e.pk for e in expected]


@pytest.mark.parametrize("column", SORTABLE)
@pytest.mark.parametrize("descending", [False, True])
def test_each_sort_is_stable_and_by_its_column(ledger, reviewer, column, descending):
    rows = list(list_queryset(reviewer, {"sort": f"-{column}" if descending else column}))
    assert len(rows) == Enterprise.objects.count()
    if column == "jurisdiction":
        keys = [(e.jurisdiction.sort_order, e.name, e.pk) for e in rows]
    else:
        # NULLs: the database's own rule (last ascending on PostgreSQL, first on SQLite), as before.
        present = [e for e in rows if getattr(e, column) is not None]
        keys = [(getattr(e, column), e.pk) for e in present]
    assert keys == sorted(keys, reverse=descending)
    # Asking twice gives the same order: the id settles every tie.
    assert [e.pk for e in list_queryset(reviewer, {"sort": column})] == [
        e.pk for e in list_queryset(reviewer, {"sort": column})
    ]


def test_a_county_sees_only_its_own_in_the_default_order(ledger, county_official):
    assert shown(county_official, {}) == [
        "安阳华泰电子有限公司",
        "安阳市鑫源科技有限公司",
        "安阳鑫源科技有限公司",
    ]


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("鑫源", {"安阳市鑫源科技有限公司", "安阳鑫源科技有限公司"}),
        ("abc", {"林州ABC新材料有限公司"}),  # case-insensitive in the name, as before
        ("ABC", {"林州ABC新材料有限公司"}),
        ("xykj", {"安阳市鑫源科技有限公司", "安阳鑫源科技有限公司"}),  # pinyin initials, anywhere
        ("AYSXY", {"安阳市鑫源科技有限公司"}),  # initials in capitals
        ("hqq", {"林州市红旗渠机械有限公司"}),
        ("100%", set()),  # LIKE's wildcards are literal
        ("_", set()),
    ],
)
def test_name_and_pinyin_search(ledger, reviewer, q, names):
    assert set(shown(reviewer, {"q": q})) == names


def test_credit_code_search_by_prefix_in_either_case(ledger, reviewer):
    target = ledger[2]
    assert shown(reviewer, {"q": target.credit_code.lower()}) == [target.name]
    assert target.name in shown(reviewer, {"q": target.credit_code[:8]})
    assert shown(reviewer, {"q": target.credit_code[3:]}) == []  # a prefix, not anywhere


def test_search_keeps_the_scope(ledger, county_official):
    assert shown(county_official, {"q": "林州"}) == []
    assert shown(county_official, {"q": "鑫源"}) == ["安阳市鑫源科技有限公司", "安阳鑫源科技有限公司"]


# ---- PostgreSQL: the plans ---------------------------------------------------------------------------


def plan(queryset, *, order: bool = False) -> str:
    """The plan of ``queryset``. The test table is tiny, so the planner may read it whole (or sort it)
    however good the index; switching those off leaves them only where no index can do the work, so a
    ``Seq Scan`` or a ``Sort`` left in the plan means a missing index, not a cheap guess."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            if order:
                cursor.execute("SET LOCAL enable_sort = off")
                cursor.execute("SET LOCAL enable_incremental_sort = off")
        return queryset.explain()


def assert_no_seq_scan(text: str):
    assert "Seq Scan on enterprises_enterprise" not in text, text
    assert "enterprises_enterprise" in text, text


@pytest.fixture
def analysed(ledger):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enterprises_enterprise")
    return ledger


@postgresql_only
@pytest.mark.parametrize("who", ["reviewer", "county_official"])
def test_default_order_walks_the_index_without_sorting(analysed, request, who):
    text = plan(list_queryset(request.getfixturevalue(who), {}), order=True)
    assert_no_seq_scan(text)
    assert "Index Scan using ent_juris_name_id" in text or "Index Only Scan using ent_juris_name_id" in text
    assert "Sort" not in text, text


@postgresql_only
@pytest.mark.parametrize("column", SORTABLE)
@pytest.mark.parametrize("descending", [False, True])
def test_each_sort_walks_an_index_for_the_reviewer(analysed, reviewer, column, descending):
    text = plan(list_queryset(reviewer, {"sort": f"-{column}" if descending else column}), order=True)
    assert_no_seq_scan(text)
    assert "Sort" not in text, text  # the index gives the order; the page reads only its rows


@postgresql_only
@pytest.mark.parametrize("column", SORTABLE)
def test_each_sort_avoids_a_table_scan_for_a_county(analysed, county_official, column):
    assert_no_seq_scan(plan(list_queryset(county_official, {"sort": column})))


SEARCHES = {
    "name": ("鑫源科技", "ent_name_trgm"),
    "pinyin": ("aysxy", "ent_initials_trgm"),
    "credit_code": ("91410", "enterprises_enterprise_credit_code"),
}


def bitmap_plan(queryset) -> str:
    """The plan with only bitmap scans (or a sequential scan) left to read the table. A bitmap index scan
    needs a condition the index serves, so with no ``Seq Scan`` left every arm of the search's OR was
    answered by an index."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
        return queryset.explain()


@postgresql_only
@pytest.mark.parametrize("kind", SEARCHES)
@pytest.mark.parametrize("who", ["reviewer", "county_official"])
def test_search_page_and_count_avoid_a_table_scan(analysed, request, kind, who):
    q, _index = SEARCHES[kind]
    user = request.getfixturevalue(who)
    rows = list_queryset(user, {"q": q})
    assert "UPPER(" not in str(rows.query)
    assert_no_seq_scan(plan(rows))
    # The page's count runs the same predicates (CappedPaginator: ids only, capped).
    assert_no_seq_scan(plan(list_queryset(user, {"q": q}, page_rows=False).order_by().values("pk")[:1001]))


@postgresql_only
@pytest.mark.parametrize("kind", SEARCHES)
def test_every_arm_of_the_search_is_served_by_an_index(analysed, reviewer, kind):
    q, index = SEARCHES[kind]
    text = bitmap_plan(list_queryset(reviewer, {"q": q}, page_rows=False).order_by().values("pk"))
    assert_no_seq_scan(text)
    assert f"Bitmap Index Scan on {index}" in text, text
    # Every search looks in the name (trigram, ILIKE) and the credit code's prefix (its btree
    # varchar_pattern_ops twin, which Django adds for the unique column).
    for always in ("ent_name_trgm", "enterprises_enterprise_credit_code"):
        assert f"Bitmap Index Scan on {always}" in text, text


@postgresql_only
def test_name_search_is_ilike_which_the_trigram_index_serves(analysed, reviewer):
    sql = str(list_queryset(reviewer, {"q": "鑫源"}).query)
    assert "ILIKE" in sql and "UPPER(" not in sql
    text = bitmap_plan(list_queryset(reviewer, {"q": "鑫源科技"}, page_rows=False).order_by().values("pk"))
    assert "Bitmap Index Scan on ent_name_trgm" in text, text


def test_every_sort_column_has_an_index_led_by_it():
    led = {tuple(index.fields) for index in Enterprise._meta.indexes}
    table = EnterpriseTable(Enterprise.objects.none())
    for column in table.columns:
        if not column.orderable:
            continue
        fields = tuple(f.removesuffix("_id") if f == "jurisdiction_id" else f for f in column.order_by)
        unique = Enterprise._meta.get_field(fields[0]).unique
        assert unique or fields in led, (column.name, fields)


def test_the_list_orders_by_the_enterprise_columns_only(ledger, reviewer):
    order = str(list_queryset(reviewer, {}).query).split("ORDER BY")[1]
    assert "core_jurisdiction" not in order and "sort_order" not in order
    assert '"enterprises_enterprise"."jurisdiction_id" ASC' in order


# ---- the rows' HTML: built in one pass, the cells django-tables2's own template renders ---------------


def _rows(html: str) -> list[str]:
    import re

    body = html.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r">\s+<", "><", re.sub(r"\s+", " ", row)).replace("<td >", "<td>").strip() for row in
            re.findall(r"<tr.*?</tr>", body, flags=re.S)]  # fmt: skip


@pytest.mark.parametrize("params", [{}, {"sort": "-hte_ready"}, {"q": "鑫源"}])
def test_the_ledger_rows_are_the_cells_django_tables2_renders(ledger, reviewer, params):
    """Every kind of cell (links, badges, a declared stage that differs, empty values as "—", overdue
    counts) comes out of ``body_rows`` exactly as django-tables2's bootstrap5 template renders it."""
    from django.template.loader import get_template

    from enterprises.models import LedgerMilestone

    LedgerMilestone.objects.create(enterprise=ledger[0], title="逾期事项", due_on="2020-01-01")
    Enterprise.objects.filter(pk=ledger[1].pk).update(declared_stage=Stage.LITTLE_GIANT)
    request = RequestFactory().get("/ledger/", params)
    request.user = reviewer

    def rendered(template: str | None) -> list[str]:
        table = EnterpriseTable(_filtered(request).qs)  # each its own: the row counter is the table's
        paginate_table(request, table, per_page=50)
        return _rows(
            get_template(template or table.template_name).render({"table": table, "request": request})
        )

    ours, theirs = rendered(None), rendered("django_tables2/bootstrap5.html")
    assert ours == theirs
    assert len(ours) == len(list_queryset(reviewer, params)) > 0
    if not params.get("q"):
        assert any("badge text-bg-danger" in row for row in ours)  # the overdue milestone's count
        assert any("badge text-bg-warning" in row for row in ours)  # the declared stage that differs


@postgresql_only
def test_the_credit_code_has_a_finer_histogram(db):
    """A credit-code prefix sits in one county: with the default histogram the planner overestimates its
    matches and walks the list's index through every county before (migration 0011)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute WHERE attrelid = 'enterprises_enterprise'::regclass "
            "AND attname = 'credit_code'"
        )
        assert cursor.fetchone()[0] == 1000
