"""专项经费 in a real browser: the bureau records the year's money, an approval and a batch beyond the
balance are refused with the figures, and the override (with its reason) lets them through on the record."""

import pytest
from django.utils import timezone

from anyang_hte.core.roles import Role
from incentives.models import Appropriation, BalanceOverride, FundingLine, PayoutBatch, Reward
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardDocumentFactory, RewardWithLinesFactory

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def switch_user(page, username):
    page.goto(page.base_url + "/")
    page.click("button:has-text('退出')")
    login(page, username)


def record(page, *, source, amount, document, county=None):
    page.goto(page.base_url + "/rewards/budget/")
    page.get_by_test_id("appropriations-link").click()
    page.get_by_test_id("appropriation-new").click()
    page.select_option("select[name=source]", source)
    if county is not None:
        page.select_option("select[name=jurisdiction]", str(county.pk))
    page.fill("input[name=amount]", amount)
    page.fill("input[name=document]", document)
    page.fill("input[name=issued_on]", timezone.localdate().isoformat())
    page.click("button:has-text('保存')")
    assert "专项经费已录入" in page.content()


def test_money_beyond_the_appropriation_is_refused_then_overridden(page):
    year = timezone.localdate().year
    wf = jurisdiction("410502")
    county_user = UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=wf)
    UserFactory(username="reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    UserFactory(username="finance_city", role=Role.CITY_FINANCE, jurisdiction=None)
    rewards = []
    for name in ("安阳甲科技有限公司", "安阳乙科技有限公司"):
        reward = RewardWithLinesFactory(
            enterprise=EnterpriseFactory(
                name=name, jurisdiction=wf, bank_name="中原银行", bank_account="6230"
            ),
            qualification__granted_on=timezone.localdate().replace(month=1, day=10),
            status=Reward.Status.SUBMITTED,
            submitted_by=county_user,
        )
        for kind in ("certificate", "bank"):  # its papers complete: approving checks them first
            RewardDocumentFactory(reward=reward, kind=kind, uploaded_by=county_user)
        rewards.append(reward)

    # The bureau records this year's money: 20 万 of the city's, 100 万 of 文峰区's.
    login(page, "reviewer")
    record(page, source="city", amount="20", document=f"安财预〔{year}〕1号")
    record(page, source="county", amount="100", document=f"文财预〔{year}〕1号", county=wf)
    assert Appropriation.objects.count() == 2
    page.goto(page.base_url + "/rewards/appropriations/")
    assert page.get_by_test_id("appropriations").locator("tbody tr").count() == 2

    # The first approval fits (15 万 of the city's 20 万).
    page.goto(page.base_url + rewards[0].get_absolute_url())
    page.check("input[value=approve]")
    page.click("button:has-text('提交审核意见')")
    assert "已批准" in page.get_by_test_id("reward-status").inner_text()

    # The second goes beyond the city's balance: the page says so before and after the attempt.
    page.goto(page.base_url + rewards[1].get_absolute_url())
    short = f"{year}年市级专项经费余额 5.00 万元，本次需 15.00 万元。"
    assert short in page.get_by_test_id("balance-short").inner_text()
    page.check("input[value=approve]")
    page.click("button:has-text('提交审核意见')")
    assert short in page.content()
    assert "待审核" in page.get_by_test_id("reward-status").inner_text()

    # The override, with its reason, lets it through and is on the record.
    page.check("input[value=approve]")
    page.check("input[name=override]")
    page.fill("input[name=override_reason]", "追加经费已报市政府审批")
    page.click("button:has-text('提交审核意见')")
    assert "已批准" in page.get_by_test_id("reward-status").inner_text()
    assert "-10.00" in page.get_by_test_id("funds").inner_text()
    override = BalanceOverride.objects.get(kind="approval")
    assert override.reason == "追加经费已报市政府审批" and override.reward_id == rewards[1].pk

    # City finance: batching 30 万 over a 20 万 appropriation is refused, then overridden.
    switch_user(page, "finance_city")
    page.goto(page.base_url + "/rewards/lines/")
    assert f"{year}年市级专项经费" in page.get_by_test_id("funds").inner_text()
    page.click("button:has-text('以筛选结果新建批次')")
    assert f"{year}年市级专项经费可编入批次的余额 20.00 万元" in page.content()
    assert not PayoutBatch.objects.exists()
    page.check("input[name=override]")
    page.fill("input[name=override_reason]", "财政局同意先行拨付")
    page.click("button:has-text('以筛选结果新建批次')")
    batch = PayoutBatch.objects.get()
    assert batch.lines.filter(status=FundingLine.Status.BATCHED).count() == 2
    assert BalanceOverride.objects.filter(kind="batch", batch=batch).exists()

    # The print view: the sheet to sign, without navigation or forms.
    page.get_by_test_id("batch-print").click()
    assert page.get_by_test_id("signature-block").is_visible()
    assert "制表人" in page.get_by_test_id("signature-block").inner_text()
    assert page.locator("form").count() == 0 and page.locator("nav").count() == 0
