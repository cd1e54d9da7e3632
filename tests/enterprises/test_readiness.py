import datetime
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from anyang_hte.core.dates import today
from anyang_hte.core.roles import SystemActor
from enterprises.models import Enterprise
from enterprises.readiness import (
    FAIL,
    MISSING,
    PASS,
    assess_enterprise,
    growth_rate,
    growth_score,
    rd_ratio_required,
)
from enterprises.services import FIGURE_FIELDS, figures_save
from tests.factories import EnterpriseFactory, FiguresFactory, QualificationFactory

ON = datetime.date(2026, 6, 1)
YEARS = (2023, 2024, 2025)
D = Decimal


def make(enterprise=None, years=YEARS, **values):
    """An enterprise with identical figures (FiguresFactory defaults, overridden by ``values``) per year."""
    enterprise = enterprise or EnterpriseFactory()
    for year in years:
        FiguresFactory(enterprise=enterprise, year=year, **values)
    return enterprise


def set_year(enterprise, year, **values):
    enterprise.figures.filter(year=year).update(**values)


def assess(enterprise, on=ON):
    return assess_enterprise(enterprise, on=on)


def crit(result, code):
    return next(c for c in result.criteria if c.code == code)


pytestmark = pytest.mark.django_db


# --- the whole assessment -------------------------------------------------------------------------


def test_all_criteria_pass_with_factory_defaults(django_assert_max_num_queries):
    enterprise = make()
    with django_assert_max_num_queries(2):
        result = assess(enterprise)
    assert result.years == [2023, 2024, 2025]
    assert result.hte_ready is True
    assert {c.code: c.status for c in result.criteria} == {
        "registered": PASS,
        "ip": PASS,
        "tech_field": PASS,
        "st_staff": PASS,
        "rd_ratio": PASS,
        "rd_domestic": PASS,
        "hightech_revenue": PASS,
        "net_asset_growth": PASS,
        "sales_growth": PASS,
    }
    assert crit(result, "rd_ratio").actual == "6.00%"
    assert crit(result, "rd_ratio").required == "≥ 5%"
    assert crit(result, "st_staff").actual == "20.00%（20/100人）"
    assert crit(result, "hightech_revenue").actual == "80.00%"


def test_last_year_is_latest_figures_but_not_the_current_year():
    enterprise = make(years=(2021, 2022, 2023, 2024, 2025, 2026))
    assert assess(enterprise).years == [2023, 2024, 2025]
    stale = make(years=(2020, 2021))
    result = assess(stale)
    assert result.years == [2019, 2020, 2021]
    assert crit(result, "rd_ratio").message == "缺少2019年营业收入、研发费用"


def test_no_figures_at_all_is_missing_not_a_crash():
    result = assess(EnterpriseFactory())
    assert result.years == [2023, 2024, 2025]
    assert result.hte_ready is None
    assert crit(result, "st_staff").message == "缺少2025年职工总数、科技人员数"
    assert crit(result, "rd_ratio").message == (
        "缺少2023年营业收入、研发费用；2024年营业收入、研发费用；2025年营业收入、研发费用"
    )
    assert result.tech_sme.total is None
    assert result.tech_sme.qualifies is None
    assert result.tech_sme.size_ok is None


def test_missing_figure_gives_none_and_a_fail_gives_false():
    enterprise = make()
    set_year(enterprise, 2023, rd_expense=None, rd_expense_domestic=None)
    result = assess(enterprise)
    assert crit(result, "rd_ratio").status == MISSING
    assert crit(result, "rd_ratio").message == "缺少2023年研发费用"
    assert crit(result, "rd_domestic").message == "缺少2023年研发费用、境内研发费用"
    assert result.hte_ready is None
    set_year(enterprise, 2025, st_staff_count=1)
    assert assess(enterprise).hte_ready is False


