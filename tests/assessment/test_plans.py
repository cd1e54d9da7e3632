"""The plan as data and its panel, the growth of valid HTEs (task 11) and the rule that counts new HTEs:
the numbers on both sides of the plan's boundaries, the 0 case, the rule both ways, the firms that
moved in; and the pages, with who may see and change what."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role, SystemActor
from assessment import indicators, selectors, services
from assessment.models import CountingRule, IndicatorSnapshot, Plan, PublishedValueAdded
from tests.factories import EnterpriseFactory, QualificationFactory, UserFactory, jurisdiction, rolled_up

pytestmark = pytest.mark.django_db

D = datetime.date
WF, LZ, ZONE = "410502", "410581", "410571"
THIS_YEAR = timezone.localdate().year


def hte(enterprise, granted_on, *, elsewhere=False, revoked_on=None, number=""):
    return QualificationFactory(
        enterprise=enterprise,
        kind="hte",
        granted_on=granted_on,
        expires_on=granted_on.replace(year=granted_on.year + 3) - datetime.timedelta(days=1),
        granted_elsewhere=elsewhere,
        granted_where="郑州市" if elsewhere else "",
        revoked_on=revoked_on,
        **({"number": number} if number else {}),
    )


def firm(name, code=WF):
    return EnterpriseFactory(name=name, jurisdiction=jurisdiction(code))


@pytest.fixture
def plan():
    return Plan.objects.get(document_number="安政办〔2017〕100号")


@pytest.fixture
def manager(db):
    return UserFactory(username="reviewer_plan", role=Role.TECH_REVIEWER, jurisdiction=None)


@pytest.fixture
def boundaries():
    """HTE grants on both sides of the 2017 plan's period (2018–2021)."""
    return {
        "before": hte(firm("2017年认定"), D(2017, 12, 28), number="GR2017"),  # valid to 2020-12-27
        "first_day": hte(firm("2018年认定"), D(2018, 1, 1), number="GR2018"),  # valid to 2020-12-31
        "last_day": hte(firm("2021年认定", LZ), D(2021, 12, 31), number="GR2021"),
        "after": hte(firm("2022年认定"), D(2022, 1, 1), number="GR2022"),
        "moved_in": hte(firm("迁入企业"), D(2019, 5, 1), elsewhere=True),  # valid 2019-05-01…2022-04-30
    }


# --- the plan's panel -----------------------------------------------------------------------------


def test_the_seeded_plan(plan):
    assert plan.name == "安阳市加快培育高新技术企业行动计划"
    assert (plan.first_year, plan.last_year, plan.goal_new_hte, plan.goal_valid_hte) == (2018, 2021, 80, 120)
    assert plan.goal_valid_hte_exceeds and plan.goal_share == Decimal("40.00") and plan.zone.code == ZONE


def test_the_panel_counts_inside_the_period_only(plan, boundaries, manager):
    PublishedValueAdded.objects.create(
        jurisdiction=None,
        year=2021,
        hightech_value_added=Decimal("41"),
        industrial_value_added=Decimal("100"),
        source="2021年统计公报",
        entered_at=timezone.now(),
    )
    rolled_up(2018, 2019, 2020, 2021)
    panel = selectors.plan_progress(plan, today=D(THIS_YEAR, 6, 1))
    assert panel["status"] == "finished" and panel["through"] == 2021
    # new: 2018-01-01 and 2021-12-31; not 2017-12-28, not 2022-01-01, never the moved-in firm
    assert panel["new_hte"]["value"] == 2 and panel["new_hte"]["goal"] == 80
    assert panel["new_hte"]["progress"] == Decimal("2.5") and panel["new_hte"]["met"] is False
    # valid at the end of 2021: 2021's and the moved-in firm's; 2017's and 2018's expired in 2020
    assert panel["valid_hte"]["value"] == 2 and panel["valid_hte"]["met"] is False
    assert panel["share"]["value"] == Decimal("41.00") and panel["share"]["met"] is True
    assert [(y["year"], y["new_hte"], y["valid_hte"]) for y in panel["yearly"]] == [
        (2018, 1, 2),
        (2019, 0, 3),
        (2020, 0, 2),
        (2021, 1, 2),
    ]
    grants = selectors.plan_new_hte_grants(plan, today=D(THIS_YEAR, 6, 1))
    assert (
        {q.number for q in grants}
        == {"GR2018", "GR2021"}
        == {
            boundaries["first_day"].number,
            boundaries["last_day"].number,
        }
    )


