"""The reviewer approves a selection of the review queue at once, in a real browser: each reward is
checked on its own and the page lists what was approved and what was refused, with the reason."""

import datetime

import pytest
from django.utils import timezone

from anyang_hte.core.roles import Role
from incentives.models import FundingLine, Reward
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardDocumentFactory, RewardWithLinesFactory, fund_generously

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_reviewer_approves_in_bulk(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fund_generously()  # the 专项经费 recorded: the refusal shown is the papers', not the money's
    wf = jurisdiction("410502")
    county = UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=wf)
    UserFactory(username="reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    rewards = {}
    for days, name, bank_account in (
        (9, "安阳甲科技有限公司", "6230580000000001"),
        (4, "安阳乙科技有限公司", "6230580000000002"),
        (2, "安阳丙科技有限公司", ""),  # the account was struck from the ledger after submission
    ):
        enterprise = EnterpriseFactory(
            name=name, jurisdiction=wf, bank_name="中原银行文峰支行", bank_account=bank_account
        )
        reward = RewardWithLinesFactory(
            enterprise=enterprise, status=Reward.Status.SUBMITTED, submitted_by=county
        )
        RewardDocumentFactory(reward=reward, kind="certificate", uploaded_by=county)
        RewardDocumentFactory(reward=reward, kind="bank", uploaded_by=county)
        Reward.objects.filter(pk=reward.pk).update(
            submitted_at=timezone.now() - datetime.timedelta(days=days)
        )
        rewards[name] = reward

    login(page, "reviewer")
    page.goto(page.base_url + "/rewards/?status=submitted")
    table = page.locator("table.ledger-table")
    assert "提交日期" in table.inner_text() and "等待天数" in table.inner_text()
    first_row = table.locator("tbody tr").first
    assert "安阳甲科技有限公司" in first_row.inner_text() and "9" in first_row.inner_text()  # longest first

    page.get_by_test_id(f"select-{rewards['安阳甲科技有限公司'].pk}").check()
    page.get_by_test_id(f"select-{rewards['安阳丙科技有限公司'].pk}").check()
    page.fill("input[name=comment]", "材料齐全，同意")
    page.click("button:has-text('批准所选奖励')")

    assert "已批准 1 笔，未批准 1 笔" in page.get_by_test_id("bulk-summary").inner_text()
    approved = page.get_by_test_id(f"result-{rewards['安阳甲科技有限公司'].pk}").inner_text()
    refused = page.get_by_test_id(f"result-{rewards['安阳丙科技有限公司'].pk}").inner_text()
    assert "已批准" in approved
    assert "未批准" in refused and "企业银行账号" in refused

    statuses = {name: Reward.objects.get(pk=r.pk).status for name, r in rewards.items()}
    assert statuses == {
        "安阳甲科技有限公司": Reward.Status.APPROVED,
        "安阳乙科技有限公司": Reward.Status.SUBMITTED,  # not ticked
        "安阳丙科技有限公司": Reward.Status.SUBMITTED,
    }
    assert set(rewards["安阳甲科技有限公司"].lines.values_list("status", flat=True)) == {
        FundingLine.Status.APPROVED
    }

    # Back in the queue: the approved reward has left it, the refused one waits for the county.
    page.click("text=返回审核队列")
    queue = page.locator("table.ledger-table").inner_text()
    assert "安阳甲科技有限公司" not in queue and "安阳丙科技有限公司" in queue
