"""The readiness verdict against the official texts (国科发火〔2016〕32号, 工作指引 国科发火〔2016〕195号,
国科发政〔2017〕115号), every rule on both sides of its boundary; the numbers are computed by hand in the
comments."""

import datetime
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import SystemActor
from enterprises import services
from enterprises.models import Enterprise, InnovationAssessment
from enterprises.readiness import (
    FAIL,
    MISSING,
    PASS,
    assess_enterprise,
    growth_band,
    growth_rate,
    rd_ratio_required,
)
from enterprises.readiness.innovation import innovation_bands
from enterprises.services import FIGURE_FIELDS, figures_save
from tests.factories import EnterpriseFactory, FiguresFactory, QualificationFactory

YEAR = 2026
ON = datetime.date(2026, 6, 1)
YEARS = (2023, 2024, 2025)
D = Decimal
SYSTEM = SystemActor("test")
# Inside every band of the factory's figures with 5 conversions a year (IP 30, conversions 30,
# organisation 20, flat growth 0): 80 points.
PASSING = {
    "ip_advancement": 8,
    "ip_core_support": 8,
    "ip_quantity": 8,
    "ip_acquisition": 6,
    "ip_self_developed": True,
    "standard_bonus": False,
    "conversion": 30,
    "rd_management": 6,
    "rd_institution": 6,
    "conversion_system": 4,
    "talent": 4,
    "net_asset_growth": 0,
    "sales_growth": 0,
}

pytestmark = pytest.mark.django_db


def make(enterprise=None, years=YEARS, **values):
    """An enterprise with identical figures (FiguresFactory defaults, overridden by ``values``) per year."""
    enterprise = enterprise or EnterpriseFactory()
    for year in years:
        FiguresFactory(enterprise=enterprise, year=year, **values)
    return enterprise


def set_year(enterprise, year, **values):
    enterprise.figures.filter(year=year).update(**values)


def scored(enterprise, year=YEAR, **points):
    """Record an innovation evaluation directly (the service's band check is tested on its own)."""
    InnovationAssessment.objects.create(
        enterprise=enterprise, application_year=year, scored_at=timezone.now(), **(PASSING | points)
    )
    return enterprise


def ready(**values):
    """Every condition met: the factory's figures, 5 conversions a year, an innovation score of 80."""
    return scored(make(**({"conversions_count": 5} | values)))


def assess(enterprise, year=YEAR, on=ON, **kwargs):
    return assess_enterprise(enterprise, year=year, on=on, **kwargs)


def crit(result, code):
    return next(c for c in result.criteria if c.code == code)


# --- the whole verdict ------------------------------------------------------------------------------------


def test_every_condition_met_is_a_pass(django_assert_max_num_queries):
    enterprise = ready()
    with django_assert_max_num_queries(6):
        result = assess(enterprise)
    assert result.years == [2023, 2024, 2025]
    assert (result.status, result.hte_ready, result.label) == (PASS, True, "符合")
    assert {c.code: c.status for c in result.criteria} == dict.fromkeys(
        ("registered", "ip", "tech_field", "st_staff", "rd_ratio", "rd_domestic", "hightech_revenue",
         "innovation", "incidents"),
        PASS,
    )  # fmt: skip
    assert crit(result, "rd_ratio").actual == "6.00%" and crit(result, "rd_ratio").required == "≥ 5%"
    assert crit(result, "st_staff").actual == "20.00%（20/100人）"
    assert crit(result, "hightech_revenue").actual == "80.00%"
    assert crit(result, "innovation").actual == "80分"
    assert result.summary == "符合高企认定条件（2026年申报）" and result.detail == "各项条件均已满足"


def test_unscored_innovation_keeps_the_badge_off_pass():
    result = assess(make(conversions_count=5))
    assert crit(result, "innovation").status == MISSING
    assert crit(result, "innovation").message == "2026年度申报的创新能力评价尚未评分"
    assert (result.status, result.label) == (MISSING, "待补充")
    assert result.summary.startswith("待补充：")
    assert result.detail == "2026年度申报的创新能力评价尚未评分"  # beside the badge, without repeating it


def test_a_failed_condition_beats_a_missing_one():
    enterprise = make(st_staff_count=1)
    result = assess(enterprise)
    assert crit(result, "innovation").status == MISSING and crit(result, "st_staff").status == FAIL
    assert (result.status, result.hte_ready) == (FAIL, False)
    assert result.summary == "不符合：科技人员占职工总数比例"
    assert result.detail == "未满足：科技人员占职工总数比例"


# --- 1 which years ----------------------------------------------------------------------------------------