def test_a_running_plan_counts_to_today_and_is_not_judged_yet(manager, boundaries):
    later = services.plan_create(
        name="后续计划",
        document_number="安政办〔2022〕1号",
        first_year=2022,
        last_year=THIS_YEAR + 1,
        goal_new_hte=3,
        goal_valid_hte=3,
        goal_share=Decimal("45"),
        by=manager,
    )
    today = timezone.localdate()
    rolled_up(*later.years)
    panel = selectors.plan_progress(later, today=today)
    assert panel["status"] == "running" and panel["through"] == THIS_YEAR and panel["as_of"] == today
    assert panel["new_hte"]["value"] == 1 and panel["new_hte"]["met"] is None  # 2022-01-01 only
    assert panel["share"]["value"] is None
    assert (
        panel["share"]["note"] == f"未录入统计局公布的{THIS_YEAR}年高新技术产业增加值和规模以上工业增加值。"
    )
    upcoming = services.plan_create(
        name="远期计划",
        document_number="安政办〔2030〕1号",
        first_year=THIS_YEAR + 2,
        last_year=THIS_YEAR + 5,
        by=manager,
    )
    assert selectors.plan_progress(upcoming)["status"] == "upcoming"
    order = [p["plan"].pk for p in selectors.plan_panels()]
    assert (
        order[0] == later.pk and order[1] == upcoming.pk and order[-1] == Plan.objects.get(first_year=2018).pk
    )


def test_the_share_falls_back_to_the_latest_published_year(plan):
    for year, hightech in ((2019, "35"), (2020, "38")):
        PublishedValueAdded.objects.create(
            year=year,
            hightech_value_added=Decimal(hightech),
            industrial_value_added=Decimal("100"),
            source="公报",
            entered_at=timezone.now(),
        )
    rolled_up(*plan.years)
    share = selectors.plan_progress(plan, today=D(2026, 1, 1))["share"]
    assert share["value"] is None and share["latest"] == (2020, Decimal("38.00")) and share["met"] is None


# --- plans as data ---------------------------------------------------------------------------------


def test_plans_are_kept_by_the_bureau_through_the_services(plan, manager, county_official):
    created = services.plan_create(
        name="第二轮行动计划",
        document_number="安政办〔2022〕8号",
        first_year=2022,
        last_year=2025,
        by=manager,
    )
    assert AuditLog.objects.filter(action="assessment.plan.created", user=manager).count() == 1
    with pytest.raises(DomainError) as overlap:
        services.plan_create(name="重叠", document_number="X1", first_year=2019, last_year=2020, by=manager)
    assert overlap.value.field == "first_year" and "安政办〔2017〕100号" in overlap.value.message
    with pytest.raises(DomainError) as duplicate:
        services.plan_create(
            name="重号", document_number="安政办〔2022〕8号", first_year=2030, last_year=2031, by=manager
        )
    assert duplicate.value.field == "document_number"
    with pytest.raises(DomainError) as order:
        services.plan_update(plan=created, last_year=2020, by=manager)
    assert order.value.field == "last_year"
    services.plan_update(plan=created, goal_new_hte=90, zone=jurisdiction(ZONE), by=manager)
    log = AuditLog.objects.get(action="assessment.plan.updated")
    assert log.data["changes"] == {
        "goal_new_hte": {"from": None, "to": 90},
        "zone": {"from": None, "to": ZONE},
    }
    with pytest.raises(DomainError):
        services.plan_update(plan=plan, goal_new_hte=1, by=county_official)
    assert Plan.objects.get(pk=plan.pk).goal_new_hte == 80


# --- growth (task 11) -----------------------------------------------------------------------------


