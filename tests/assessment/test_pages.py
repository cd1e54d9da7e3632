"""The assessment pages through the test client: dashboard, jurisdiction page, drill-downs, targets,
rollup progress and the bulletin page, with who may see what."""

import datetime
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from anyang_hte.core.roles import Role
from assessment import indicators, selectors
from assessment.models import CountingRule, IndicatorSnapshot, RollupRun, Target
from enterprises.models import Enterprise
from tests.factories import (
    EnterpriseFactory,
    MilestoneFactory,
    QualificationFactory,
    UserFactory,
    jurisdiction,
    rolled_up,
)

pytestmark = [pytest.mark.django_db]

YEAR = timezone.localdate().year
JAN_1 = datetime.date(YEAR, 1, 1)


def qual(enterprise, kind, granted_on, **kw):
    from enterprises.services import qualification_expiry

    return QualificationFactory(
        enterprise=enterprise,
        kind=kind,
        granted_on=granted_on,
        expires_on=qualification_expiry(kind, granted_on),
        **kw,
    )


@pytest.fixture
def data():
    """文峰区: two new HTEs, one older HTE, a tech SME, a candidate; 林州市: one new, one re-certified.

    New HTEs are counted first-time only here (G's re-certification is not new); the default rule is
    tested in test_plan_pages.py."""
    CountingRule.objects.create(recertification_is_new=False)
    wf, lz = jurisdiction("410502"), jurisdiction("410581")
    e = {}
    for key, juris in [("A", wf), ("B", wf), ("C", wf), ("D", wf), ("E", wf), ("F", lz), ("G", lz)]:
        e[key] = EnterpriseFactory(name=f"测试企业{key}", jurisdiction=juris, helper_name=f"帮扶人{key}")
    qual(e["A"], "hte", JAN_1, number="GR-A")
    qual(e["B"], "hte", JAN_1, number="GR-B")
    qual(e["C"], "hte", JAN_1.replace(year=YEAR - 2), number="GR-C")
    qual(e["D"], "tech_sme", JAN_1)
    qual(e["E"], "hte_candidate", JAN_1.replace(year=YEAR - 1))
    qual(e["F"], "hte", JAN_1, number="GR-F")
    qual(e["G"], "hte", JAN_1.replace(year=YEAR - 4), number="GR-G-old")
    qual(e["G"], "hte", JAN_1, number="GR-G")
    MilestoneFactory(enterprise=e["D"], title="逾期节点", due_on=JAN_1.replace(year=YEAR - 1))
    for juris, new, valid in ((wf, 4, 6), (lz, 2, 5)):
        Target.objects.create(jurisdiction=juris, year=YEAR, indicator="new_hte", value=new)
        Target.objects.create(jurisdiction=juris, year=YEAR, indicator="valid_hte", value=valid)
    rolled_up(*range(YEAR - 4, YEAR + 1))  # the nightly job: the year and the trend's years
    return e


def cells(page, testid):
    """The text of every row of the table ``data-testid=testid``, cell by cell."""
    doc = lxml_html.fromstring(page.content.decode())
    table = doc.xpath(f'//*[@data-testid="{testid}"]')[0]
    return [
        [" ".join(td.text_content().split()) for td in tr.xpath("./td")] for tr in table.xpath(".//tbody/tr")
    ]


def chart(page, element_id):
    doc = lxml_html.fromstring(page.content.decode())
    return json.loads(doc.xpath(f'//script[@id="{element_id}"]')[0].text)


def count(value):
    return f"{int(value):,}"


def pct(value):
    return "—" if value is None else f"{value:.1f}%"


def wan(value):
    return f"{(Decimal(value) / 10000).quantize(Decimal('0.01')):,.2f}"


# --- the dashboard -----------------------------------------------------------------------------


