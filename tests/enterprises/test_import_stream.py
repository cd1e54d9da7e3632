"""The ledger import streams a chunk at a time: rows that cross a chunk boundary (one enterprise's years,
a conflict, a name given only on a later row) behave as in one piece, errors keep their row numbers,
history is written for every change, and the readiness flags are refreshed after the commit without
translating anything."""

import pytest

from enterprises import readiness
from enterprises.importers import CREATED, INVALID, UPDATED, plan_ledger_import
from enterprises.models import AnnualFigures, Enterprise
from enterprises.readiness import assess_enterprise
from enterprises.services import apply_ledger_import, import_ledger_file, readiness_refresh_many
from tests.enterprises.test_importer import TODAY, ent, line, xlsx
from tests.factories import EnterpriseFactory, FiguresFactory, jurisdiction, make_credit_code

CHUNK = 7  # rows per chunk in these tests: 30 rows cross four boundaries


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr("enterprises.importers.CHUNK", CHUNK)


@pytest.fixture
def wenfeng(db):
    return jurisdiction("410502")


def _plan(data, user):
    data.seek(0)
    return plan_ledger_import(data, "台账.xlsx", jurisdiction=jurisdiction("410502"), user=user)


def _import(data, user, **kwargs):
    data.seek(0)
    return import_ledger_file(data, "台账.xlsx", jurisdiction=jurisdiction("410502"), by=user, **kwargs)


def _file(n=24):
    """``n`` enterprises with their 2024 figures (rows 3…), then a 2023 row for every third one, far
    from its first row (in a later chunk), with figures only."""
    rows = [ent(i, year=2024) for i in range(1, n + 1)]
    rows += [
        line(credit_code=make_credit_code(i), year=2023, sales_revenue="2500") for i in range(1, n + 1, 3)
    ]
    return rows


def test_a_file_of_several_chunks_is_written_whole_with_history(county_official, wenfeng):
    rows = _file()
    data = xlsx(rows)
    preview = _plan(data, county_official)
    assert preview.errors == [] and preview.created == len(rows) and len(preview.rows) == len(rows)
    plan = _import(data, county_official)
    assert plan.errors == [] and plan.created == len(rows)
    assert plan.digest == preview.digest  # the write classified every row as its preview did
    assert Enterprise.objects.count() == 24
    assert AnnualFigures.objects.count() == 24 + 8
    assert Enterprise.history.count() == 24  # one row each: the later rows changed no enterprise field
    assert AnnualFigures.history.count() == 24 + 8
    assert set(AnnualFigures.objects.filter(year=2023).values_list("enterprise__credit_code", flat=True)) == {
        make_credit_code(i) for i in range(1, 25, 3)
    }
    again = _import(data, county_official)
    assert again.unchanged == len(rows) and again.created == again.updated == 0


def test_a_later_chunk_updates_what_an_earlier_one_created_and_keeps_history(county_official, wenfeng):
    rows = [ent(i, year=2024) for i in range(1, 10)]
    rows.append(line(credit_code=make_credit_code(1), year=2023, address="安阳市文峰路1号"))
    plan = _import(xlsx(rows), county_official)
    assert plan.errors == [] and plan.created == 10
    firm = Enterprise.objects.get(credit_code=make_credit_code(1))
    assert firm.address == "安阳市文峰路1号"
    assert firm.history.count() == 2  # created, then the field the later chunk gave


def test_errors_in_later_chunks_keep_their_row_numbers_and_nothing_is_written(county_official, wenfeng):
    rows = _file()
    rows[10] = ent(11, year=2024, staff_count="很多")  # row 13, second chunk
    rows[20] = ent(21, year=2024, st_staff_count=500)  # row 23, fourth chunk
    rows.append(ent(2, year=2022, tech_field="新材料"))  # disagrees with row 4, chunks before
    last = len(rows) + 2
    data = xlsx(rows)
    preview = _plan(data, county_official)
    assert [(e.row, e.column) for e in preview.errors] == [
        (13, "职工总数"),
        (23, "科技人员数"),
        (last, "技术领域"),
    ]
    conflict = preview.errors[-1]
    assert "第4行" in conflict.message and "电子信息" in conflict.message and "新材料" in conflict.message
    assert preview.count(INVALID) == 3
    assert {r.row: r.action for r in preview.rows}[last] == INVALID
    plan = _import(data, county_official)
    assert [(e.row, e.column, e.message) for e in plan.errors] == [
        (e.row, e.column, e.message) for e in preview.errors
    ]
    assert not Enterprise.objects.exists() and not AnnualFigures.objects.exists()
    assert not Enterprise.history.exists()


