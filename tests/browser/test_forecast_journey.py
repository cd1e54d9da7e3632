"""The forecast of next year's rewards in a real browser: the reviewer opens it from the dashboard, sees
the range and the chart, clicks a number and sees the firms behind it; a county official sees only its
own county."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from anyang_hte.core.roles import Role
from applications.models import RoundEntry
from tests.applications.conftest import make_entry, make_round
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = RoundEntry.Status


def test_reviewer_opens_the_forecast_and_the_firms_behind_a_number(page):
    year = timezone.localdate().year
    wf, lz = jurisdiction("410502"), jurisdiction("410581")
    closed = make_round(year=year - 1, ahead=(-300, -200, -100), status="closed")
    for status in (S.CERTIFIED, S.CERTIFIED, S.CERTIFIED, S.NOT_CERTIFIED):  # 认定率 3/4
        make_entry(closed, status, "410502")
    current = make_round(year=year)
    make_entry(
        current, S.PASSED, enterprise=EnterpriseFactory(name="安阳初审通过科技有限公司", jurisdiction=wf)
    )
    EnterpriseFactory(name="林州符合条件科技有限公司", jurisdiction=lz, hte_ready=True)
    UserFactory(username="fc_reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    UserFactory(username="fc_county", role=Role.COUNTY_OFFICIAL, jurisdiction=wf)

    login(page, "fc_reviewer")
    page.goto(page.base_url + "/assessment/")
    page.get_by_test_id("forecast-link").click()
    expect(page.get_by_test_id("forecast-title")).to_contain_text(f"{year + 1}年度高企奖励资金预测（全市）")
    # low: 0.75 × 30万; expected: 22.50 + 0.6 × 1 × 1 × 0.75 × 30万 = 22.50 + 13.50; high: 60万
    expect(page.get_by_test_id("range-low")).to_have_text("22.50")
    expect(page.get_by_test_id("range-expected")).to_have_text("36.00")
    expect(page.get_by_test_id("range-high")).to_have_text("60.00")
    expect(page.locator("canvas[data-drawn]")).to_have_count(1)
    expect(page.get_by_test_id("table-by-county")).to_contain_text("林州市")
    expect(page.get_by_test_id("forecast-method")).to_contain_text("接近符合")

    # 林州市's expected money: one click to its firm, with its step and probability.
    page.get_by_test_id("county-410581").get_by_test_id("cell-410581-expected").click()
    expect(page.get_by_test_id("firms-title")).to_contain_text("林州市 · 预期")
    firms = page.get_by_test_id("forecast-firms")
    expect(firms).to_contain_text("林州符合条件科技有限公司")
    expect(firms).to_contain_text("符合条件，尚未登记意向")
    expect(firms).to_contain_text("45.00%")
    expect(firms).not_to_contain_text("安阳初审通过科技有限公司")
    expect(page.get_by_test_id("firms-total")).to_contain_text("13.50")

    # The county official: its own county only.
    page.context.clear_cookies()
    login(page, "fc_county")
    page.goto(page.base_url + "/assessment/forecast/")
    expect(page.get_by_test_id("forecast-title")).to_contain_text("文峰区")
    expect(page.get_by_test_id("range-expected")).to_have_text("22.50")
    expect(page.get_by_test_id("table-by-county")).not_to_contain_text("林州市")
