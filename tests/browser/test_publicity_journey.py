"""公示 before payment in a real browser (issue 13): the reviewer publishes a batch, the public page shows
it to a visitor who is not logged in, finance's payment is refused before the notice period ends and
recorded after it (the portal's date is moved forward in the test)."""

import datetime
import sys

import pytest
from django.utils import timezone

from anyang_hte.core import dates
from anyang_hte.core.roles import Role
from incentives.models import FundingLine, Payment, Publicity, Reward
from incentives.services import payouts
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardWithLinesFactory, fund_generously

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRM = "安阳公示之旅科技有限公司"
BANK = "6230580000007654321"


def switch_user(page, username):
    page.goto(page.base_url + "/")
    page.click("button:has-text('退出')")
    login(page, username)


def move_today(monkeypatch, day: datetime.date) -> None:
    """The portal's today becomes ``day``: ``anyang_hte.core.dates.today`` and every module that
    imported it by name (the live server runs in this process, so its requests see the change)."""
    original = dates.today
    moved = lambda: day  # noqa: E731
    for module in list(sys.modules.values()):
        for name, value in list(getattr(module, "__dict__", {}).items()):
            if value is original and module is not dates:
                monkeypatch.setattr(module, name, moved)
    monkeypatch.setattr(dates, "today", moved)


def test_publish_then_pay_after_the_notice_period(page, browser, monkeypatch):
    fund_generously(years=sorted({2023, 2024, 2025, 2026, timezone.localdate().year}))
    UserFactory(username="reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    finance = UserFactory(username="finance_city", role=Role.CITY_FINANCE, jurisdiction=None)
    reward = RewardWithLinesFactory(
        enterprise=EnterpriseFactory(
            name=FIRM, jurisdiction=jurisdiction("410502"), bank_name="中原银行文峰支行", bank_account=BANK
        ),
        status=Reward.Status.APPROVED,
        approved_at=timezone.now(),
    )
    batch = payouts.batch_create(by=finance, name="2026年公示测试批次", source="city")
    payouts.batch_add_lines(batch=batch, lines_or_ids=[reward.lines.get(source="city")], by=finance)
    payouts.batch_lock(batch=batch, by=finance)
    page.on("dialog", lambda dialog: dialog.accept())  # paying asks to confirm

    # The reviewer publishes the batch for 公示.
    login(page, "reviewer")
    page.goto(page.base_url + "/rewards/publicity/")
    page.get_by_test_id("publicity-new").click()
    page.select_option("select[name=b-batch]", str(batch.pk))
    page.get_by_test_id("publish-batch").click()
    publicity = Publicity.objects.get()
    assert FIRM in page.get_by_test_id("publicity-entries").inner_text()
    ends_on = publicity.ends_on
    assert ends_on.isoformat() in page.get_by_test_id("publicity-period").inner_text()

    # A visitor without log-in (a fresh browser, English) reads the public page, in Chinese.
    visitor = browser.new_context(locale="en-US", extra_http_headers={"Accept-Language": "en"})
    public = visitor.new_page()
    public.goto(page.base_url + "/gongshi/")
    assert "拟奖励名单公示" in public.content() and "/accounts/login" not in public.url
    public.click(f"text={publicity.title}")
    text = public.locator("main").inner_text()
    assert FIRM in text and "文峰区" in text and "30.00" in text and "300,000.00" in text
    assert publicity.contact_phone in text and "公示期" in text
    assert BANK not in public.content() and "中原银行" not in public.content()
    visitor.close()

    # Finance: before the period ends the payment is refused, with the day it ends.
    switch_user(page, "finance_city")
    page.goto(page.base_url + f"/rewards/batches/{batch.pk}/")
    assert "公示中" in page.get_by_test_id("line-publicity").inner_text()
    hold = page.get_by_test_id("pay-hold").inner_text()
    assert f"公示期至 {ends_on.isoformat()} 结束" in hold
    assert page.get_by_test_id("pay-batch").is_disabled()
    # even when the button is forced, the service refuses (every payment door checks the period)
    page.fill("input[name=paid_on]", timezone.localdate().isoformat())
    page.fill("input[name=reference]", "PZ-GS-0001")
    page.get_by_test_id("pay-batch").evaluate("button => { button.disabled = false; }")
    page.get_by_test_id("pay-batch").click()
    assert f"公示期至 {ends_on.isoformat()} 结束" in page.get_by_test_id("payment-form").inner_text()
    assert page.locator("input[name=reference]").input_value() == "PZ-GS-0001"  # what was typed is kept
    assert not Payment.objects.exists()

    # The day after the period ends: payment goes through.
    after = ends_on + datetime.timedelta(days=1)
    move_today(monkeypatch, after)
    page.goto(page.base_url + f"/rewards/batches/{batch.pk}/")
    assert "公示期满" in page.get_by_test_id("line-publicity").inner_text()
    assert page.get_by_test_id("pay-hold").count() == 0
    page.fill("input[name=paid_on]", after.isoformat())
    page.fill("input[name=reference]", "PZ-GS-0002")
    page.get_by_test_id("pay-batch").click()
    assert "PZ-GS-0002" in page.get_by_test_id("batch-lines").inner_text()
    assert reward.lines.get(source="city").status == FundingLine.Status.PAID
    assert Payment.objects.get().paid_on == after