def test_default_application_year_is_this_year_and_the_date_today():
    result = assess_enterprise(ready())
    assert result.year == today().year and result.on == today()
    assert result.years == [today().year - 3, today().year - 2, today().year - 1]


def test_a_missing_last_year_is_never_replaced_by_an_older_window():
    # Applying in 2026 with 2022–2024 on file and 2025 missing: cannot judge, not "符合" on 2022–2024.
    enterprise = scored(make(years=(2022, 2023, 2024), conversions_count=5))
    result = assess(enterprise)
    assert result.years == [2023, 2024, 2025]
    assert result.status == MISSING
    assert crit(result, "rd_ratio").message == "缺少2025年年度数据"
    assert crit(result, "st_staff").message == "缺少2025年年度数据"
    assert crit(result, "hightech_revenue").message == "缺少2025年年度数据"
    assert "2025年年度数据" in result.summary
    # Beside the badge, the missing year is said once, not once for each condition it stops.
    assert result.detail.count("缺少2025年年度数据") == 1
    # The score given on 2022–2024 waits for the missing year too: no "re-score" for a gap in the figures.
    assert crit(result, "innovation").message == "缺少2025年年度数据"
    assert result.missing_messages == ["缺少2025年年度数据"]


def test_the_application_year_can_be_chosen():
    enterprise = make(years=(2022, 2023, 2024), conversions_count=5)
    scored(enterprise, year=2025)
    result = assess(enterprise, year=2025, on=datetime.date(2025, 6, 1))
    assert result.years == [2022, 2023, 2024] and result.status == PASS


def test_a_later_year_is_judged_on_its_first_day_with_this_years_figures_still_missing():
    enterprise = ready()
    result = assess_enterprise(enterprise, year=2027, today=ON)
    assert result.on == datetime.date(2027, 1, 1)
    assert result.years == [2024, 2025, 2026]
    assert crit(result, "rd_ratio").message == "缺少2026年年度数据"


def test_a_young_firm_is_judged_on_every_year_since_registration():
    enterprise = ready(
        enterprise=EnterpriseFactory(registered_on=datetime.date(2024, 3, 1)), years=(2024, 2025)
    )
    result = assess(enterprise)
    assert result.years == [2024, 2025]
    assert crit(result, "rd_ratio").title == "近2年研发费用占销售收入比例"
    assert result.status == PASS


def test_the_partial_first_year_is_needed_not_skipped():
    # Registered 2024-12-20: 2024 is a (partial) fiscal year of its own and must have figures.
    enterprise = make(EnterpriseFactory(registered_on=datetime.date(2024, 12, 20)), years=(2025,))
    result = assess(enterprise)
    assert result.years == [2024, 2025]
    assert crit(result, "rd_ratio").message == "缺少2024年年度数据"
    assert result.status == MISSING


def test_a_firm_registered_in_the_application_year_has_no_fiscal_year_and_fails_registration():
    enterprise = EnterpriseFactory(registered_on=datetime.date(2026, 1, 10))
    result = assess(enterprise)
    assert result.years == []
    assert crit(result, "registered").status == FAIL and result.status == FAIL


def test_fields_missing_within_a_year_are_named():
    enterprise = make()
    set_year(enterprise, 2023, rd_expense=None, rd_expense_domestic=None)
    result = assess(enterprise)
    assert crit(result, "rd_ratio").message == "缺少2023年研发费用"
    assert crit(result, "rd_domestic").message == "缺少2023年研发费用、境内研发费用"


# --- 1 registration (365 days before the application date) ------------------------------------------------


def test_registered_exactly_365_days_before_the_application_date_passes():
    enterprise = make(EnterpriseFactory(registered_on=ON - datetime.timedelta(days=365)))
    c = crit(assess(enterprise), "registered")
    assert c.status == PASS
    assert c.actual == "365天（2025-06-01成立，按2026-06-01申报计）"


def test_registered_364_days_fails_with_days_to_go():
    enterprise = make(EnterpriseFactory(registered_on=ON - datetime.timedelta(days=364)))
    c = crit(assess(enterprise), "registered")
    assert (c.status, c.message) == (FAIL, "成立未满一年，还需1天（2026-06-02起满足）")


def test_registration_date_unknown_is_missing():
    c = crit(assess(make(EnterpriseFactory(registered_on=None))), "registered")
    assert (c.status, c.message) == (MISSING, "缺少企业成立日期")


# --- 2 IP, with the register ------------------------------------------------------------------------------


def ip(enterprise, kind="utility_model", number="ZL1", granted_on=datetime.date(2024, 1, 1), **kw):
    from enterprises.models import IntellectualProperty

    return IntellectualProperty.objects.create(
        enterprise=enterprise,
        kind=kind,
        title="知识产权",
        number=number,
        granted_on=granted_on,
        acquisition=kw.pop("acquisition", "self"),
        **kw,
    )


