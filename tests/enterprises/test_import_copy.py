"""On PostgreSQL the ledger import writes new enterprises and figures with COPY
(enterprises.services.import_copy); it must store exactly what the bulk_create path stores, with the same
history rows, for the same file (both run here, field by field), and roll back with the rest."""

import datetime
import decimal

import pytest
from django.db import connection
from django.utils import timezone

from enterprises.models import AnnualFigures, Enterprise
from enterprises.services import import_copy, import_ledger_file
from tests.enterprises.test_importer import ent, line, xlsx
from tests.factories import EnterpriseFactory, jurisdiction, make_credit_code

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is PostgreSQL's; SQLite keeps bulk_create"
)

pytestmark = postgresql_only

AWKWARD = {
    "name": "安阳\"引号\"'单引号'\\反斜杠科技有限公司",
    "address": "安阳市\t文峰路\\1号\n二楼",
    "notes": '第一行\n第二行\r\n\t缩进 \\N 不是空值 "引号"',
    "contact_name": "张\\三",
    "helper_unit": "科技局\t二科",
}


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr("enterprises.importers.CHUNK", 5)


def _rows():
    rows = [ent(1, year=2024, sales_revenue="123.456789", rd_expense="0.100005", **AWKWARD)]
    rows += [ent(i, year=2024, total_assets="99.99", net_assets="0.01") for i in range(2, 9)]
    rows.append(
        ent(9, year=2024, planned_year=None, registered_on=None, staff_count=None, st_staff_count=None)
    )
    rows += [line(credit_code=make_credit_code(i), year=2023, rd_expense="12.34") for i in range(1, 9, 2)]
    # an enterprise already on the ledger: a new year of figures (COPY) and a changed field (UPDATE)
    rows.append(line(credit_code=make_credit_code(50), year=2024, sales_revenue="777.77", helper_name="李四"))
    return rows


def _existing(county):
    return EnterpriseFactory(credit_code=make_credit_code(50), jurisdiction=county, name="安阳已有企业")


def _import(data, user, county):
    data.seek(0)
    return import_ledger_file(data, "台账.xlsx", jurisdiction=county, by=user)


SKIP = {"id", "created_at", "updated_at", "history_id", "history_date"}


def _snapshot():
    """Everything the import wrote, keyed by credit code (and year), without ids and times."""
    code_of = dict(Enterprise.objects.values_list("pk", "credit_code"))

    def fields(model):
        return [f.attname for f in model._meta.concrete_fields if f.attname not in SKIP]

    def rows(model, key):
        out = {}
        for values in model.objects.values(*fields(model), "id"):
            pk = values.pop("id")
            if "enterprise_id" in values:
                values["enterprise_id"] = code_of.get(values["enterprise_id"])
            out.setdefault(key(values, pk), []).append(values)
        return out

    def by_figures(values, pk):
        return (values["enterprise_id"], values["year"])

    def enterprise_key(values, pk):
        return values["credit_code"]

    history_of_enterprise = Enterprise.history.model
    history_of_figures = AnnualFigures.history.model
    return {
        "enterprises": rows(Enterprise, enterprise_key),
        "figures": rows(AnnualFigures, by_figures),
        "enterprise_history": rows(
            history_of_enterprise, lambda v, pk: (v["credit_code"], v["history_type"])
        ),
        "figures_history": rows(history_of_figures, lambda v, pk: (*by_figures(v, pk), v["history_type"])),
    }


def _times_and_links():
    """The ids and times: each history row names its row's id; the times are the import's."""
    for model in (Enterprise, AnnualFigures):
        ids = set(model.objects.values_list("pk", flat=True))
        assert set(model.history.values_list("id", flat=True)) == ids
    return list(Enterprise.history.values_list("history_date", flat=True)) + list(
        Enterprise.objects.values_list("created_at", flat=True)
    )


def _clear():
    AnnualFigures.objects.all().delete()
    Enterprise.objects.all().delete()
    AnnualFigures.history.all().delete()
    Enterprise.history.all().delete()