def test_missing_year_row_names_the_year_and_figures():
    enterprise = make(years=(2024, 2025))
    result = assess(enterprise)
    assert crit(result, "rd_ratio").message == "缺少2023年营业收入、研发费用"
    assert crit(result, "net_asset_growth").message == "缺少2023年净资产"
    assert result.hte_ready is None


# --- 1 registration -------------------------------------------------------------------------------


def test_registered_exactly_365_days_passes():
    enterprise = make(EnterpriseFactory(registered_on=ON - datetime.timedelta(days=365)))
    c = crit(assess(enterprise), "registered")
    assert c.status == PASS
    assert c.actual == "365天（2025-06-01成立）"


def test_registered_364_days_fails_with_days_to_go():
    enterprise = make(EnterpriseFactory(registered_on=ON - datetime.timedelta(days=364)))
    result = assess(enterprise)
    c = crit(result, "registered")
    assert c.status == FAIL
    assert c.message == "成立未满一年，还需1天（2026-06-02起满足）"
    assert result.hte_ready is False


def test_registered_on_unknown_is_missing():
    c = crit(assess(make(EnterpriseFactory(registered_on=None))), "registered")
    assert (c.status, c.message) == (MISSING, "缺少企业成立日期")


# --- 2 IP -----------------------------------------------------------------------------------------


def test_ip_none_fails():
    c = crit(assess(make(ip_class1_count=0, ip_class2_count=0)), "ip")
    assert c.status == FAIL
    assert c.message == "2025年未登记I类或II类知识产权，需至少取得1项"


def test_ip_unknown_class_with_zero_other_is_missing_but_known_items_pass():
    c = crit(assess(make(ip_class1_count=None, ip_class2_count=0)), "ip")
    assert (c.status, c.message) == (MISSING, "缺少2025年I类知识产权数")
    assert crit(assess(make(ip_class1_count=None, ip_class2_count=3)), "ip").status == PASS
    assert crit(assess(make(ip_class1_count=0, ip_class2_count=1)), "ip").status == PASS


# --- 3 tech field ---------------------------------------------------------------------------------


def test_tech_field_empty_is_missing_and_unknown_fails():
    assert crit(assess(make(EnterpriseFactory(tech_field=""))), "tech_field").status == MISSING
    c = crit(assess(make(EnterpriseFactory(tech_field="real_estate"))), "tech_field")
    assert c.status == FAIL
    assert crit(assess(make()), "tech_field").actual == "电子信息"


# --- 4 S&T staff ----------------------------------------------------------------------------------


def test_st_staff_exactly_10_percent_passes():
    assert crit(assess(make(staff_count=100, st_staff_count=10)), "st_staff").status == PASS


def test_st_staff_gap_counts_new_hires_in_the_total():
    c = crit(assess(make(staff_count=100, st_staff_count=9)), "st_staff")
    assert c.status == FAIL
    assert c.actual == "9.00%（9/100人）"
    # 10/101 = 9.90% is not enough, 11/102 = 10.78% is.
    assert c.message == "科技人员需增加2人才能达到10%"


def test_st_staff_zero_staff_is_fail_without_division_error():
    c = crit(assess(make(staff_count=0, st_staff_count=0)), "st_staff")
    assert (c.status, c.message) == (FAIL, "2025年职工总数为0，无法计算科技人员占比")


# --- 5 R&D ratio ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_sales", "required"),
    [
        ("50000000.00", "0.05"),
        ("50000000.01", "0.04"),
        ("200000000.00", "0.04"),
        ("200000000.01", "0.03"),
        ("0", "0.05"),
    ],
)
def test_rd_tier_boundaries(last_sales, required):
    assert rd_ratio_required(D(last_sales)) == D(required)


@pytest.mark.parametrize(
    ("last_sales", "shown"), [("50000000", "≥ 5%"), ("200000000", "≥ 4%"), ("200000000.01", "≥ 3%")]
)
def test_rd_tier_follows_last_years_sales(last_sales, shown):
    enterprise = make()
    set_year(enterprise, 2025, sales_revenue=D(last_sales))
    assert crit(assess(enterprise), "rd_ratio").required == shown