def test_growth_of_valid_htes_year_on_year_and_the_zero_case():
    for i in range(2):  # 文峰区: 2 valid at the end of 2023, 3 at the end of 2024
        hte(firm(f"文峰{i}"), D(2023, 3, 1))
    hte(firm("文峰新"), D(2024, 3, 1))
    hte(firm("林州新", LZ), D(2024, 3, 1))  # 林州市: 0 → 1
    values = indicators.evaluate("hte_growth", 2024)
    assert values[WF] == Decimal("50.00") and values[LZ] is None
    assert values["city"] == Decimal("100.00")  # (4 − 2) ÷ 2: 林州市's new one counts for the city
    assert indicators.evaluate("hte_growth", 2023)[WF] is None  # nothing at the end of 2022
    notes = indicators.unknown_notes(2024, {"hte_growth": values})["hte_growth"]
    assert notes[LZ] == "上年期末没有有效高企，增幅无法计算。"
    hte(firm("文峰失效"), D(2021, 1, 1))  # valid to 2023-12-31: counted in 2023, not in 2024
    assert indicators.evaluate("hte_growth", 2024)[WF] == Decimal("0.00")  # 3 → 3
    assert indicators.get("hte_growth").kind == indicators.SHARE and not indicators.get("hte_growth").additive


# --- what counts as a new HTE ---------------------------------------------------------------------


def new(year, code=WF):
    return indicators.evaluate("new_hte", year)[code]


def test_the_counting_rule_both_ways_and_the_firms_that_moved_in(manager):
    lapsed = firm("期满后重新认定")
    hte(lapsed, D(2019, 10, 1))  # valid to 2022-09-30
    hte(lapsed, D(2023, 3, 1))  # certified again after a lapse
    moved = firm("迁入后在本市重新认定")
    hte(moved, D(2020, 6, 1), elsewhere=True)  # brought in: valid to 2023-05-31, never new
    hte(moved, D(2023, 8, 1))  # certified here after it lapsed
    brought = firm("迁入企业")
    hte(brought, D(2023, 2, 1), elsewhere=True)

    assert indicators.counting_rule().recertification_is_new  # the default, with no row stored
    assert new(2019) == 1 and new(2020) == 0 and new(2023) == 2
    assert indicators.evaluate("valid_hte", 2023)[WF] == 3  # the brought-in certificate is valid
    assert indicators.new_hte_rule_label() == "含期满后重新认定；不含迁入企业"

    services.counting_rule_set(recertification_is_new=False, by=manager)
    assert new(2019) == 1 and new(2023) == 0  # both 2023 grants are re-certifications
    assert indicators.evaluate("valid_hte", 2023)[WF] == 3
    assert indicators.new_hte_rule_label() == "不含重新认定；不含迁入企业"
    assert "不含重新认定" in str(indicators.get("new_hte").description)
    log = AuditLog.objects.get(action="assessment.counting_rule.set")
    assert log.user == manager and log.data == {"recertification_is_new": False, "previous": True}

    services.counting_rule_set(recertification_is_new=False, by=manager)  # no change: no entry
    services.counting_rule_set(recertification_is_new=True, by=manager)
    assert AuditLog.objects.filter(action="assessment.counting_rule.set").count() == 2
    assert new(2023) == 2 and CountingRule.objects.count() == 1


def test_changing_the_rule_rewrites_the_rolled_up_years(manager):
    lapsed = firm("期满后重新认定")
    hte(lapsed, D(2019, 10, 1))
    hte(lapsed, D(2023, 3, 1))
    for year in (2019, 2023):
        services.rollup_year_sync(year=year, by=SystemActor("test"))

    def snapshot(year):
        return IndicatorSnapshot.objects.get(year=year, indicator="new_hte", scope=WF).value

    assert (snapshot(2019), snapshot(2023)) == (1, 1)
    services.counting_rule_set(recertification_is_new=False, by=manager)
    assert (snapshot(2019), snapshot(2023)) == (1, 0)
    assert selectors.indicator_table(2023)[0]["source"] == "snapshot"


def test_only_the_bureau_changes_the_rule(county_official):
    finance = UserFactory(username="fin_rule", role=Role.CITY_FINANCE, jurisdiction=None)
    for user in (county_official, finance, None):
        with pytest.raises(DomainError):
            services.counting_rule_set(recertification_is_new=False, by=user)
    assert not CountingRule.objects.exists()
    admin = UserFactory(username="admin_rule", role=Role.ADMIN, jurisdiction=None)
    assert services.counting_rule_set(recertification_is_new=False, by=admin).updated_by == admin


# --- the pages ------------------------------------------------------------------------------------


def text(page, testid):
    doc = lxml_html.fromstring(page.content.decode())
    return " ".join(doc.xpath(f'//*[@data-testid="{testid}"]')[0].text_content().split())


