"""The city's Little Giant reserve (科技小巨人备案, plan task 2): who is a candidate.

Each condition on both sides of its boundary, through ``little_giant`` with an explicit reference day (so
the tests do not depend on today's date), and the list's single query.
"""

import datetime
from decimal import Decimal

import pytest

from anyang_hte.core.roles import Role
from assessment.registers import little_giant
from assessment.registers.little_giant import FAIL, MISSING, PASS
from assessment.registers.models import LittleGiantReserveEntry
from assessment.registers.selectors import lg_reserve_list
from enterprises.models import Enterprise, IntellectualProperty, IPAcquisition, IPKind, Qualification
from tests.factories import FiguresFactory, UserFactory, jurisdiction

from .lg_reserve_helpers import WF, make_entry, make_firm, registration

pytestmark = [pytest.mark.django_db]

S = LittleGiantReserveEntry.Status
Y = 2025  # the rule's year in the rule tests; the reference day is given explicitly
ON = datetime.date(Y, 6, 30)


def row(enterprise, *, year=Y, on=ON):
    return little_giant.row_for(enterprise, year=year, on=on)


def is_listed(enterprise, *, year=Y, on=ON) -> bool:
    return enterprise.pk in {
        r.enterprise.pk for r in little_giant.rows(Enterprise.objects.all(), year=year, on=on)
    }


# --- the rule ----------------------------------------------------------------------------------


def test_a_firm_meeting_all_four_conditions_is_a_candidate_with_each_figure():
    firm = make_firm(year=Y, sales=Decimal("20000000.00"), rd=Decimal("1234567.89"), ip1=1, ip2=3)
    r = row(firm)
    assert r.is_candidate and r.failures == []
    assert (r.tech_sme, r.field, r.rd_share, r.ip) == (PASS, PASS, PASS, PASS)
    assert r.tech_sme_number == f"{Y}4105020{firm.pk:05d}"
    assert r.field_label == "电子信息"
    assert r.sales == Decimal("20000000.00") and r.rd == Decimal("1234567.89")
    assert r.rd_share_percent == Decimal("6.17")  # 6.1728394… rounded down
    assert (r.ip_class1, r.ip_class2, r.ip_count) == (1, 3, 4)
    assert is_listed(firm)


def test_exactly_three_percent_qualifies_and_a_fen_less_does_not():
    exact = make_firm(year=Y, sales=Decimal("10000000.00"), rd=Decimal("300000.00"))
    under = make_firm(year=Y, sales=Decimal("10000000.00"), rd=Decimal("299999.99"))
    assert row(exact).is_candidate and row(exact).rd_share_percent == Decimal("3.00")
    assert not row(under).is_candidate and row(under).rd_share == FAIL
    # 2.9999999 % is shown as 2.99 %, never as a 3.00 % it does not reach.
    assert row(under).rd_share_percent == Decimal("2.99")
    assert row(under).failures == [f"{Y - 1}年研发费用占营业收入2.99%，低于3%"]
    assert is_listed(exact) and not is_listed(under)


def test_the_ratio_is_exact_where_floating_point_is_not():
    # 3 % of 12,345,678.00 is 370,370.34 exactly; in binary floating point neither side is exact.
    exact = make_firm(year=Y, sales=Decimal("12345678.00"), rd=Decimal("370370.34"))
    under = make_firm(year=Y, sales=Decimal("12345678.00"), rd=Decimal("370370.33"))
    assert row(exact).is_candidate and row(exact).rd_share_percent == Decimal("3.00")
    assert not row(under).is_candidate and row(under).rd_share_percent == Decimal("2.99")
    assert is_listed(exact) and not is_listed(under)


def test_only_a_registration_valid_on_the_day_counts():
    this_year = make_firm(year=Y)
    last_year = make_firm(year=Y, registered=False)
    registration(last_year, year=Y - 1)  # valid until 31 December of Y−1
    none = make_firm(year=Y, registered=False)
    revoked = make_firm(year=Y, registered=False)
    registration(revoked, year=Y, revoked_on=datetime.date(Y, 5, 1), revoke_reason="撤销")
    later = make_firm(year=Y, registered=False)
    registration(later, year=Y, granted_on=datetime.date(Y, 7, 1))  # after the reference day
    no_expiry = make_firm(year=Y, registered=False)  # a row of Y−1 without an expiry: its year still ended
    registration(no_expiry, year=Y - 1)
    Qualification.objects.filter(enterprise=no_expiry).update(expires_on=None)
    assert row(this_year).tech_sme == PASS
    for firm in (last_year, none, revoked, later, no_expiry):
        r = row(firm)
        assert r.tech_sme == FAIL and not r.is_candidate and not is_listed(firm), firm
        assert r.failures == ["无有效的科技型中小企业入库登记"]
    # On 1 January of the next year, this year's registration no longer counts either.
    assert row(this_year, year=Y + 1, on=datetime.date(Y + 1, 1, 1)).tech_sme == FAIL


def test_a_firm_without_a_key_field_is_not_a_candidate():
    for field in ("", "agriculture"):
        firm = make_firm(year=Y, field=field)
        assert row(firm).field == FAIL and not row(firm).is_candidate and not is_listed(firm), field
    assert row(make_firm(year=Y, field="advanced_manufacturing")).field_label == "先进制造与自动化"