def test_without_a_register_the_counts_stand_in_and_the_reuse_is_not_checked():
    c = crit(assess(make(ip_class1_count=0, ip_class2_count=1)), "ip")
    assert c.status == PASS and "未核验" in c.message
    none = crit(assess(make(ip_class1_count=0, ip_class2_count=0)), "ip")
    assert (none.status, none.message) == (FAIL, "2025年未登记I类或II类知识产权，需至少取得1项")
    unknown = crit(assess(make(ip_class1_count=None, ip_class2_count=0)), "ip")
    assert (unknown.status, unknown.message) == (MISSING, "缺少2025年I类知识产权数")


def test_a_class_ii_item_counts_in_one_application_only():
    enterprise = make(ip_class1_count=0, ip_class2_count=0)
    ip(enterprise, used_in_year=2024)
    c = crit(assess(enterprise), "ip")
    assert (c.status, c.message) == (FAIL, "II类知识产权均已用于以往年度的申报，需取得新的知识产权")
    assert c.actual == "I类0项，II类0项（另有1项II类已用于以往申报，不再计入）"
    ip(enterprise, number="ZL2", used_in_year=2026)  # used in this very application: counts
    assert crit(assess(enterprise), "ip").status == PASS


def test_a_class_i_item_may_be_used_again():
    enterprise = make()
    ip(enterprise, kind="invention", used_in_year=2023)
    c = crit(assess(enterprise), "ip")
    assert c.status == PASS and c.actual == "I类1项，II类0项" and "按知识产权明细计" in c.message


def test_an_item_granted_after_the_application_date_or_lapsed_does_not_count():
    enterprise = make()
    ip(enterprise, granted_on=ON + datetime.timedelta(days=1))
    ip(enterprise, number="ZL2", lapsed_on=ON)
    assert crit(assess(enterprise), "ip").status == FAIL
    ip(enterprise, number="ZL3", granted_on=ON)
    assert crit(assess(enterprise), "ip").status == PASS


# --- 3 field, 4 S&T staff ---------------------------------------------------------------------------------


def test_tech_field_empty_is_missing_and_unknown_fails():
    assert crit(assess(make(EnterpriseFactory(tech_field=""))), "tech_field").status == MISSING
    assert crit(assess(make(EnterpriseFactory(tech_field="real_estate"))), "tech_field").status == FAIL
    assert crit(assess(make()), "tech_field").actual == "电子信息"


def test_staff_are_yearly_averages_with_one_decimal():
    # 9.55 / 95.5 = 10% exactly: passes; 9.5 / 95.5 = 9.947…%: (9.55 − 9.5) / 0.9 = 0.0556 → 0.1 more.
    c = crit(assess(make(staff_count=D("95.5"), st_staff_count=D("9.6"))), "st_staff")
    assert (c.status, c.actual) == (PASS, "10.05%（9.6/95.5人）")
    c = crit(assess(make(staff_count=D("95.5"), st_staff_count=D("9.5"))), "st_staff")
    assert (c.status, c.actual) == (FAIL, "9.94%（9.5/95.5人）")
    assert c.message == "2025年科技人员平均需增加0.1人才能达到10%"


def test_st_staff_exactly_10_percent_passes_and_the_gap_counts_new_staff_in_the_total():
    assert crit(assess(make(staff_count=100, st_staff_count=10)), "st_staff").status == PASS
    c = crit(assess(make(staff_count=100, st_staff_count=9)), "st_staff")
    # (10 − 9) / 0.9 = 1.11… → 1.2; 10.2 / 101.2 = 10.08 %.
    assert c.message == "2025年科技人员平均需增加1.2人才能达到10%"


def test_figures_save_keeps_the_decimal_and_refuses_two():
    enterprise = EnterpriseFactory()
    figures = figures_save(
        enterprise=enterprise, year=2025, by=SYSTEM, staff_count=D("95.5"), st_staff_count=D("9.5")
    )
    figures.refresh_from_db()
    assert figures.staff_count == D("95.5")
    with pytest.raises(DomainError) as exc:
        figures_save(enterprise=enterprise, year=2025, by=SYSTEM, staff_count=D("95.55"))
    assert exc.value.field == "staff_count"


# --- 5 R&D ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_sales", "required"),
    [("50000000.00", "0.05"), ("50000000.01", "0.04"), ("200000000.00", "0.04"), ("200000000.01", "0.03")],
)
def test_rd_tier_boundaries(last_sales, required):
    assert rd_ratio_required(D(last_sales)) == D(required)