def rows(page, testid):
    doc = lxml_html.fromstring(page.content.decode())
    table = doc.xpath(f'//*[@data-testid="{testid}"]')[0]
    return [
        [" ".join(td.text_content().split()) for td in tr.xpath("./td")] for tr in table.xpath(".//tbody/tr")
    ]


def test_the_dashboard_shows_the_plan_panel_the_growth_and_the_zone(client, reviewer, plan, boundaries):
    hte(firm("高新区企业", ZONE), D(THIS_YEAR - 1, 3, 1))
    hte(firm("高新区新企业", ZONE), D(THIS_YEAR, 1, 5))
    PublishedValueAdded.objects.create(
        year=THIS_YEAR,
        hightech_value_added=Decimal("420"),
        industrial_value_added=Decimal("1000"),
        source="公报",
        entered_at=timezone.now(),
    )
    rolled_up(*plan.years, *range(THIS_YEAR - 4, THIS_YEAR + 1))
    client.force_login(reviewer)
    page = client.get(reverse("assessment:dashboard"), {"year": THIS_YEAR})
    assert page.status_code == 200
    panel = text(page, f"plan-panel-{plan.pk}")
    assert "安阳市加快培育高新技术企业行动计划" in panel and "安政办〔2017〕100号" in panel
    assert "计划期 2018—2021年" in panel and "已结束" in panel
    assert text(page, "plan-new_hte-value") == "2" and "目标 80 家" in text(page, "plan-new_hte")
    assert text(page, "plan-new_hte-rule") == "口径：含期满后重新认定；不含迁入企业"
    assert text(page, "plan-valid_hte-value") == "2" and "目标 超过 120 家" in text(page, "plan-valid_hte")
    assert text(page, "plan-share-value") == "—"
    assert text(page, "plan-share-note") == "未录入统计局公布的2021年高新技术产业增加值和规模以上工业增加值。"
    body = page.content.decode()
    assert reverse("assessment:plan_new_hte", args=[plan.pk]) in body
    assert reverse("assessment:drilldown", args=["city", "valid_hte"]) + "?year=2021" in body
    assert text(page, "new-hte-rule") == "新认定口径：含期满后重新认定；不含迁入企业"

    growth = {r[0]: r for r in rows(page, "table-growth")}
    zone_row = next(name for name in growth if name.startswith("安阳高新技术产业开发区"))
    assert "计划确定的高新区" in zone_row and growth[zone_row][1:4] == ["1", "2", "100.00%"]
    city_growth = indicators.evaluate("hte_growth", THIS_YEAR)["city"]
    assert growth["全市"][3] == f"{city_growth:.2f}%" and growth["全市"][6] == "42.00%"  # the city's own
    notes = text(page, "growth-notes")
    assert "未录入统计局公布的" in notes and "安阳高新技术产业开发区" in notes
    doc = lxml_html.fromstring(body)
    assert doc.xpath(f'//*[@data-testid="growth-{ZONE}"]/@class') == ["table-info"]


def test_the_jurisdiction_page_marks_the_zone_and_says_the_rule(client, county_official, plan):
    rolled_up(THIS_YEAR)
    client.force_login(county_official)
    page = client.get(reverse("assessment:jurisdiction", args=[WF]), {"year": THIS_YEAR})
    assert text(page, "new-hte-rule") == "口径：含期满后重新认定；不含迁入企业"
    assert "zone-note" not in page.content.decode()
    assert "headline-hte_growth" in page.content.decode()
    growth_row = rows(page, "indicators")
    assert any(r[0] == "有效高新技术企业增幅" and r[1] == "—" for r in growth_row)
    assert "上年期末没有有效高企，增幅无法计算。" in text(page, "indicator-hte_growth")
    drill = client.get(reverse("assessment:drilldown", args=[WF, "new_hte"]), {"year": THIS_YEAR})
    assert text(drill, "new-hte-rule") == "口径：含期满后重新认定；不含迁入企业"
    CountingRule.objects.create(recertification_is_new=False)
    drill = client.get(reverse("assessment:drilldown", args=[WF, "new_hte"]), {"year": THIS_YEAR})
    assert text(drill, "new-hte-rule") == "口径：不含重新认定；不含迁入企业"
    assert "不含重新认定" in text(drill, "drilldown-description")
    assert client.get(reverse("assessment:jurisdiction", args=[ZONE])).status_code == 404

    zone_official = UserFactory(
        username="county_zone", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction(ZONE)
    )
    client.force_login(zone_official)
    page = client.get(reverse("assessment:jurisdiction", args=[ZONE]), {"year": THIS_YEAR})
    assert "安政办〔2017〕100号" in text(page, "zone-note") and "任务11" in text(page, "zone-note")


