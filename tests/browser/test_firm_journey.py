"""The enterprise's own door and the year's round, in a real browser, by every office in turn:

a firm registers → its county confirms → the firm submits its figures and sees 待补充 then 符合 →
declares its intention → the county recommends → the reviewer passes 初审 → the province's list is
imported → the firm sees its certificate, its reward and, once finance pays, both shares paid.
"""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from anyang_hte.core.roles import Role
from applications.models import ApplicationRound, RoundEntry
from enterprises.models import Enterprise, FirmSubmission
from incentives.models import Reward
from tests.factories import UserFactory, jurisdiction, make_credit_code
from tests.incentives.factories import fund_generously, publicized

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRM = "安阳星河微电子科技有限公司"
PASSWORD = "Xinghe-2026-firm"

# Three years of figures in 万元 (as the form takes them): sales ≤ 5000万 → R&D ≥ 5 %; high-tech
# revenue 80 % of 总收入; 20 % S&T staff; one invention patent; three conversions a year.
FIGURES = {
    2023: {"sales_revenue": "3000", "total_income": "3050", "net_assets": "2000", "rd_expense": "180"},
    2024: {"sales_revenue": "3600", "total_income": "3650", "net_assets": "2400", "rd_expense": "216"},
    2025: {"sales_revenue": "4400", "total_income": "4500", "net_assets": "2900", "rd_expense": "264"},
}
# The firm's innovation self-score (88 of 100), inside each item's band for these figures.
POINTS = {
    "ip_advancement": "8",
    "ip_core_support": "8",
    "ip_quantity": "8",
    "ip_acquisition": "6",
    "conversion": "26",
    "rd_management": "6",
    "rd_institution": "6",
    "conversion_system": "4",
    "talent": "4",
    "net_asset_growth": "6",
    "sales_growth": "6",
}


def logout(page):
    page.goto(page.base_url + "/")
    page.click("nav button:has-text('退出')")


def switch_user(page, username, password="pass-1234-word"):
    logout(page)
    login(page, username, password)