def test_dashboard_tables_carry_the_selectors_numbers(client, reviewer, data):
    client.force_login(reviewer)
    page = client.get(reverse("assessment:dashboard"), {"year": YEAR})
    assert page.status_code == 200
    table = selectors.indicator_table(YEAR)
    by_scope = {r["scope"]: r for r in table}

    # the targets table: one row per jurisdiction and the city
    rows = cells(page, "table-targets")
    assert len(rows) == 12
    wf = rows[0]
    assert wf[0] == "文峰区"
    assert wf[1:9] == ["2", "4", "50.0%", "1", "3", "6", "50.0%", "1"]
    lz = next(r for r in rows if r[0] == "林州市")
    assert lz[1:9] == ["1", "2", "50.0%", "2", "2", "5", "40.0%", "2"]
    for row in rows[:-1]:
        r = next(x for x in table if x["name"] == row[0])
        assert row[1] == count(r["values"]["new_hte"]) and row[5] == count(r["values"]["valid_hte"])
        assert row[9] == count(r["values"]["tech_sme"]) and row[10] == count(r["values"]["hte_candidates"])
        assert row[12] == count(r["values"]["overdue_milestones"])
    city = rows[-1]
    assert city[0] == "全市合计"
    assert city[1:4] == ["3", "6", "50.0%"] and city[5:8] == [
        "5",
        "11",
        pct(by_scope["city"]["progress"]["valid_hte"]),
    ]

    # the bar chart draws the same numbers
    bars = chart(page, "chart-targets")
    assert bars["labels"][0] == "文峰区"
    assert [d["data"][0] for d in bars["datasets"]] == [2, 4, 3, 6]

    # trend: the last five years of the city's new and valid HTEs
    trend_rows = cells(page, "table-trend")
    years = list(range(YEAR - 4, YEAR + 1))
    assert [int(r[0]) for r in trend_rows] == years
    new_trend = selectors.trend("new_hte", years)
    valid_trend = selectors.trend("valid_hte", years)
    assert [r[1] for r in trend_rows] == [count(p["value"]) for p in new_trend]
    assert [r[2] for r in trend_rows] == [count(p["value"]) for p in valid_trend]
    assert trend_rows[-1][1:3] == ["3", "5"]
    assert chart(page, "chart-trend")["datasets"][0]["data"] == [int(p["value"]) for p in new_trend]

    # funnel
    funnel_rows = cells(page, "table-funnel")
    steps = selectors.funnel(YEAR)
    assert [r[1] for r in funnel_rows] == [count(s["value"]) for s in steps]
    assert [r[1] for r in funnel_rows][:3] == ["1", "1", "5"]  # tech SMEs, candidates, valid HTEs
    assert chart(page, "chart-funnel")["datasets"][0]["data"] == [int(s["value"]) for s in steps]

    # reward money, in 万元
    reward_rows = cells(page, "table-rewards")
    assert len(reward_rows) == 12
    for row in reward_rows[:-1]:
        r = next(x for x in table if x["name"] == row[0])
        assert row[1:5] == [
            wan(r["values"][c])
            for c in ("rewards_committed", "rewards_approved", "rewards_paid_city", "rewards_paid_county")
        ]
    assert reward_rows[-1][0] == "全市合计"

    body = page.content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in body and "js/charts.js" in body
    assert "刷新汇总" in body and 'data-testid="data-source"' in body and "汇总快照" in body
    # the year and its trend are rolled up; only the seeded 2018–2021 plan's years are being computed
    assert "2018、2019、2020、2021年的指标正在汇总计算" in body
    assert sorted(RollupRun.objects.values_list("year", flat=True)) == [2018, 2019, 2020, 2021]