@pytest.mark.parametrize(
    ("ip1", "ip2", "state"),
    [(1, 0, PASS), (0, 1, PASS), (None, 1, PASS), (1, None, PASS), (0, 0, FAIL), (None, None, MISSING)],
)
def test_own_ip_is_one_class_i_or_class_ii_item(ip1, ip2, state):
    firm = make_firm(year=Y, ip1=ip1, ip2=ip2)
    assert row(firm).ip == state
    assert row(firm).is_candidate is (state == PASS)
    assert is_listed(firm) is (state == PASS)


def test_an_item_of_the_ip_register_held_on_the_day_is_own_ip():
    held = make_firm(year=Y, ip1=0, ip2=0)
    IntellectualProperty.objects.create(
        enterprise=held,
        kind=IPKind.SOFTWARE,
        title="管理软件",
        number="2024SR000001",
        granted_on=datetime.date(Y - 1, 3, 1),
        acquisition=IPAcquisition.SELF,
    )
    later = make_firm(year=Y, ip1=0, ip2=0)  # granted after the reference day
    lapsed = make_firm(year=Y, ip1=0, ip2=0)  # lapsed on or before it
    for firm, granted, lapsed_on in ((later, ON + datetime.timedelta(days=1), None), (lapsed, ON, ON)):
        IntellectualProperty.objects.create(
            enterprise=firm,
            kind=IPKind.INVENTION,
            title="发明",
            number=f"ZL{firm.pk}",
            granted_on=granted,
            lapsed_on=lapsed_on,
            acquisition=IPAcquisition.SELF,
        )
    r = row(held)
    assert r.register_ip and r.ip == PASS and r.is_candidate and is_listed(held)
    assert (
        dict((key, figure) for key, _label, figure, _state in r.conditions())["ip"]
        == "知识产权明细中有有效的知识产权"
    )
    assert r.snapshot()["ip_register"] is True
    for firm in (later, lapsed):
        assert not row(firm).register_ip and row(firm).ip == FAIL and not is_listed(firm), firm


def test_missing_or_zero_revenue_and_missing_figures():
    no_figures = make_firm(year=Y, figures=False)
    FiguresFactory(enterprise=no_figures, year=Y - 2)  # an older year does not stand in for Y−1
    FiguresFactory(enterprise=no_figures, year=Y)  # nor does this year's
    zero = make_firm(year=Y, sales=Decimal("0.00"), rd=Decimal("0.00"))
    no_sales = make_firm(year=Y, sales=None)
    no_rd = make_firm(year=Y, rd=None)
    assert row(no_figures).rd_share == MISSING and row(no_figures).ip == MISSING
    assert row(no_figures).failures == [f"缺少{Y - 1}年营业收入或研发费用", f"缺少{Y - 1}年知识产权数"]
    assert row(zero).rd_share == FAIL and row(zero).rd_share_percent is None
    assert row(zero).failures == [f"{Y - 1}年营业收入为零"]
    assert row(no_sales).rd_share == MISSING and row(no_rd).rd_share == MISSING
    for firm in (no_figures, zero, no_sales, no_rd):
        assert not row(firm).is_candidate and not is_listed(firm)


def test_the_list_holds_candidates_and_entries_only(reviewer, county_official):
    candidate = make_firm(year=Y)
    proposed_anyway = make_firm(year=Y, ip2=0)
    make_entry(
        proposed_anyway, by=county_official, year=Y, was_candidate=False, exception_reason="专利已受理"
    )
    make_firm(year=Y, ip2=0)  # neither: not listed
    make_entry(make_firm(year=Y, ip2=0), by=county_official, year=Y - 1)  # an entry of another year only
    rows = little_giant.rows(Enterprise.objects.all(), year=Y, on=ON)
    listed = {r.enterprise.pk: r for r in rows}
    assert set(listed) == {candidate.pk, proposed_anyway.pk}
    assert listed[candidate.pk].entry_id is None and listed[candidate.pk].is_candidate
    assert listed[proposed_anyway.pk].entry_status == S.PROPOSED
    assert (
        listed[proposed_anyway.pk].entry_reason == "专利已受理"
        and not listed[proposed_anyway.pk].is_candidate
    )


def test_the_list_is_one_query_whatever_its_size(django_assert_num_queries, county_official):
    for n in range(12):
        firm = make_firm(year=Y, ip2=n % 3)
        if n % 4 == 0:
            make_entry(firm, by=county_official, year=Y, was_candidate=bool(n % 3), exception_reason="理由")
    with django_assert_num_queries(1):
        reserve = lg_reserve_list(Enterprise.objects.all(), year=Y)
        [(r.tech_sme, r.field, r.rd_share, r.ip, r.enterprise.jurisdiction.name) for r in reserve.rows]
    assert reserve.counts == {"candidates": 8, "none": 6, S.PROPOSED: 3}


def test_status_filter_and_order():
    official = UserFactory(username="lg_c", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction(WF))
    firms = [make_firm(year=Y, name=f"安阳{n}号科技有限公司") for n in range(4)]
    make_entry(firms[1], by=official, year=Y, status=S.CONFIRMED)
    make_entry(firms[2], by=official, year=Y, status=S.DECLINED)
    make_entry(firms[3], by=official, year=Y)
    reserve = lg_reserve_list(Enterprise.objects.all(), year=Y)
    assert [r.enterprise for r in reserve.rows] == [firms[3], firms[1], firms[0], firms[2]]
    assert [r.enterprise for r in lg_reserve_list(Enterprise.objects.all(), year=Y, status="none").rows] == [
        firms[0]
    ]
    confirmed = lg_reserve_list(Enterprise.objects.all(), year=Y, status=S.CONFIRMED)
    assert [r.enterprise for r in confirmed.rows] == [firms[1]] and confirmed.counts[S.DECLINED] == 1
