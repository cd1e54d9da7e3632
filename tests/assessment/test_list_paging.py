"""The assessment lists through ``paginate_rows``: the drill-downs, the watch lists, the plan's new HTEs
and the forecast's firms say when a page is past the end (never another page under its number), count
no further than the cap, page by position past it (ties in the name broken by the id, the filters riding
along), and order by columns an index serves (``jurisdiction_id``, not a join to the counties' order)."""

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.pages import paginate_rows
from assessment import views as assessment_views
from assessment import watchlists as wl
from assessment.models import Plan
from assessment.registers.models import IncubationCarrier, PolicyCounselor
from assessment.registers.tables import CarrierTable, CounselorTable, TrainingTable
from enterprises.models import Enterprise
from tests.core.test_keyset_pages import _link, _mode, _row_ids, _walk
from tests.factories import EnterpriseFactory, jurisdiction

YEAR = timezone.localdate().year
LEDGER_DRILL = reverse("assessment:drilldown", args=["city", "ledger_enterprises"])
READINESS = reverse("assessment:watchlist", args=[wl.READINESS_OPEN])

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's; SQLite (the embedded default)"
)


@pytest.fixture
def firms(db):
    """Eleven enterprises planning to apply this year, not ready, in two counties; names repeat."""
    wenfeng, linzhou = jurisdiction("410502"), jurisdiction("410581")
    return [
        EnterpriseFactory(
            name=f"安阳{'甲乙丙'[i % 3]}科技有限公司",
            jurisdiction=(wenfeng, linzhou)[i % 2],
            planned_year=YEAR,
            hte_ready=None if i % 2 else False,
        )
        for i in range(11)
    ]


def _in_list_order(enterprises) -> list[int]:
    return [e.pk for e in sorted(enterprises, key=lambda e: (e.jurisdiction_id, e.name, e.pk))]


@pytest.fixture
def small_pages(settings, monkeypatch):
    monkeypatch.setattr(assessment_views, "ROWS_PER_PAGE", 2)
    settings.LIST_COUNT_CAP = 4


def test_the_city_drilldown_pages_deep_in_its_order_keeping_the_year(client, reviewer, firms, small_pages):
    client.force_login(reviewer)
    seen, modes = _walk(client, LEDGER_DRILL, "enterprises:detail", first=f"year={YEAR}&")
    assert seen == _in_list_order(Enterprise.objects.all())  # every row once, ties in the name by id
    assert modes[:2] == ["numbered", "numbered"] and set(modes[2:]) == {"keyset"}
    body = client.get(LEDGER_DRILL, {"year": YEAR, "page": 2}).content.decode()
    assert "超过 4 条" in body  # the count is capped, and says so
    assert f"year={YEAR}" in _link(body, "keyset-continue")  # the last numbered page goes on, same year


@pytest.mark.parametrize("page", ["99", "x"])
def test_a_drilldown_page_past_the_end_says_so(client, reviewer, firms, page, monkeypatch):
    client.force_login(reviewer)
    monkeypatch.setattr(assessment_views, "ROWS_PER_PAGE", 5)
    response = client.get(LEDGER_DRILL, {"year": YEAR, "page": page})
    body = response.content.decode()
    assert response.status_code == 200 and _mode(body) == "beyond"
    assert f"第 {page} 页超出可显示范围：按页码只能翻到第 3 页。" in body
    assert _row_ids(body, "enterprises:detail") == []
    assert f"year={YEAR}&amp;page=3" in body  # the last page, with the year


def test_a_county_drilldown_holds_only_its_county_on_its_deep_pages(
    client, county_official, firms, small_pages
):
    client.force_login(county_official)
    url = reverse("assessment:drilldown", args=["410502", "ledger_enterprises"])
    seen, _modes = _walk(client, url, "enterprises:detail", first=f"year={YEAR}&")
    assert seen == _in_list_order([e for e in firms if e.jurisdiction.code == "410502"])


def test_a_watch_list_pages_deep_with_its_jurisdiction_filter(client, reviewer, firms, small_pages):
    client.force_login(reviewer)
    seen, modes = _walk(client, READINESS, "enterprises:detail", first="jurisdiction=410581&")
    assert seen == _in_list_order([e for e in firms if e.jurisdiction.code == "410581"])
    assert "keyset" in modes
    everyone, _modes = _walk(client, READINESS, "enterprises:detail")
    assert everyone == _in_list_order(firms)


def test_a_watch_list_page_past_the_end_says_so(client, county_official, firms, monkeypatch):
    client.force_login(county_official)
    monkeypatch.setattr(assessment_views, "ROWS_PER_PAGE", 50)
    body = client.get(READINESS, {"page": "2"}).content.decode()
    assert _mode(body) == "beyond" and "第 2 页超出可显示范围：按页码只能翻到第 1 页。" in body
    assert _row_ids(body, "enterprises:detail") == []
    assert "共 6 条" in body


def test_the_plans_new_htes_and_the_forecast_say_a_page_past_the_end(client, reviewer, db):
    client.force_login(reviewer)
    plan = Plan.objects.order_by("pk").first()
    body = client.get(reverse("assessment:plan_new_hte", args=[plan.pk]), {"page": "7"}).content.decode()
    assert _mode(body) == "beyond" and "第 7 页超出可显示范围" in body
    forecast = reverse("assessment:forecast_firms")
    body = client.get(forecast, {"key": "all", "band": "expected", "page": "7"}).content.decode()
    assert _mode(body) == "beyond" and "第 7 页超出可显示范围" in body
    assert "key=all" in _link_to_first(body)


def _link_to_first(body: str) -> str:
    start = body.index('data-testid="paging-message"')
    return body[start : body.index("</div>", start)]


def test_the_registers_order_by_the_jurisdiction_column_not_a_join():
    for model in (IncubationCarrier, PolicyCounselor):
        order = str(model.objects.all().query).split("ORDER BY")[1]
        assert "jurisdiction_id" in order and "sort_order" not in order and "core_jurisdiction" not in order
    for table in (CarrierTable, TrainingTable, CounselorTable):
        assert table.base_columns["jurisdiction"].order_by[0] == "jurisdiction_id"


def test_the_drilldown_and_watch_list_orders_are_columns():
    for kind in ("enterprise", "reward", "carrier"):
        assert assessment_views.DRILL_ORDER[kind][0] == "jurisdiction_id"
    today = timezone.localdate()
    for code in (wl.REPORT_MISSING, wl.READINESS_OPEN, wl.MILESTONES_OVERDUE, wl.HTE_EXPIRING):
        order = str(wl._BUILDERS[code](today).query).split("ORDER BY")[1]
        assert "sort_order" not in order and "core_jurisdiction" not in order, (code, order)


# ---- PostgreSQL: the city's largest drill-down walks the ledger's index ----------------------------------


@postgresql_only
def test_the_ledger_drilldown_page_is_an_index_walk_without_a_sort(reviewer, firms):
    request = RequestFactory().get(LEDGER_DRILL, {"year": YEAR})
    request.user = reviewer
    _juris, _ind, _year, qs, _kind = assessment_views._drill(request, "city", "ledger_enterprises")
    rows = paginate_rows(request, qs, per_page=50).rows
    with transaction.atomic():
        with connection.cursor() as cursor:
            for setting in ("enable_seqscan", "enable_sort", "enable_incremental_sort"):
                cursor.execute(f"SET LOCAL {setting} = off")
        text = rows[:50].explain()
    assert "ent_juris_name_id" in text and "Sort" not in text, text
    assert "Seq Scan on enterprises_enterprise" not in text, text