def test_rd_tier_follows_the_last_years_sales():
    enterprise = make()
    set_year(enterprise, 2025, sales_revenue=D("200000000"))
    assert crit(assess(enterprise), "rd_ratio").required == "≥ 4%"


def test_rd_ratio_backward_gap_in_wan_yuan():
    # Sales 3 × 30,000,000 = 90,000,000; R&D 3 × 1,292,000 = 3,876,000 = 4.3066…%; 5% is 4,500,000:
    # 624,000 yuan more.
    enterprise = make(rd_expense=D("1292000"), rd_expense_domestic=D("1292000"))
    c = crit(assess(enterprise), "rd_ratio")
    assert (c.status, c.actual) == (FAIL, "4.30%")
    assert c.message == "2023–2025年研发费用合计还差62.40万元才能达到5%"


def test_rd_ratio_just_below_is_never_shown_as_reached_and_the_gap_rounds_up():
    enterprise = make(rd_expense=D("1500000"), rd_expense_domestic=D("1500000"))
    set_year(enterprise, 2025, rd_expense=D("1499999.99"), rd_expense_domestic=D("1499999.99"))
    c = crit(assess(enterprise), "rd_ratio")
    assert (c.status, c.actual, c.message) == (FAIL, "4.99%", "2023–2025年研发费用合计还差0.01万元才能达到5%")


def test_rd_ratio_measures_against_sales_not_total_income():
    enterprise = make(total_income=D("90000000"))
    assert crit(assess(enterprise), "rd_ratio").actual == "6.00%"


def test_domestic_rd_exactly_60_percent_passes_and_the_gap():
    c = crit(assess(make(rd_expense=D("1000000"), rd_expense_domestic=D("600000"))), "rd_domestic")
    assert (c.status, c.actual) == (PASS, "60.00%")
    # (1.5M + x) / (3M + x) = 60% at x = 750,000.
    c = crit(assess(make(rd_expense=D("1000000"), rd_expense_domestic=D("500000"))), "rd_domestic")
    assert (c.status, c.message) == (FAIL, "境内研发费用还差75.00万元才能达到60%")


# --- 6 high-tech revenue against 总收入 -------------------------------------------------------------------


def test_hightech_share_divides_by_total_income():
    # 24,000,000 / 40,000,000 = 60% exactly: passes whatever the sales.
    c = crit(assess(make(total_income=D("40000000"))), "hightech_revenue")
    assert (c.status, c.actual) == (PASS, "60.00%")
    # 24,000,000 / 40,000,000.01: just under; (0.6 × 40,000,000.01 − 24,000,000) / 0.4 = 0.015 → 0.01 万元.
    c = crit(assess(make(total_income=D("40000000.01"))), "hightech_revenue")
    assert (c.status, c.actual, c.message) == (
        FAIL,
        "59.99%",
        "2025年高新技术产品（服务）收入还差0.01万元才能达到60%",
    )


def test_hightech_share_without_total_income_is_missing():
    c = crit(assess(make(total_income=None)), "hightech_revenue")
    assert (c.status, c.message) == (MISSING, "缺少2025年总收入")


# --- 7 innovation capability ------------------------------------------------------------------------------


def test_seventy_points_fail_and_seventy_one_pass():
    # 80 − 10 from conversions: 70, not above 70.
    c = crit(assess(ready(), year=YEAR), "innovation")
    assert c.status == PASS
    enterprise = scored(make(conversions_count=5), conversion=25, rd_management=1)  # 80 − 5 − 5 = 70
    c = crit(assess(enterprise), "innovation")
    assert (c.status, c.actual) == (FAIL, "70分") and c.message.startswith("还差1分；")
    enterprise = scored(make(conversions_count=5), conversion=25, rd_management=2)  # 71
    assert crit(assess(enterprise), "innovation").status == PASS


def test_the_ip_indicator_is_capped_at_30_with_the_standard_bonus():
    enterprise = scored(make(conversions_count=5), standard_bonus=True, ip_advancement=7)
    assert assess(enterprise).innovation.ip == 30  # 7 + 8 + 8 + 6 + 2 = 31, capped
    enterprise = scored(make(conversions_count=5), standard_bonus=True, ip_advancement=5)
    assert assess(enterprise).innovation.ip == 29  # 5 + 8 + 8 + 6 + 2


