"""An overdue reward in a real browser: flagged in the reviewer's queue, counted on the dashboard, and
the daily reminder in the reviewer's notifications."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from anyang_hte.core.roles import Role
from incentives.models import Reward
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardWithLinesFactory

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_overdue_reward_is_flagged_counted_and_reminded(page):
    wf = jurisdiction("410502")
    UserFactory(username="reviewer", role=Role.TECH_REVIEWER, jurisdiction=None, email="rev@example.org")
    county = UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=wf)
    ent = EnterpriseFactory(name="安阳久候精密机械有限公司", jurisdiction=wf)
    submitted_at = timezone.now() - datetime.timedelta(days=45)
    reward = RewardWithLinesFactory(
        enterprise=ent, status=Reward.Status.SUBMITTED, submitted_at=submitted_at, submitted_by=county
    )
    RewardWithLinesFactory(
        enterprise=EnterpriseFactory(name="安阳新近申报科技有限公司", jurisdiction=wf),
        status=Reward.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )

    # The review queue flags it, and 只看超期 keeps it alone.
    login(page, "reviewer")
    page.goto(page.base_url + "/rewards/?status=submitted")
    row = page.locator("tr", has_text="安阳久候精密机械有限公司")
    assert "已超期" in row.get_by_test_id("deadline").inner_text()
    fresh = page.locator("tr", has_text="安阳新近申报科技有限公司")
    assert "剩余 10 个工作日" in fresh.get_by_test_id("deadline").inner_text()
    page.select_option("select[name=overdue]", "any")
    page.click("button[type=submit]:has-text('筛选')")
    assert page.locator("tr", has_text="安阳久候精密机械有限公司").count() == 1
    assert page.locator("tr", has_text="安阳新近申报科技有限公司").count() == 0

    # The dashboard counts it under 文峰区's 审核超期, and the number opens the queue filtered to it.
    page.goto(page.base_url + "/assessment/")
    cell = page.get_by_test_id("overdue-410502-review")
    assert cell.inner_text() == "1"
    cell.click()
    assert "overdue=review" in page.url
    assert page.locator("tr", has_text="安阳久候精密机械有限公司").count() == 1

    # The daily reminder (run by hand as the beat task would) arrives in the reviewer's notifications.
    call_command("send_deadline_reminders")
    page.goto(page.base_url + "/")
    assert page.get_by_test_id("unread-count").inner_text() == "1"
    page.get_by_test_id("notification-bell").click()
    assert "超期提醒：1 项审核超期" in page.content()
    assert reward.enterprise.name in page.content()