@pytest.mark.django_db(transaction=False)
def test_copy_writes_what_bulk_create_writes(county_official, monkeypatch):
    county = jurisdiction("410502")
    data = xlsx(_rows())

    started = timezone.now()
    _existing(county)
    monkeypatch.setattr(import_copy, "copy_available", lambda: False)
    plan = _import(data, county_official, county)
    assert plan.errors == [] and plan.created == 13 and plan.updated == 1
    bulk = _snapshot()
    bulk_times = _times_and_links()

    _clear()
    _existing(county)
    monkeypatch.undo()
    monkeypatch.setattr("enterprises.importers.CHUNK", 5)
    called = []
    real = import_copy.create_with_history
    monkeypatch.setattr(
        import_copy,
        "create_with_history",
        lambda model, rows, **kw: called.append(model) or real(model, rows, **kw),
    )
    plan = _import(data, county_official, county)
    assert plan.errors == [] and plan.created == 13 and plan.updated == 1
    assert Enterprise in called and AnnualFigures in called  # the COPY path did the writing
    copied = _snapshot()
    copy_times = _times_and_links()

    assert copied == bulk
    assert all(started <= t <= timezone.now() for t in bulk_times + copy_times)

    # the awkward values are stored as typed, not mangled by either path
    first = Enterprise.objects.get(credit_code=make_credit_code(1))
    for key, value in AWKWARD.items():
        assert getattr(first, key) == value, key
    assert first.history.get().notes == AWKWARD["notes"]
    assert first.history.get().history_user_id == county_official.pk
    figures = AnnualFigures.objects.get(enterprise=first, year=2024)
    assert figures.sales_revenue == decimal.Decimal("1234567.89") and figures.rd_expense == decimal.Decimal(
        "1000.05"
    )
    nulls = Enterprise.objects.get(credit_code=make_credit_code(9))
    assert nulls.planned_year is None and nulls.registered_on is None
    assert AnnualFigures.objects.get(enterprise=nulls).staff_count is None
    assert first.name_initials and first.created_by_id == county_official.pk
    assert isinstance(first.created_at, datetime.datetime)


@pytest.mark.django_db(transaction=False)
def test_an_error_after_a_copied_chunk_rolls_it_back(county_official):
    county = jurisdiction("410502")
    rows = [ent(i, year=2024) for i in range(1, 12)]
    rows.append(ent(12, year=2024, staff_count="很多"))  # third chunk: the first two are already copied
    plan = _import(xlsx(rows), county_official, county)
    assert plan.errors
    assert not Enterprise.objects.exists() and not AnnualFigures.objects.exists()
    assert not Enterprise.history.exists() and not AnnualFigures.history.exists()


@pytest.mark.django_db(transaction=False)
def test_a_large_import_refreshes_the_planners_statistics_as_the_table_grows(county_official, monkeypatch):
    """The planner cannot see an import's uncommitted rows (nor a table autovacuum has not analysed yet):
    once the rows added exceed half of what its statistics count (and ANALYZE_AFTER_ROWS), the import
    analyses the ledger inside its own transaction, so the next chunks' look-ups by credit code are
    planned for the table as it now is, not as an empty one (each chunk a scan of the whole table)."""
    from enterprises.services import imports

    monkeypatch.setattr(imports, "ANALYZE_AFTER_ROWS", 3)
    analysed = []
    real = imports._analyze_if_grown

    def spy(written, added):
        before = written.since_analyze + added
        real(written, added)
        if written.since_analyze == 0:
            analysed.append(before)

    monkeypatch.setattr(imports, "_analyze_if_grown", spy)
    county = jurisdiction("410502")
    plan = _import(xlsx([ent(i, year=2024) for i in range(1, 21)]), county_official, county)
    assert not plan.errors and plan.created == 20
    assert analysed and sum(analysed) <= 20  # chunks of 5: analysed after the table grew past 3, then 4, …
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'enterprises_enterprise'::regclass")
        assert cursor.fetchone()[0] >= 5  # the statistics count the import's own rows