def test_rd_ratio_on_the_4_percent_tier_passes_at_exactly_4_percent():
    enterprise = make(sales_revenue=D("100000000"), rd_expense=D("4000000"), rd_expense_domestic=D("4000000"))
    c = crit(assess(enterprise), "rd_ratio")
    assert (c.status, c.actual, c.required) == (PASS, "4.00%", "≥ 4%")


def test_rd_ratio_gap_in_wan_yuan():
    # 3-year sales 90,000,000; R&D 3,876,000 = 4.3066…%; 5% needs 4,500,000: 624,000 yuan more.
    enterprise = make(sales_revenue=D("30000000"), rd_expense=D("1292000"), rd_expense_domestic=D("1292000"))
    c = crit(assess(enterprise), "rd_ratio")
    assert c.status == FAIL
    assert c.actual == "4.30%"
    assert c.message == "研发费用需增加62.40万元才能达到5%"


def test_rd_ratio_gap_rounds_up_so_the_amount_is_enough():
    enterprise = make(sales_revenue=D("30000000"), rd_expense=D("1292000"), rd_expense_domestic=D("1292000"))
    set_year(enterprise, 2025, rd_expense=D("1291999.99"), rd_expense_domestic=D("1291999.99"))
    assert crit(assess(enterprise), "rd_ratio").message == "研发费用需增加62.41万元才能达到5%"


def test_rd_ratio_just_below_threshold_is_not_shown_as_reached():
    # 4,499,999.99 / 90,000,000 = 4.99999…%: shown rounded down, never "5.00%".
    enterprise = make(sales_revenue=D("30000000"), rd_expense=D("1500000"), rd_expense_domestic=D("1500000"))
    set_year(enterprise, 2025, rd_expense=D("1499999.99"), rd_expense_domestic=D("1499999.99"))
    c = crit(assess(enterprise), "rd_ratio")
    assert (c.status, c.actual, c.message) == (FAIL, "4.99%", "研发费用需增加0.01万元才能达到5%")


def test_rd_ratio_zero_sales_is_explained_not_divided():
    result = assess(make(sales_revenue=D("0"), hightech_revenue=D("0")))
    c = crit(result, "rd_ratio")
    assert (c.status, c.actual) == (FAIL, "—")
    assert c.message == "2023–2025年营业收入合计为0，无法计算研发费用占比"
    assert crit(result, "hightech_revenue").message == (
        "2025年营业收入为0，无法计算高新技术产品（服务）收入占比"
    )
    assert crit(result, "sales_growth").status == MISSING


def test_young_enterprise_uses_the_years_it_has_existed():
    enterprise = make(EnterpriseFactory(registered_on=datetime.date(2024, 3, 1)), years=(2024, 2025))
    result = assess(enterprise)
    assert result.years == [2024, 2025]
    assert crit(result, "rd_ratio").title == "近2年研发费用占营业收入比例"
    assert crit(result, "rd_ratio").status == PASS
    # Growth over two years: y2/y1 - 1.
    set_year(enterprise, 2025, net_assets=D("33000000"))
    assert crit(assess(enterprise), "net_asset_growth").actual == "10.00%"
    assert assess(enterprise).hte_ready is True


def test_registration_year_without_figures_is_skipped():
    enterprise = make(EnterpriseFactory(registered_on=datetime.date(2024, 12, 20)), years=(2025,))
    result = assess(enterprise)
    assert result.years == [2025]
    assert crit(result, "rd_ratio").status == PASS
    assert crit(result, "net_asset_growth").message == "经营不足两个会计年度，无法计算增长率"
    assert result.hte_ready is True


def test_old_enterprise_missing_early_years_is_missing():
    enterprise = make(EnterpriseFactory(registered_on=datetime.date(2010, 1, 1)), years=(2025,))
    assert crit(assess(enterprise), "rd_ratio").status == MISSING


# --- 5b domestic R&D ------------------------------------------------------------------------------