@pytest.mark.parametrize(
    ("values", "rate"),
    [
        ([D(20), D(25), D(30)], D("0.225")),  # ½ × (1.25 + 1.2) − 1
        ([D(0), D(100), D(130)], D("0.3")),  # year 1 at 0: from years 2 and 3 only
        ([D(100), D(0), D(50)], None),  # year 2 at 0: scores 0
        ([D(100), D(104)], D("0.04")),  # two years: year2 ÷ year1 − 1
        ([D(100)], None),  # one year: no rate
    ],
)
def test_growth_rate_as_the_guideline_computes_it(values, rate):
    assert growth_rate(values)[0] == rate


@pytest.mark.parametrize(
    ("rate", "band"),
    [
        ("0.35", (9, 10)),
        ("0.3499", (7, 8)),
        ("0.25", (7, 8)),
        ("0.15", (5, 6)),
        ("0.1499", (3, 4)),
        ("0.05", (3, 4)),
        ("0.0499", (1, 2)),
        ("0.0001", (1, 2)),
        ("0", (0, 0)),
        ("-0.2", (0, 0)),
    ],
)
def test_growth_bands(rate, band):
    assert growth_band(D(rate)) == band


def test_growth_bands_come_from_the_figures():
    enterprise = make()
    for year, net, sales in (
        (2023, "20000000", "10000000"),
        (2024, "25000000", "12000000"),
        (2025, "30000000", "18000000"),
    ):
        set_year(enterprise, year, net_assets=D(net), sales_revenue=D(sales))
    bands = innovation_bands(enterprise_facts(enterprise), year=YEAR, on=ON)
    # Net assets ½ × (25/20 + 30/25) − 1 = 22.5% → 5–6; sales ½ × (12/10 + 18/12) − 1 = 35% → 9–10.
    assert (bands.bands["net_asset_growth"].low, bands.bands["net_asset_growth"].high) == (5, 6)
    assert (bands.bands["sales_growth"].low, bands.bands["sales_growth"].high) == (9, 10)
    assert "22.50%" in bands.bands["net_asset_growth"].basis


def enterprise_facts(enterprise):
    from enterprises.readiness import facts_for

    return facts_for(Enterprise.objects.get(pk=enterprise.pk))


@pytest.mark.parametrize(
    ("counts", "band"),
    [
        ((5, 5, 5), (25, 30)),
        ((5, 5, 4), (19, 24)),
        ((4, 4, 4), (19, 24)),
        ((1, 1, 1), (1, 6)),
        ((1, 1, 0), (0, 0)),
        ((0, 0, 0), (0, 0)),
    ],
)
def test_conversion_bands_from_the_yearly_average(counts, band):
    # (5+5+4)/3 = 4.67 is not 5; (1+1+0)/3 = 0.67 does not reach 1.
    enterprise = make()
    for year, count in zip(YEARS, counts, strict=True):
        set_year(enterprise, year, conversions_count=count)
    got = innovation_bands(enterprise_facts(enterprise), year=YEAR, on=ON).bands["conversion"]
    assert (got.low, got.high) == band


@pytest.mark.parametrize(
    ("class1", "class2", "band"),
    [
        (1, 0, (7, 8)),
        (0, 5, (5, 6)),
        (0, 4, (3, 4)),
        (0, 3, (3, 4)),
        (0, 2, (1, 2)),
        (0, 1, (1, 2)),
        (0, 0, (0, 0)),
    ],
)
def test_ip_quantity_bands(class1, class2, band):
    enterprise = make(ip_class1_count=class1, ip_class2_count=class2)
    got = innovation_bands(enterprise_facts(enterprise), year=YEAR, on=ON, self_developed=True).bands[
        "ip_quantity"
    ]
    assert (got.low, got.high) == band


def test_the_acquisition_band_follows_the_register():
    enterprise = make(ip_class1_count=0, ip_class2_count=0)
    ip(enterprise, acquisition="transferred")
    bands = innovation_bands(enterprise_facts(enterprise), year=YEAR, on=ON)
    assert (bands.bands["ip_acquisition"].low, bands.bands["ip_acquisition"].high) == (1, 3)
    assert not bands.needs_self_developed
    ip(enterprise, number="ZL2", acquisition="self")
    bands = innovation_bands(enterprise_facts(enterprise), year=YEAR, on=ON)
    assert bands.bands["ip_acquisition"].high == 6
    no_register = innovation_bands(enterprise_facts(make()), year=YEAR, on=ON)
    assert no_register.needs_self_developed and "ip_acquisition" in no_register.unknown