def test_a_name_given_only_in_a_later_chunk(county_official, wenfeng):
    fillers = [ent(i, year=2024) for i in range(2, 12)]
    rows = [
        line(credit_code=make_credit_code(1), year=2023, sales_revenue="100"),
        *fillers,
        ent(1, year=2024),
    ]
    plan = _import(xlsx(rows), county_official)
    assert plan.errors == [] and plan.created == len(rows)
    firm = Enterprise.objects.get(credit_code=make_credit_code(1))
    assert firm.name == "安阳导入测试科技有限公司1"
    assert sorted(firm.figures.values_list("year", flat=True)) == [2023, 2024]


def test_a_new_enterprise_never_named_is_an_error_on_its_first_row(county_official, wenfeng):
    rows = [*(ent(i, year=2024) for i in range(2, 12)), line(credit_code=make_credit_code(1), year=2023)]
    rows.append(line(credit_code=make_credit_code(1), year=2024, sales_revenue="10"))
    plan = _import(xlsx(rows), county_official)
    assert [(e.row, e.column) for e in plan.errors] == [(13, "企业名称")]
    assert not Enterprise.objects.exists()


def test_an_existing_enterprise_across_chunks(county_official, wenfeng):
    firm = EnterpriseFactory(
        credit_code=make_credit_code(1), jurisdiction=wenfeng, name="安阳导入测试科技有限公司1"
    )
    FiguresFactory(enterprise=firm, year=2023)
    rows = [
        ent(1, year=2024),
        *(ent(i, year=2024) for i in range(2, 12)),
        ent(1, year=2022, address="新地址"),
    ]
    data = xlsx(rows)
    preview = _plan(data, county_official)
    plan = _import(data, county_official)
    assert plan.errors == [] and plan.digest == preview.digest
    actions = [r.action for r in preview.rows]
    assert actions[0] == UPDATED and actions[-1] == UPDATED and actions[1:-1] == [CREATED] * 10
    firm.refresh_from_db()
    assert firm.address == "新地址" and sorted(firm.figures.values_list("year", flat=True)) == [
        2022,
        2023,
        2024,
    ]


def test_readiness_is_refreshed_after_the_import(
    county_official, wenfeng, django_capture_on_commit_callbacks
):
    rows = [ent(i, year=TODAY.year - 1, ip_class1_count=1, ip_class2_count=0) for i in range(1, 20)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan = _import(xlsx(rows), county_official)
    assert plan.errors == [] and callbacks  # the refresh runs once the write is committed
    assert Enterprise.objects.filter(tsme_score__isnull=True).count() == 0
    for enterprise in Enterprise.objects.all():
        assessment = assess_enterprise(enterprise, today=TODAY)
        assert (enterprise.hte_ready, enterprise.tsme_score) == (
            assessment.hte_ready,
            assessment.tech_sme.total,
        )


def test_the_refresh_translates_nothing(county_official, wenfeng, monkeypatch):
    firms = [EnterpriseFactory(jurisdiction=wenfeng) for _ in range(5)]
    for firm in firms:
        FiguresFactory(enterprise=firm, year=TODAY.year - 1)
    expected = {f.pk: assess_enterprise(f, today=TODAY) for f in firms}
    Enterprise.objects.update(hte_ready=None, tsme_score=None)

    def no_gettext(message):
        raise AssertionError(f"translated during the refresh: {message}")

    monkeypatch.setattr(readiness.common, "gettext", no_gettext)
    readiness_refresh_many(enterprise_ids=[f.pk for f in firms])
    for firm in Enterprise.objects.filter(pk__in=expected):
        assert (firm.hte_ready, firm.tsme_score) == (
            expected[firm.pk].hte_ready,
            expected[firm.pk].tech_sme.total,
        )


def test_apply_of_a_previewed_plan_streams_too(county_official, wenfeng):
    rows = _file(10)
    plan = _plan(xlsx(rows), county_official)
    result = apply_ledger_import(plan, by=county_official)
    assert result.created == len(rows)
    assert Enterprise.objects.count() == 10 and AnnualFigures.objects.count() == 14