def test_the_plan_drilldown_lists_the_certificates_counted(
    client, reviewer, plan, boundaries, county_official
):
    client.force_login(reviewer)
    page = client.get(reverse("assessment:plan_new_hte", args=[plan.pk]))
    assert page.status_code == 200
    listed = rows(page, "drilldown")
    assert [(r[1], r[3], r[5]) for r in listed] == [
        ("2018", "2018年认定", "GR2018"),
        ("2021", "2021年认定", "GR2021"),
    ]
    assert text(page, "plan-new-hte-count").startswith("2")
    assert text(page, "new-hte-rule") == "口径：含期满后重新认定；不含迁入企业"
    finance = UserFactory(username="fin_plan", role=Role.CITY_FINANCE, jurisdiction=None)
    client.force_login(finance)
    assert client.get(reverse("assessment:plan_new_hte", args=[plan.pk])).status_code == 200
    client.force_login(county_official)
    assert client.get(reverse("assessment:plan_new_hte", args=[plan.pk])).status_code == 403
    assert client.get(reverse("assessment:plans")).status_code == 403


def test_the_plans_page_and_its_forms(client, reviewer, plan, county_official):
    client.force_login(reviewer)
    page = client.get(reverse("assessment:plans"))
    assert page.status_code == 200 and text(page, "counting-rule-label") == "含期满后重新认定；不含迁入企业"
    assert f'data-testid="plan-edit-{plan.pk}"' in page.content.decode()
    form = {
        "name": "第二轮行动计划",
        "document_number": "安政办〔2022〕8号",
        "first_year": "2021",
        "last_year": "2025",
        "goal_new_hte": "100",
        "goal_valid_hte": "200",
        "goal_valid_hte_exceeds": "on",
        "goal_share": "45",
        "zone": jurisdiction(ZONE).pk,
    }
    refused = client.post(reverse("assessment:plan_create"), form)
    assert (
        refused.status_code == 200 and not Plan.objects.filter(document_number="安政办〔2022〕8号").exists()
    )
    body = refused.content.decode()
    assert 'value="第二轮行动计划"' in body and "年度重叠" in body  # kept what was typed, said why
    doc = lxml_html.fromstring(body)
    assert doc.xpath('//input[@name="first_year"]/@class')[0].find("is-invalid") >= 0
    done = client.post(reverse("assessment:plan_create"), form | {"first_year": "2022"})
    assert done.status_code == 302
    created = Plan.objects.get(document_number="安政办〔2022〕8号")
    assert created.goal_share == 45 and created.goal_valid_hte_exceeds and created.created_by == reviewer
    edit = client.post(
        reverse("assessment:plan_edit", args=[created.pk]),
        form | {"first_year": "2022", "goal_new_hte": "90"},
    )
    assert edit.status_code == 302 and Plan.objects.get(pk=created.pk).goal_new_hte == 90

    response = client.post(reverse("assessment:counting_rule"), {"rule": "first_only"})
    assert response.status_code == 302 and not indicators.counting_rule().recertification_is_new
    dashboard = client.get(reverse("assessment:dashboard"))
    assert text(dashboard, "new-hte-rule") == "新认定口径：不含重新认定；不含迁入企业"

    finance = UserFactory(username="fin_plans", role=Role.CITY_FINANCE, jurisdiction=None)
    client.force_login(finance)
    page = client.get(reverse("assessment:plans"))
    assert page.status_code == 200 and "plan-edit-" not in page.content.decode()
    assert client.post(reverse("assessment:plan_create"), form).status_code == 403
    assert client.post(reverse("assessment:counting_rule"), {"rule": "recertification"}).status_code == 403
    client.force_login(county_official)
    assert client.get(reverse("assessment:counting_rule")).status_code == 403
    assert not indicators.counting_rule().recertification_is_new