def test_the_service_refuses_points_outside_their_band_and_keeps_who_and_when(county_official):
    enterprise = make(EnterpriseFactory(jurisdiction=county_official.jurisdiction), conversions_count=5)
    with pytest.raises(DomainError) as exc:
        services.innovation_assessment_save(
            enterprise=enterprise,
            application_year=YEAR,
            by=county_official,
            **(PASSING | {"ip_quantity": 6, "conversion": 24}),
        )
    assert set(exc.value.errors) == {"ip_quantity", "conversion"}
    assert "应在7–8分之间" in exc.value.errors["ip_quantity"][0]
    assert not InnovationAssessment.objects.exists()
    saved = services.innovation_assessment_save(
        enterprise=enterprise, application_year=YEAR, by=county_official, **PASSING
    )
    assert (saved.scored_by, saved.policy) == (county_official, "国科发火〔2016〕195号")
    assert Enterprise.objects.get(pk=enterprise.pk).hte_ready is (today().year == YEAR or None)


def test_changed_figures_send_the_evaluation_back_for_scoring():
    enterprise = ready()
    set_year(enterprise, 2025, conversions_count=0)  # the average drops to 3.33: band 13–18, 30 is outside
    c = crit(assess(enterprise), "innovation")
    assert c.status == MISSING and c.message.startswith("评分后数据已变化，请重新评分：")


# --- 8 no incident in the year before ---------------------------------------------------------------------


def incident(enterprise, kind, day, **kw):
    from enterprises.models import Incident

    return Incident.objects.create(enterprise=enterprise, kind=kind, occurred_on=day, **kw)


def test_an_accident_within_a_year_before_the_application_fails():
    enterprise = ready()
    incident(enterprise, "quality", datetime.date(2025, 5, 31))  # a year and a day before: outside
    assert crit(assess(enterprise), "incidents").status == PASS
    incident(enterprise, "environment", datetime.date(2025, 6, 1))  # exactly a year before: inside
    result = assess(enterprise)
    c = crit(result, "incidents")
    assert (c.status, c.actual) == (FAIL, "2025-06-01 严重环境违法行为")
    assert result.status == FAIL


def test_listings_and_misconduct_do_not_decide_hte_but_do_decide_tech_sme():
    enterprise = ready()
    incident(enterprise, "research_misconduct", datetime.date(2025, 9, 1))
    result = assess(enterprise)
    assert crit(result, "incidents").status == PASS
    assert result.tech_sme.status == FAIL and result.tech_sme.exclusions


# --- 9 tech SME (115号) ------------------------------------------------------------------------------------


def test_tech_sme_score_with_factory_defaults():
    score = assess(make()).tech_sme
    # S&T 20% → 12, R&D / sales 6% → 50, class I IP → 30.
    assert (score.staff_score, score.rd_score, score.results_score, score.total) == (12, 50, 30, 92)
    assert (score.rd_basis, score.size_ok, score.status) == ("sales", True, PASS)


@pytest.mark.parametrize(
    ("staff", "st", "points"),
    [(100, 30, 20), (10000, 2999, 16), (100, 25, 16), (100, 20, 12), (100, 15, 8), (100, 10, 4), (100, 9, 0)],
)
def test_tech_sme_staff_bands(staff, st, points):
    assert assess(make(staff_count=staff, st_staff_count=st)).tech_sme.staff_score == points


@pytest.mark.parametrize(
    ("rd", "points"),
    [("1800000", 50), ("1799999.99", 40), ("1500000", 40), ("1200000", 30), ("900000", 20), ("600000", 10)],
)
def test_tech_sme_rd_sales_bands(rd, points):
    enterprise = make(rd_expense=D(rd), rd_expense_domestic=D(rd), total_costs=D("100000000"))
    assert (assess(enterprise).tech_sme.rd_score, assess(enterprise).tech_sme.rd_basis) == (points, "sales")


def test_tech_sme_rd_takes_the_better_of_sales_and_costs():
    # R&D / sales 2% → 10; R&D / costs 30% → 50; costs 29.99% → 40.
    enterprise = make(rd_expense=D("600000"), rd_expense_domestic=D("600000"), total_costs=D("2000000"))
    assert (assess(enterprise).tech_sme.rd_score, assess(enterprise).tech_sme.rd_basis) == (50, "costs")
    enterprise = make(rd_expense=D("599800"), rd_expense_domestic=D("599800"), total_costs=D("2000000"))
    assert assess(enterprise).tech_sme.rd_score == 40


@pytest.mark.parametrize(
    ("class1", "class2", "points"),
    [(1, 0, 30), (0, 4, 24), (0, 9, 24), (0, 3, 18), (0, 2, 12), (0, 1, 6), (0, 0, 0), (2, None, 30)],
)
def test_tech_sme_results_bands(class1, class2, points):
    assert assess(make(ip_class1_count=class1, ip_class2_count=class2)).tech_sme.results_score == points


