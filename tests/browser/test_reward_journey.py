"""A reward from certificate to payment, in a real browser, by the three offices in turn."""

import io

import openpyxl
import pytest
from django.utils import timezone

from anyang_hte.core.roles import Role
from incentives.models import Payment, Reward
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import fund_generously, publicized

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def switch_user(page, username):
    page.goto(page.base_url + "/")
    page.click("button:has-text('退出')")
    login(page, username)


def test_reward_from_certificate_to_payment(page, tmp_path):
    wf = jurisdiction("410502")
    fund_generously(years=(timezone.localdate().year,))  # this year's 专项经费, ample
    UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=wf, email="wf@example.org")
    UserFactory(username="reviewer", role=Role.TECH_REVIEWER, jurisdiction=None, email="rev@example.org")
    UserFactory(username="finance_city", role=Role.CITY_FINANCE, jurisdiction=None)
    UserFactory(username="finance_wf", role=Role.COUNTY_FINANCE, jurisdiction=wf)
    ent = EnterpriseFactory(
        name="安阳瑞达智能装备有限公司",
        jurisdiction=wf,
        bank_name="中原银行文峰支行",
        bank_account="6230580000001234567",
    )
    certificate = tmp_path / "证书.pdf"
    certificate.write_bytes(b"%PDF-1.4\n% certificate scan\n")
    bank = tmp_path / "银行确认书.png"
    bank.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)

    # The county records the new HTE certificate; the engine generates the reward.
    login(page, "county_wf")
    page.goto(page.base_url + f"/ledger/{ent.pk}/qualifications/new/")
    page.select_option("select[name=kind]", "hte")
    page.fill("input[name=number]", "GR202641000123")
    page.fill("input[name=granted_on]", (timezone.localdate().replace(day=1)).isoformat())
    page.click("button:has-text('保存')")
    page.goto(page.base_url + "/rewards/")
    page.click("text=安阳瑞达智能装备有限公司")
    assert "300,000.00" in page.content()

    # Submit with its documents.
    page.select_option("select[name=kind]", "certificate")
    page.set_input_files("input[name=file]", str(certificate))
    page.click("button:has-text('上传')")
    page.select_option("select[name=kind]", "bank")
    page.set_input_files("input[name=file]", str(bank))
    page.click("button:has-text('上传')")
    assert page.get_by_test_id("documents").locator("tbody tr").count() == 2
    page.click("button:has-text('提交市科技局审核')")
    assert "待审核" in page.get_by_test_id("reward-status").inner_text()
    reward_url = page.url

    # The reviewer returns it with a reason.
    switch_user(page, "reviewer")
    page.goto(reward_url)
    page.check("input[value=return]")
    page.fill("textarea[name=comment]", "银行账户确认书未盖章")
    page.click("button:has-text('提交审核意见')")
    assert "已退回" in page.get_by_test_id("reward-status").inner_text()

    # The county resubmits.
    switch_user(page, "county_wf")
    page.goto(reward_url)
    assert "银行账户确认书未盖章" in page.get_by_test_id("decisions").inner_text()
    page.click("button:has-text('提交市科技局审核')")
    assert "待审核" in page.get_by_test_id("reward-status").inner_text()

    # Someone else approves it.
    switch_user(page, "reviewer")
    page.goto(reward_url)
    page.check("input[value=approve]")
    page.click("button:has-text('提交审核意见')")
    assert "已批准" in page.get_by_test_id("reward-status").inner_text()
    # its 公示 held and ended (tests/browser/test_publicity_journey.py walks the 公示 itself)
    publicized(Reward.objects.filter(enterprise=ent))

    # City finance batches its share, locks, exports and records payment; the county pays its own.
    page.on("dialog", lambda dialog: dialog.accept())  # locking and paying ask to confirm
    for finance, share in (("finance_city", "city"), ("finance_wf", "county")):
        switch_user(page, finance)
        page.goto(page.base_url + "/rewards/lines/")
        assert "安阳瑞达智能装备有限公司" in page.content()
        page.click("button:has-text('以筛选结果新建批次')")
        page.click("button:has-text('锁定批次')")
        with page.expect_download() as info:
            page.get_by_test_id("payout-xlsx").click()
        sheet = openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes())).active
        cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        assert "壹拾伍万元整" in cells and "安阳瑞达智能装备有限公司" in cells
        page.fill("input[name=paid_on]", timezone.localdate().isoformat())
        page.fill("input[name=reference]", f"PZ-{share}-0001")
        page.click("button:has-text('登记整批拨付')")
        assert f"PZ-{share}-0001" in page.get_by_test_id("batch-lines").inner_text()

    reward = Reward.objects.get(enterprise=ent)
    assert reward.status == Reward.Status.PAID and Payment.objects.filter(line__reward=reward).count() == 2

    # The budget view shows the money paid.
    switch_user(page, "reviewer")
    page.goto(page.base_url + "/rewards/budget/")
    budget = page.get_by_test_id("budget").inner_text()
    assert "30.00" in budget