def test_domestic_rd_exactly_60_percent_passes():
    c = crit(assess(make(rd_expense=D("1000000"), rd_expense_domestic=D("600000"))), "rd_domestic")
    assert (c.status, c.actual) == (PASS, "60.00%")


def test_domestic_rd_gap():
    # 3 × 1,000,000 total, 3 × 500,000 domestic: (1.5M + x) / (3M + x) = 60% at x = 750,000.
    c = crit(assess(make(rd_expense=D("1000000"), rd_expense_domestic=D("500000"))), "rd_domestic")
    assert (c.status, c.actual) == (FAIL, "50.00%")
    assert c.message == "境内研发费用需增加75.00万元才能达到60%"


def test_domestic_rd_zero_total_is_explained():
    result = assess(make(rd_expense=D("0"), rd_expense_domestic=D("0")))
    c = crit(result, "rd_domestic")
    assert (c.status, c.message) == (FAIL, "2023–2025年研发费用合计为0，无法计算境内研发费用占比")
    assert crit(result, "rd_ratio").message == "研发费用需增加450.00万元才能达到5%"


# --- 6 high-tech revenue --------------------------------------------------------------------------


def test_hightech_revenue_exactly_60_percent_passes():
    c = crit(assess(make(hightech_revenue=D("18000000"))), "hightech_revenue")
    assert (c.status, c.actual) == (PASS, "60.00%")


def test_hightech_revenue_gap():
    # 15M of 30M: (15M + x) / (30M + x) = 60% at x = 7,500,000.
    c = crit(assess(make(hightech_revenue=D("15000000"))), "hightech_revenue")
    assert (c.status, c.actual) == (FAIL, "50.00%")
    assert c.message == "高新技术产品（服务）收入需增加750.00万元才能达到60%"


def test_hightech_revenue_missing():
    enterprise = make()
    set_year(enterprise, 2025, hightech_revenue=None)
    c = crit(assess(enterprise), "hightech_revenue")
    assert (c.status, c.message) == (MISSING, "缺少2025年高新技术产品（服务）收入")


# --- growth ---------------------------------------------------------------------------------------


def test_growth_formula_against_hand_computation():
    enterprise = make()
    for year, net, sales in (
        (2023, "20000000", "10000000"),
        (2024, "25000000", "12000000"),
        (2025, "30000000", "18000000"),
    ):
        set_year(enterprise, year, net_assets=D(net), sales_revenue=D(sales))
    result = assess(enterprise)
    # ½ × (25/20 + 30/25) − 1 = ½ × (1.25 + 1.2) − 1 = 0.225
    net = crit(result, "net_asset_growth")
    assert (net.status, net.actual, net.informational) == (PASS, "22.50%", True)
    assert net.message == "2023–2025年净资产增长率22.50%，成长性得分6分（分档标准待确认）"
    # ½ × (12/10 + 18/12) − 1 = ½ × (1.2 + 1.5) − 1 = 0.35
    assert crit(result, "sales_growth").actual == "35.00%"
    assert growth_rate([D(20), D(25), D(30)]) == D("0.225")


@pytest.mark.parametrize(
    ("rate", "score"),
    [
        ("0.35", 10),
        ("0.3499", 8),
        ("0.25", 8),
        ("0.15", 6),
        ("0.1499", 4),
        ("0.05", 4),
        ("0.0499", 2),
        ("0.0001", 2),
        ("0", 0),
        ("-0.2", 0),
    ],
)
def test_growth_score_bands(rate, score):
    assert growth_score(D(rate)) == score


def test_growth_with_zero_base_year_is_explained_and_never_fails_readiness():
    enterprise = make()
    set_year(enterprise, 2024, net_assets=D("0"))
    result = assess(enterprise)
    c = crit(result, "net_asset_growth")
    assert c.status == MISSING
    assert c.message == "2024年净资产为0.00万元，作为增长基数无法计算增长率"
    assert result.hte_ready is True