@pytest.mark.parametrize(
    ("values", "size_ok"),
    [
        ({"staff_count": 500, "st_staff_count": 100}, True),
        ({"staff_count": D("500.1"), "st_staff_count": 100}, False),
        ({"sales_revenue": D("200000000"), "rd_expense": D("12000000"), "rd_expense_domestic": D("0")}, True),
        (
            {"sales_revenue": D("200000000.01"), "rd_expense": D("12000000"), "rd_expense_domestic": D("0")},
            False,
        ),
        ({"total_assets": D("200000000")}, True),
        ({"total_assets": D("200000000.01")}, False),
        ({"total_assets": None}, None),
    ],
)
def test_tech_sme_size_limits(values, size_ok):
    score = assess(make(**values)).tech_sme
    assert score.size_ok is size_ok
    assert score.qualifies is size_ok


def test_tech_sme_needs_60_points_and_a_non_zero_staff_score():
    # staff 10% → 4, R&D / sales 2% → 10, costs 2.4% → 0, class II 2 → 12: 26.
    score = assess(
        make(
            st_staff_count=10,
            rd_expense=D("600000"),
            rd_expense_domestic=D("600000"),
            ip_class1_count=0,
            ip_class2_count=2,
        )
    ).tech_sme
    assert (score.total, score.qualifies) == (26, False)
    score = assess(make(st_staff_count=9)).tech_sme
    assert (score.staff_score, score.total, score.qualifies) == (0, 80, False)


def distinction(enterprise, kind, day, **kw):
    from enterprises.models import Distinction

    return Distinction.objects.create(enterprise=enterprise, kind=kind, title="事项", obtained_on=day, **kw)


def test_tech_sme_direct_routes():
    low = {"st_staff_count": 0, "ip_class1_count": 0, "ip_class2_count": 0}  # scores far below 60
    hte = make(**low)
    QualificationFactory(
        enterprise=hte, granted_on=datetime.date(2024, 11, 30), expires_on=datetime.date(2027, 11, 29)
    )
    assert assess(hte).tech_sme.status == PASS

    award = make(**low)
    distinction(award, "national_award", datetime.date(2021, 6, 1), rank=3)  # five years before ON: inside
    assert assess(award).tech_sme.status == PASS
    late = make(**low)
    distinction(late, "national_award", datetime.date(2021, 5, 31), rank=1)  # a day too early
    distinction(late, "national_award", datetime.date(2025, 1, 1), rank=4)  # fourth unit
    assert assess(late).tech_sme.status == FAIL

    institution = make(**low)
    distinction(institution, "research_institution", datetime.date(2010, 1, 1))
    assert assess(institution).tech_sme.status == PASS
    ended = make(**low)
    distinction(ended, "research_institution", datetime.date(2010, 1, 1), ended_on=ON)
    assert assess(ended).tech_sme.status == FAIL

    standard = make(**low)
    distinction(standard, "standard_lead", datetime.date(2022, 3, 1))
    assert assess(standard).tech_sme.status == PASS


def test_a_direct_route_still_needs_the_size_limits():
    enterprise = make(staff_count=600, st_staff_count=0)
    QualificationFactory(
        enterprise=enterprise, granted_on=datetime.date(2024, 11, 30), expires_on=datetime.date(2027, 11, 29)
    )
    assert assess(enterprise).tech_sme.status == FAIL


def test_tech_sme_exclusions():
    restricted = make(EnterpriseFactory(restricted_industry=True))
    assert assess(restricted).tech_sme.status == FAIL

    listed = make()  # listed as seriously dishonest in 2023, never removed: excluded in 2026
    incident(listed, "serious_dishonesty", datetime.date(2023, 3, 1))
    assert assess(listed).tech_sme.status == FAIL
    removed = make()  # removed on 2024-12-31, before the year before the filing year
    incident(removed, "abnormal_operation", datetime.date(2023, 3, 1), ended_on=datetime.date(2024, 12, 31))
    assert assess(removed).tech_sme.status == PASS

    accident = make()
    incident(accident, "safety", datetime.date(2025, 1, 1))  # the year before the filing year
    assert assess(accident).tech_sme.status == FAIL
    older = make()
    incident(older, "safety", datetime.date(2024, 12, 31))
    assert assess(older).tech_sme.status == PASS


# --- gaps you can act on this year ------------------------------------------------------------------------