def test_dashboard_rights(client, data, county_official):
    client.force_login(county_official)
    response = client.get(reverse("assessment:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("assessment:jurisdiction", args=["410502"])

    finance = UserFactory(username="fin_city", role=Role.CITY_FINANCE, jurisdiction=None)
    client.force_login(finance)
    page = client.get(reverse("assessment:dashboard"))
    assert page.status_code == 200 and "刷新汇总" not in page.content.decode()
    assert client.post(reverse("assessment:rollup_start"), {"year": YEAR}).status_code == 403
    assert client.get(reverse("assessment:targets")).status_code == 403

    norole = UserFactory(username="norole", role="", jurisdiction=None)
    client.force_login(norole)
    assert client.get(reverse("assessment:dashboard")).status_code == 403


def test_rollup_button_runs_and_reports_progress(client, reviewer, data, django_capture_on_commit_callbacks):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessment:rollup_start"), {"year": YEAR}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        body = response.content.decode()
        assert 'hx-trigger="every 1s"' in body and "排队中" in body  # queued: the bar polls
    run = RollupRun.objects.get()
    assert run.status == RollupRun.Status.DONE  # in-process Celery ran it after commit
    assert IndicatorSnapshot.objects.filter(year=YEAR, scope="410502", indicator="new_hte").get().value == 2

    body = client.get(
        reverse("assessment:rollup_status", args=[run.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "100%" in body and "已完成" in body
    assert 'hx-select="#dashboard-numbers"' in body  # the numbers reload
    assert "every 1s" not in body  # polling stops when done
    page = client.get(reverse("assessment:dashboard"), {"year": YEAR})
    assert "汇总快照 · 计算于" in page.content.decode()


def test_a_pending_rollup_polls_every_second(client, reviewer):
    run = RollupRun.objects.create(year=YEAR, status=RollupRun.Status.RUNNING, steps_total=17, steps_done=5)
    client.force_login(reviewer)
    body = client.get(
        reverse("assessment:rollup_status", args=[run.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-trigger="every 1s"' in body and "29%" in body and "5 / 17" in body


def test_rollup_without_htmx_redirects_to_the_dashboard(client, reviewer):
    client.force_login(reviewer)
    response = client.post(reverse("assessment:rollup_start"), {"year": YEAR})
    assert response.status_code == 302 and f"year={YEAR}" in response.url and "rollup=" in response.url


# --- the jurisdiction page and drill-downs -----------------------------------------------------


def test_county_official_sees_only_their_own_jurisdiction(client, data, county_official):
    client.force_login(county_official)
    page = client.get(reverse("assessment:jurisdiction", args=["410502"]), {"year": YEAR})
    assert page.status_code == 200
    rows = {r[0]: r for r in cells(page, "indicators")}
    assert rows["新认定高新技术企业"][1:6] == ["2", "家", "4", "50.0%", "1 / 11"]
    assert rows["有效期内高新技术企业"][1:6] == ["3", "家", "6", "50.0%", "1 / 11"]
    assert len(rows) == len(indicators.INDICATORS)
    body = page.content.decode()
    assert reverse("assessment:drilldown", args=["410502", "new_hte"]) in body

    assert client.get(reverse("assessment:jurisdiction", args=["410581"])).status_code == 404
    assert client.get(reverse("assessment:drilldown", args=["410581", "new_hte"])).status_code == 404
    assert client.get(reverse("assessment:jurisdiction", args=["999999"])).status_code == 404
    assert client.get(reverse("assessment:drilldown", args=["city", "new_hte"])).status_code == 403
    assert client.get(reverse("assessment:bulletin")).status_code == 403


def test_city_wide_roles_open_any_jurisdiction(client, data, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("assessment:jurisdiction", args=["410581"]), {"year": YEAR})
    assert page.status_code == 200
    assert {r[0]: r for r in cells(page, "indicators")}["新认定高新技术企业"][1] == "1"


def test_drilldown_lists_exactly_the_enterprises(client, data, county_official, reviewer):
    client.force_login(county_official)
    page = client.get(reverse("assessment:drilldown", args=["410502", "new_hte"]), {"year": YEAR})
    assert page.status_code == 200
    rows = cells(page, "drilldown")
    assert [r[1] for r in rows] == ["测试企业A", "测试企业B"]
    assert rows[0][2] == data["A"].credit_code
    assert rows[0][5:8] == [
        "GR-A",
        JAN_1.isoformat(),
        (JAN_1.replace(year=YEAR + 3) - datetime.timedelta(days=1)).isoformat(),
    ]
    body = page.content.decode()
    assert reverse("enterprises:detail", args=[data["A"].pk]) in body

    valid = cells(
        client.get(reverse("assessment:drilldown", args=["410502", "valid_hte"]), {"year": YEAR}), "drilldown"
    )
    assert [r[1] for r in valid] == ["测试企业A", "测试企业B", "测试企业C"]

    client.force_login(reviewer)
    city = cells(
        client.get(reverse("assessment:drilldown", args=["city", "new_hte"]), {"year": YEAR}), "drilldown"
    )
    assert sorted(r[2] for r in city) == ["测试企业A", "测试企业B", "测试企业F"]  # G was re-certified
    assert client.get(reverse("assessment:drilldown", args=["410502", "nope"])).status_code == 404


def test_every_indicator_has_a_drilldown_page(client, data, reviewer):
    client.force_login(reviewer)
    for code in indicators.CODES:
        page = client.get(reverse("assessment:drilldown", args=["410502", code]), {"year": YEAR})
        assert page.status_code == 200, code
    overdue = cells(
        client.get(reverse("assessment:drilldown", args=["410502", "overdue_milestones"])), "drilldown"
    )
    assert [r[3] for r in overdue] == ["逾期节点"]


# --- targets -----------------------------------------------------------------------------------


def _target_post(year, values):
    """The targets table as the browser posts it: ``values`` is {code: (new, valid)}. (The value-added
    moved to the published figures' page: test_plan_pages.py.)"""
    among = indicators.jurisdictions()
    post = {
        "action": "save",
        "year": year,
        "t-TOTAL_FORMS": len(among),
        "t-INITIAL_FORMS": len(among),
        "t-MIN_NUM_FORMS": 0,
        "t-MAX_NUM_FORMS": 1000,
    }
    for i, j in enumerate(among):
        new, valid = values.get(j.code, ("", ""))
        post |= {f"t-{i}-code": j.code, f"t-{i}-new_hte": new, f"t-{i}-valid_hte": valid}
    return post


def test_targets_form_saves(client, reviewer):
    client.force_login(reviewer)
    year = YEAR + 1
    page = client.get(reverse("assessment:targets"), {"year": year})
    assert page.status_code == 200
    assert page.content.decode().count('name="t-') >= 11 * 3

    response = client.post(
        reverse("assessment:targets"),
        _target_post(year, {"410502": ("9", "15"), "410581": ("0", "7")}),
    )
    assert response.status_code == 302
    saved = {(t.jurisdiction.code, t.indicator): t.value for t in Target.objects.filter(year=year)}
    assert saved == {
        ("410502", "new_hte"): 9,
        ("410502", "valid_hte"): 15,
        ("410581", "new_hte"): 0,
        ("410581", "valid_hte"): 7,
    }

    page = client.get(reverse("assessment:targets"), {"year": year})
    body = page.content.decode()
    assert 'value="15"' in body and 'data-testid="total-new_hte">9<' in body


def test_targets_form_refuses_negative_fractional_and_zero(client, reviewer):
    client.force_login(reviewer)
    for bad in (("-1", "3"), ("1.5", "3"), ("1", "-3")):
        response = client.post(reverse("assessment:targets"), _target_post(YEAR, {"410502": bad}))
        assert response.status_code == 200 and "errorlist" in response.content.decode(), bad
    assert not Target.objects.exists()


def test_spread_fills_the_table_with_the_city_totals(client, reviewer, data):
    client.force_login(reviewer)
    response = client.post(
        reverse("assessment:targets"),
        {"action": "spread", "year": YEAR, "city_new_hte": 80, "city_valid_hte": 120},
    )
    assert response.status_code == 302
    targets = Target.objects.filter(year=YEAR)
    assert targets.filter(indicator="new_hte").count() == 11
    assert sum(t.value for t in targets.filter(indicator="new_hte")) == 80
    assert sum(t.value for t in targets.filter(indicator="valid_hte")) == 120
    page = client.get(reverse("assessment:targets"), {"year": YEAR})
    body = page.content.decode()
    assert 'data-testid="total-new_hte">80<' in body and 'data-testid="total-valid_hte">120<' in body
    # 文峰区 holds the most valid HTEs, so it gets the largest share
    wf = Target.objects.get(year=YEAR, indicator="new_hte", jurisdiction__code="410502").value
    assert wf == max(t.value for t in targets.filter(indicator="new_hte"))


def test_targets_are_for_the_bureau_only(client, county_official):
    client.force_login(county_official)
    assert client.get(reverse("assessment:targets")).status_code == 403
    assert (
        client.post(reverse("assessment:targets"), _target_post(YEAR, {"410502": ("1", "1")})).status_code
        == 403
    )


# --- the bulletin page -------------------------------------------------------------------------


def test_bulletin_page_is_printable_and_chinese(client, reviewer, data):
    client.force_login(reviewer)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("assessment:bulletin"), {"year": YEAR})
    assert page.status_code == 200
    body = page.content.decode()
    assert f"安阳市高新技术企业培育工作通报（{YEAR}年）" in body and "安阳市科学技术局" in body
    assert "css/bulletin.css" in body  # its print rules: a static file (the CSP allows no inline style)
    printed = (settings.BASE_DIR / "static" / "css" / "bulletin.css").read_text(encoding="utf-8")
    assert "@media print" in printed and "A4 landscape" in printed
    rows = cells(page, "bulletin-table")
    assert rows[0][:2] == ["1", "文峰区"] and rows[0][2:6] == ["2", "4", "50.0%", "1"]
    assert rows[1][:2] == ["2", "林州市"]
    assert rows[-1][0] == "全市合计" and rows[-1][1:4] == ["3", "6", "50.0%"]


# --- the year's planned applicants by readiness verdict ------------------------------------------


def test_planned_applicants_are_counted_by_the_three_verdicts_and_open_the_ledger(
    client, reviewer, county_official
):
    wf, lz = jurisdiction("410502"), jurisdiction("410581")
    for juris, ready, n in ((wf, True, 2), (wf, False, 1), (wf, None, 3), (lz, True, 1), (lz, None, 1)):
        for _ in range(n):
            EnterpriseFactory(jurisdiction=juris, planned_year=YEAR, hte_ready=ready)
    EnterpriseFactory(jurisdiction=wf, planned_year=YEAR + 1, hte_ready=True)  # another year's applicant
    EnterpriseFactory(jurisdiction=wf, planned_year=None, hte_ready=False)  # not planning to apply

    client.force_login(reviewer)
    page = client.get(reverse("assessment:dashboard"), {"year": YEAR})
    assert 'data-testid="readiness-computing"' in page.content.decode()  # counted by the rollup, not here
    rolled_up(*range(YEAR - 4, YEAR + 1))
    page = client.get(reverse("assessment:dashboard"), {"year": YEAR})
    rows = {r[0]: r[1:] for r in cells(page, "application-readiness")}
    assert rows["文峰区"] == ["6", "2", "1", "3"]
    assert rows["林州市"] == ["2", "1", "0", "1"]
    assert rows["全市合计"] == ["8", "3", "1", "4"]
    doc = lxml_html.fromstring(page.content.decode())
    link = doc.xpath('//a[@data-testid="readiness-410502-unknown"]')[0].get("href")
    ledger = client.get(link)
    assert ledger.status_code == 200
    listed = set(ledger.context["table"].data.data.values_list("pk", flat=True))
    expected = {e.pk for e in Enterprise.objects.filter(jurisdiction=wf, planned_year=YEAR, hte_ready=None)}
    assert listed == expected and len(listed) == 3
    city_link = doc.xpath('//a[@data-testid="readiness-city-ready"]')[0].get("href")
    assert client.get(city_link).context["table"].data.data.count() == 3

    # The stored verdict is for an application this year: another year shows no such table.
    assert (
        "application-readiness"
        not in client.get(reverse("assessment:dashboard"), {"year": YEAR - 1}).content.decode()
    )

    client.force_login(county_official)  # 文峰区: its own row only
    page = client.get(reverse("assessment:jurisdiction", args=["410502"]), {"year": YEAR})
    assert cells(page, "application-readiness") == [["文峰区", "6", "2", "1", "3"]]