def test_negative_growth_is_informational_pass():
    enterprise = make()
    set_year(enterprise, 2025, net_assets=D("15000000"))
    result = assess(enterprise)
    c = crit(result, "net_asset_growth")
    assert (c.status, c.actual) == (PASS, "-25.00%")
    assert result.hte_ready is True


# --- tech-SME score -------------------------------------------------------------------------------


def test_tech_sme_score_with_factory_defaults():
    score = assess(make()).tech_sme
    # S&T 20% -> 12, R&D/sales 6% -> 50, Class I IP -> 30
    assert (score.staff_score, score.rd_score, score.results_score, score.total) == (12, 50, 30, 92)
    assert score.rd_basis == "sales"
    assert score.size_ok is True
    assert score.qualifies is True
    assert len(score.messages) == 4
    assert score.messages[0] == "科技人员：占职工总数20.00%，得12分（满分20分）"


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
    # sales 30,000,000; costs 100,000,000 so the costs basis stays lower.
    enterprise = make(rd_expense=D(rd), rd_expense_domestic=D(rd), total_costs=D("100000000"))
    score = assess(enterprise).tech_sme
    assert (score.rd_score, score.rd_basis) == (points, "sales")


def test_tech_sme_rd_takes_the_better_of_sales_and_costs():
    # R&D/sales 2% -> 10; R&D/costs 30% -> 50.
    enterprise = make(rd_expense=D("600000"), rd_expense_domestic=D("600000"), total_costs=D("2000000"))
    score = assess(enterprise).tech_sme
    assert (score.rd_score, score.rd_basis) == (50, "costs")
    assert "按成本费用总额计得50分" in score.messages[1]


def test_tech_sme_rd_costs_bands_boundary():
    # R&D/costs 29.99% -> 40; R&D/sales 1.99% -> 0.
    enterprise = make(rd_expense=D("599800"), rd_expense_domestic=D("599800"), total_costs=D("2000000"))
    score = assess(enterprise).tech_sme
    assert (score.rd_score, score.rd_basis) == (40, "costs")


def test_tech_sme_rd_with_one_basis_missing():
    enterprise = make(total_costs=None)
    assert assess(enterprise).tech_sme.rd_score == 50  # sales basis already at the maximum
    low = make(rd_expense=D("600000"), rd_expense_domestic=D("600000"), total_costs=None)
    score = assess(low).tech_sme
    assert (score.rd_score, score.total, score.qualifies) == (None, None, None)
    assert score.messages[1] == "研发投入：缺少2025年成本费用总额"


def test_tech_sme_rd_zero_sales_uses_costs():
    enterprise = make(sales_revenue=D("0"), hightech_revenue=D("0"), total_costs=D("6000000"))
    score = assess(enterprise).tech_sme
    assert (score.rd_score, score.rd_basis) == (50, "costs")


@pytest.mark.parametrize(
    ("class1", "class2", "points"),
    [(1, 0, 30), (0, 4, 24), (0, 9, 24), (0, 3, 18), (0, 2, 12), (0, 1, 6), (0, 0, 0), (2, None, 30)],
)
def test_tech_sme_results_bands(class1, class2, points):
    enterprise = make(ip_class1_count=class1, ip_class2_count=class2)
    assert assess(enterprise).tech_sme.results_score == points


def test_tech_sme_results_unknown_class1_is_undecided():
    score = assess(make(ip_class1_count=None, ip_class2_count=4)).tech_sme
    assert (score.results_score, score.total) == (None, None)