def province_list(code: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["河南省2026年第一批拟认定高新技术企业名单"])
    sheet.append(["序号", "企业名称", "统一社会信用代码", "证书编号", "所在地"])
    sheet.append([1, FIRM, code, "GR202641000777", "安阳市"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def accept_submission(page, submission: FirmSubmission):
    page.goto(page.base_url + f"/ledger/submissions/{submission.pk}/")
    page.click("button:has-text('确认并写入台账')")
    assert "已确认" in page.get_by_test_id("submission-status").inner_text()


def test_a_firm_from_registration_to_its_paid_reward(page, tmp_path):
    today = timezone.localdate()
    wf = jurisdiction("410502")
    fund_generously(years=(today.year - 1, today.year))  # 专项经费 of the certificate's year, ample
    UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=wf)
    reviewer = UserFactory(username="reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    UserFactory(username="finance_city", role=Role.CITY_FINANCE, jurisdiction=None)
    UserFactory(username="finance_wf", role=Role.COUNTY_FINANCE, jurisdiction=wf)
    ApplicationRound.objects.create(
        year=today.year,
        intention_deadline=today + datetime.timedelta(days=14),
        recommendation_deadline=today + datetime.timedelta(days=28),
        review_deadline=today + datetime.timedelta(days=45),
        opened_by=reviewer,
        opened_at=timezone.now(),
    )
    code = make_credit_code(20261130)

    # 1. The firm registers itself; until its county confirms, it sees nothing.
    page.goto(page.base_url + "/accounts/login/")
    page.click("a[href='/firm/register/']")
    page.fill("input[name=credit_code]", code.lower())  # typed in lower case: normalised
    page.fill("input[name=name]", FIRM)
    page.select_option("select[name=jurisdiction]", str(wf.pk))
    page.fill("input[name=contact_name]", "何经理")
    page.fill("input[name=contact_phone]", "13937201234")
    page.fill("input[name=email]", "hx@example.cn")
    page.fill("input[name=username]", "xinghe")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("main button[type=submit]")
    assert "等待文峰区科技部门确认" in page.content()
    login(page, "xinghe", PASSWORD)
    assert page.get_by_test_id("firm-not-linked").is_visible()

    # 2. The county confirms: the firm, in no ledger yet, is added to 文峰区's.
    switch_user(page, "county_wf")
    page.goto(page.base_url + "/firm/registrations/?status=pending")
    page.get_by_test_id("registrations").locator("button:has-text('确认')").first.click()
    enterprise = Enterprise.objects.get(credit_code=code)
    assert enterprise.jurisdiction == wf and enterprise.firm_users.get().username == "xinghe"

    # 3. The firm evaluates itself: nothing to judge on yet.
    switch_user(page, "xinghe", PASSWORD)
    page.goto(page.base_url + "/firm/evaluation/")
    assert "待补充" in page.get_by_test_id("evaluation-summary").inner_text()

    # ... submits its profile (field, founding date, bank) and three years of figures.
    page.goto(page.base_url + "/firm/submissions/profile/")
    page.select_option("select[name=tech_field]", "electronic_info")
    page.fill("input[name=registered_on]", "2015-05-01")
    page.fill("input[name=bank_name]", "中原银行文峰支行")
    page.fill("input[name=bank_account]", "6230580000007654321")
    page.click("button:has-text('提交县区确认')")
    for year, money in FIGURES.items():
        page.goto(page.base_url + f"/firm/submissions/figures/?year={year}")
        page.fill("input[name=year]", str(year))
        values = {
            **money,
            "rd_expense_domestic": money["rd_expense"],
            "total_costs": "2500",
            "hightech_revenue": str(int(int(money["total_income"]) * 0.8)),
            "total_assets": "5000",
            "staff_count": "100",
            "st_staff_count": "20",
            "ip_class1_count": "1",
            "ip_class2_count": "4",
            "conversions_count": "5",
        }
        if year == 2024:
            values["st_staff_count"] = "120"  # more S&T staff than staff: refused, named, the input kept
        for name, value in values.items():
            page.fill(f"input[name={name}]", value)
        page.click("button:has-text('提交县区确认')")
        if year == 2024:
            assert page.get_by_test_id("form-refused").is_visible()
            assert "不能大于职工总数" in page.content()
            assert page.input_value("input[name=st_staff_count]") == "120"
            assert page.input_value("input[name=sales_revenue]") == "3600"
            page.fill("input[name=st_staff_count]", "20")
            page.click("button:has-text('提交县区确认')")
    assert FirmSubmission.objects.filter(enterprise=enterprise, status="submitted").count() == 4

    # 4. The county checks each submission against the ledger and accepts it.
    switch_user(page, "county_wf")
    page.goto(page.base_url + "/ledger/submissions/")
    assert page.get_by_text(FIRM).count() >= 4
    for submission in FirmSubmission.objects.filter(enterprise=enterprise, status="submitted").order_by("pk"):
        accept_submission(page, submission)

    # The firm's figures now count; the innovation score is what is still missing. It scores itself.
    switch_user(page, "xinghe", PASSWORD)
    page.goto(page.base_url + "/firm/evaluation/")
    summary = page.get_by_test_id("evaluation-summary").inner_text()
    assert "待补充" in summary and "创新能力" in summary
    page.goto(page.base_url + "/firm/evaluation/innovation/")
    if page.locator("select[name=ip_self_developed]").count():
        page.select_option("select[name=ip_self_developed]", "True")
    for name, value in POINTS.items():
        page.fill(f"input[name={name}]", value)
    page.click("main button[type=submit]")
    assert "88" in page.get_by_test_id("draft-total").inner_text()

    # The county adopts the firm's self-score as its evaluation.
    switch_user(page, "county_wf")
    page.goto(page.base_url + f"/ledger/{enterprise.pk}/innovation/{today.year}/?draft=1")
    page.click("main button:has-text('保存')")
    enterprise.refresh_from_db()
    assert enterprise.tech_field == "electronic_info" and enterprise.figures.count() == 3

    # 5. The firm now reads 符合 for this year's round, and declares its intention.
    switch_user(page, "xinghe", PASSWORD)
    page.goto(page.base_url + "/firm/evaluation/")
    assert "符合" in page.get_by_test_id("evaluation-summary").inner_text()
    assert "不符合" not in page.get_by_test_id("evaluation-summary").inner_text()
    page.goto(page.base_url + "/firm/round/")
    page.get_by_test_id("firm-declare").locator("button").click()
    entry = RoundEntry.objects.get(enterprise=enterprise)
    assert entry.status == RoundEntry.Status.INTENTION and not entry.on_behalf

    # 6. The county recommends; the reviewer passes the city's 初审.
    switch_user(page, "county_wf")
    page.goto(page.base_url + f"/rounds/entries/{entry.pk}/")
    page.click("button:has-text('推荐至市科技局')")
    switch_user(page, "reviewer")
    page.goto(page.base_url + f"/rounds/entries/{entry.pk}/")
    page.click("button:has-text('初审通过')")
    entry.refresh_from_db()
    assert entry.status == RoundEntry.Status.PASSED

    # 7. The province's list is imported: the certificate, the 认定 and the reward follow.
    listing = tmp_path / "省认定名单.xlsx"
    listing.write_bytes(province_list(code))
    page.goto(page.base_url + "/rewards/official-lists/")
    page.select_option("select[name=kind]", "hte")
    page.fill("input[name=granted_on]", today.isoformat())
    page.set_input_files("input[name=file]", str(listing))
    page.click("button:has-text('上传并预览')")
    # The preview shows the match and the money before anything is written; the reviewer confirms.
    preview = page.get_by_test_id("preview-rows")
    assert "新认定高新技术企业奖励" in preview.inner_text()
    assert "30.00" in page.get_by_test_id("preview-amount").inner_text()
    assert not Reward.objects.filter(enterprise=enterprise).exists()
    page.get_by_test_id("list-confirm").locator("button").click()
    page.wait_for_url("**/rewards/official-lists/*/")
    entry.refresh_from_db()
    assert entry.status == RoundEntry.Status.CERTIFIED
    reward = Reward.objects.get(enterprise=enterprise)

    # 8. The firm sees its certificate and its reward; uploads its papers; the county submits.
    switch_user(page, "xinghe", PASSWORD)
    page.goto(page.base_url + "/firm/")
    assert "GR202641000777" in page.content()
    page.goto(page.base_url + "/firm/round/")
    assert "认定" in page.get_by_test_id("firm-round").inner_text()
    page.goto(page.base_url + "/firm/rewards/")
    card = page.get_by_test_id("firm-reward")
    assert "30.00" in card.get_by_test_id("reward-amount").inner_text()
    certificate = tmp_path / "证书.pdf"
    certificate.write_bytes(b"%PDF-1.4\n% certificate scan\n")
    bank = tmp_path / "银行确认书.png"
    bank.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    for kind, path in (("certificate", certificate), ("bank", bank)):
        page.select_option(f"select[name=r{reward.pk}-kind]", kind)
        page.set_input_files(f"input[name=r{reward.pk}-file]", str(path))
        page.get_by_test_id("firm-upload").locator("button").click()
    assert page.get_by_test_id("firm-document").count() == 2

    switch_user(page, "county_wf")
    page.goto(page.base_url + f"/rewards/{reward.pk}/")
    page.click("button:has-text('提交市科技局审核')")
    switch_user(page, "reviewer")  # not who submitted it
    page.goto(page.base_url + f"/rewards/{reward.pk}/")
    page.check("input[value=approve]")
    page.click("button:has-text('提交审核意见')")
    # its 公示 held and ended (tests/browser/test_publicity_journey.py walks the 公示 itself)
    publicized([reward])

    # 9. Each finance office pays its share; the firm sees both paid, with the date.
    page.on("dialog", lambda dialog: dialog.accept())  # locking and paying ask to confirm
    for finance, share in (("finance_city", "city"), ("finance_wf", "county")):
        switch_user(page, finance)
        page.goto(page.base_url + "/rewards/lines/")
        page.click("button:has-text('以筛选结果新建批次')")
        page.click("button:has-text('锁定批次')")
        page.fill("input[name=paid_on]", today.isoformat())
        page.fill("input[name=reference]", f"PZ-{share}-0777")
        page.click("button:has-text('登记整批拨付')")

    switch_user(page, "xinghe", PASSWORD)
    page.goto(page.base_url + "/firm/rewards/")
    lines = page.get_by_test_id("firm-line")
    assert lines.count() == 2
    for i in range(2):
        row = lines.nth(i).inner_text()
        assert "已拨付" in row and today.isoformat() in row
    assert "奖励资金已全部拨付" in page.get_by_test_id("reward-explained").inner_text()
    # Its own door only: the ledger is not its page.
    assert page.goto(page.base_url + "/ledger/").status == 403