def test_forward_gap_for_next_years_application():
    # 2027 is judged on 2024–2026. Past sales 2 × 30,000,000, R&D 2 × 1,200,000; 2026 expected at last
    # year's 30,000,000 → 90,000,000 × 5% = 4,500,000 − 2,400,000 = 2,100,000 yuan of R&D in 2026.
    enterprise = make(rd_expense=D("1200000"), rd_expense_domestic=D("1200000"), st_staff_count=9)
    gaps = assess(enterprise).forward
    assert (gaps.year, gaps.next_year, gaps.years) == (2026, 2027, [2024, 2025, 2026])
    assert gaps.rd_needed == D("2100000.00")
    assert "2026年研发费用至少需210.00万元" in gaps.rd_message and "按上年（2025年）数" in gaps.rd_message
    # Expecting 60,000,000: above 50M the tier is 4%: 120,000,000 × 4% − 2,400,000 = 2,400,000.
    gaps = assess(enterprise, expected_sales=D("60000000")).forward
    assert gaps.rd_needed == D("2400000.00") and "按填写的预计数" in gaps.rd_message
    # S&T staff: (10 − 9) / 0.9 = 1.11 → 1.2 on average.
    assert gaps.st_needed.quantize(D("0.01")) == D("1.11")
    assert "科技人员平均需增加1.2人" in gaps.staff_message


def test_forward_gap_is_zero_when_already_enough():
    # Past R&D 2 × 3,000,000 = 6,000,000 ≥ 5% of 90,000,000: nothing more needed this year.
    gaps = assess(make(rd_expense=D("3000000"), rd_expense_domestic=D("3000000"))).forward
    assert gaps.rd_needed == D("0")
    assert gaps.st_needed == D("0")
    # The factory's 1,800,000 a year leaves 900,000 to spend in 2026.
    assert assess(make()).forward.rd_needed == D("900000.00")


# --- the stored flag, the page fragment -------------------------------------------------------------------


def test_figures_save_updates_the_stored_verdict_and_score():
    enterprise = EnterpriseFactory(registered_on=datetime.date(2015, 3, 5))
    last = today().year - 1
    defaults = {field: getattr(FiguresFactory.build(), field) for field in FIGURE_FIELDS} | {
        "conversions_count": 5
    }
    for year in (last - 2, last - 1, last):
        figures_save(enterprise=enterprise, year=year, by=SYSTEM, **defaults)
    stored = Enterprise.objects.get(pk=enterprise.pk)
    assert (stored.hte_ready, stored.tsme_score) == (None, 92)  # innovation not scored: 待补充
    services.innovation_assessment_save(
        enterprise=enterprise, application_year=today().year, by=SYSTEM, **PASSING
    )
    assert Enterprise.objects.get(pk=enterprise.pk).hte_ready is True
    figures_save(enterprise=enterprise, year=last, by=SYSTEM, st_staff_count=5)
    stored = Enterprise.objects.get(pk=enterprise.pk)
    assert (stored.hte_ready, stored.tsme_score) == (False, 80)


def test_fragment_renders_each_condition_with_its_figure_threshold_verdict_and_gaps():
    from enterprises.forms import ReadinessForm

    enterprise = scored(make(total_income=D("48000000"), conversions_count=5))
    html = render_to_string(
        "enterprises/_readiness.html",
        {
            "assessment": assess(enterprise),
            "readiness_form": ReadinessForm(initial={"year": YEAR}),
            "enterprise": enterprise,
        },
    )
    for text in (
        "2026年申报",
        "依据2023–2025年度数据",
        "不符合",
        "50.00%",
        "≥ 60%",
        "还差1200.00万元",
        "本年（2026年）还能做什么",
        "92",
    ):
        assert text in html


# --- the stored verdict ----------------------------------------------------------------------------------


def test_the_bulk_refresh_costs_the_same_queries_for_more_enterprises(county_official):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(n: int) -> int:
        ids = []
        for _ in range(n):  # each scored by a named official, whose name the verdict quotes
            enterprise = ready()
            enterprise.innovation_assessments.update(scored_by=county_official)
            ids.append(enterprise.pk)
        with CaptureQueriesContext(connection) as ctx:
            services.readiness_refresh_many(enterprise_ids=ids)
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(6)


def test_editing_the_record_stores_the_verdict_anew(county_official):
    enterprise = EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    this_year = today().year
    make(enterprise, years=(this_year - 3, this_year - 2, this_year - 1), conversions_count=5)
    scored(enterprise, year=this_year)
    services.enterprise_refresh_readiness(enterprise=enterprise)
    assert Enterprise.objects.get(pk=enterprise.pk).hte_ready is True
    # Registered less than a year before today: condition 1 now fails, and the stored flag says so at once.
    services.enterprise_update(
        enterprise=enterprise, by=county_official, registered_on=today() - datetime.timedelta(days=100)
    )
    assert Enterprise.objects.get(pk=enterprise.pk).hte_ready is False