@pytest.mark.parametrize(
    ("values", "size_ok"),
    [
        ({"staff_count": 500, "st_staff_count": 100}, True),
        ({"staff_count": 501, "st_staff_count": 100}, False),
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
    assert score.qualifies is size_ok  # the score itself is high enough in every case


def test_tech_sme_needs_60_points():
    # staff 10% -> 4, R&D/sales 2% -> 10, costs 2.4% -> 0, Class II 2 -> 12: 26.
    enterprise = make(
        st_staff_count=10,
        rd_expense=D("600000"),
        rd_expense_domestic=D("600000"),
        ip_class1_count=0,
        ip_class2_count=2,
    )
    score = assess(enterprise).tech_sme
    assert (score.total, score.qualifies) == (26, False)


def test_tech_sme_zero_staff_score_disqualifies_despite_high_total():
    score = assess(make(st_staff_count=9)).tech_sme
    assert (score.staff_score, score.total, score.qualifies) == (0, 80, False)
    assert score.messages[-1] == "评分需不低于60分且科技人员指标不得为0分"


def test_tech_sme_direct_qualification_through_valid_hte_certificate():
    enterprise = make(st_staff_count=0, ip_class1_count=0, ip_class2_count=0)
    QualificationFactory(
        enterprise=enterprise, granted_on=datetime.date(2024, 11, 30), expires_on=datetime.date(2027, 11, 29)
    )
    score = assess(enterprise).tech_sme
    assert score.total == 50
    assert score.qualifies is True
    assert score.messages[-1] == "持有有效高新技术企业证书，满足规模条件即可直接确认为科技型中小企业"


def test_tech_sme_direct_qualification_still_needs_size_limits():
    enterprise = make(staff_count=600, st_staff_count=0)
    QualificationFactory(
        enterprise=enterprise, granted_on=datetime.date(2024, 11, 30), expires_on=datetime.date(2027, 11, 29)
    )
    assert assess(enterprise).tech_sme.qualifies is False


def test_tech_sme_expired_or_revoked_hte_certificate_does_not_qualify_directly():
    expired = make(st_staff_count=0)
    QualificationFactory(
        enterprise=expired, granted_on=datetime.date(2022, 11, 30), expires_on=datetime.date(2025, 11, 29)
    )
    assert assess(expired).tech_sme.qualifies is False
    revoked = make(st_staff_count=0)
    QualificationFactory(
        enterprise=revoked,
        granted_on=datetime.date(2024, 11, 30),
        expires_on=datetime.date(2027, 11, 29),
        revoked_on=datetime.date(2026, 1, 5),
    )
    assert assess(revoked).tech_sme.qualifies is False


# --- the template ---------------------------------------------------------------------------------


def test_partial_renders_criteria_badges_and_score():
    enterprise = make(hightech_revenue=D("15000000"))
    set_year(enterprise, 2025, net_assets=None)
    html = render_to_string("enterprises/_readiness.html", {"assessment": assess(enterprise)})
    assert 'class="table table-sm' in html
    for text in ("条件", "要求", "实际", "结论", "说明", "达标", "未达标", "缺数据", "750.00万元", "92"):
        assert text in html
    assert "依据2023–2025年度数据" in html


# --- the service keeps the stored flags in step ---------------------------------------------------


def test_figures_save_updates_hte_ready_and_tsme_score():
    enterprise = EnterpriseFactory(registered_on=datetime.date(2015, 3, 5))
    last = today().year - 1
    defaults = {field: getattr(FiguresFactory.build(), field) for field in FIGURE_FIELDS}
    for year in (last - 2, last - 1, last):
        figures_save(enterprise=enterprise, year=year, by=SystemActor("test"), **defaults)
    stored = Enterprise.objects.get(pk=enterprise.pk)
    assert (stored.hte_ready, stored.tsme_score) == (True, 92)

    figures_save(enterprise=enterprise, year=last, by=SystemActor("test"), st_staff_count=5)
    stored = Enterprise.objects.get(pk=enterprise.pk)
    # S&T 5%: HTE fails, tech-SME staff part 0 -> 80
    assert (stored.hte_ready, stored.tsme_score) == (False, 80)

    figures_save(enterprise=enterprise, year=last, by=SystemActor("test"), st_staff_count=None)
    stored = Enterprise.objects.get(pk=enterprise.pk)
    assert (stored.hte_ready, stored.tsme_score) == (None, None)
