"""The county official's day with the ledger, in a real browser."""

import io

import openpyxl
import pytest
from django.utils import timezone

from anyang_hte.core.roles import Role
from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction, make_credit_code

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _ledger_file(code: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["文峰区高新技术企业培育台账（2026年）"])
    ws.append([])
    ws.append(
        [
            "序号",
            "企业名称",
            "统一社会信用代码",
            "所属县区",
            "技术领域",
            "成立日期",
            "培育阶段",
            "挂钩帮扶责任人",
            "责任人电话",
            "计划申报年度",
            "年度",
            "营业收入（万元）",
            "研发费用（万元）",
            "职工总数",
            "科技人员数",
            "高新技术产品（服务）收入（万元）",
            "I类知识产权数",
            "II类知识产权数",
            "备注",
        ]
    )
    ws.append(
        [
            1,
            "安阳导入测试新材料有限公司",
            code.lower(),
            "文峰区",
            "新材料",
            "2018年3月5日",
            "高企后备",
            "赵六",
            "13800000000",
            2027,
            2025,
            2000,
            120,
            60,
            12,
            1500,
            1,
            3,
            "来自县区台账",
        ]
    )
    ws.append(
        ["合计", None, None, None, None, None, None, None, None, None, None, 2000, 120, 60, 12, 1500, 1, 3]
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_county_official_keeps_the_ledger(page, tmp_path):
    me = UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    EnterpriseFactory(name="安阳市鑫源科技有限公司", jurisdiction=me.jurisdiction)
    EnterpriseFactory(name="安阳华泰电子有限公司", jurisdiction=me.jurisdiction)
    foreign = EnterpriseFactory(name="林州重型机械有限公司", jurisdiction=jurisdiction("410581"))

    login(page, "county_wf")
    who = page.get_by_test_id("whoami")
    assert "文峰区" in who.inner_text() and "县区科技部门" in who.inner_text()

    # Find an enterprise by the pinyin initials of its name.
    page.fill("input[name=q]", "xy")
    page.click("text=筛选")
    rows = page.locator("table.ledger-table tbody tr")
    assert rows.count() == 1 and "鑫源" in rows.first.inner_text()

    # Add one: a wrong credit code is refused with the check named, what was typed is kept.
    page.click("text=登记企业")
    page.fill("input[name=name]", "安阳瑞达智能装备有限公司")
    page.fill("input[name=credit_code]", "91410502MA3X5A6B1X")
    page.select_option("select[name=tech_field]", label="先进制造与自动化")
    page.click("button:has-text('保存')")
    assert "校验" in page.locator(".invalid-feedback, .errorlist").first.inner_text()
    assert page.input_value("input[name=name]") == "安阳瑞达智能装备有限公司"

    # A duplicate links to the existing enterprise.
    existing = Enterprise.objects.get(name="安阳华泰电子有限公司")
    page.fill("input[name=credit_code]", existing.credit_code.lower())
    page.click("button:has-text('保存')")
    page.get_by_test_id("duplicate-link").locator("a").click()
    assert page.locator("h1").inner_text() == "安阳华泰电子有限公司"

    # Now a correct new one.
    page.goto(page.base_url + "/ledger/new/")
    new_code = make_credit_code(777777)
    page.fill("input[name=name]", "安阳瑞达智能装备有限公司")
    page.fill("input[name=credit_code]", new_code)
    page.select_option("select[name=tech_field]", label="先进制造与自动化")
    page.fill("input[name=registered_on]", "2016-05-20")
    page.click("button:has-text('保存')")
    assert page.locator("h1").inner_text() == "安阳瑞达智能装备有限公司"

    # Record figures (in 万元) for two of the three years: the verdict waits for the missing year.
    last = timezone.localdate().year - 1

    def record(year, sales):
        page.click("text=录入年度数据")
        page.fill("input[name=year]", str(year))
        page.fill("input[name=sales_revenue]", sales)
        page.fill("input[name=total_income]", sales)
        page.fill("input[name=rd_expense]", "200")
        page.fill("input[name=rd_expense_domestic]", "200")
        page.fill("input[name=hightech_revenue]", "3000")
        page.fill("input[name=total_assets]", "5000")
        page.fill("input[name=net_assets]", "2000")
        page.fill("input[name=staff_count]", "80.5")
        page.fill("input[name=st_staff_count]", "12")
        page.fill("input[name=ip_class1_count]", "1")
        page.fill("input[name=ip_class2_count]", "0")
        page.fill("input[name=conversions_count]", "5")
        page.click("button:has-text('保存')")
        assert "年度数据已保存" in page.content()

    record(last - 2, "3000")
    record(last - 1, "3500")
    verdict = page.get_by_test_id("readiness-verdict").inner_text()
    assert "待补充" in verdict and f"缺少{last}年年度数据" in verdict
    assert "待补充" in page.get_by_test_id("verdict").inner_text()

    # The missing year: every figure is there now, the innovation capability is not yet scored.
    record(last, "4000")
    assert "4,000.00" in page.get_by_test_id("figures").inner_text()
    assert "80.5" in page.get_by_test_id("figures").inner_text()  # an average head count keeps its decimal
    verdict = page.get_by_test_id("readiness-verdict").inner_text()
    assert "待补充" in verdict and "创新能力评价尚未评分" in verdict

    # Score it: a point outside its band is refused, naming the band, and the form keeps what was typed.
    page.get_by_test_id("innovation-score-link").click()
    assert "有I类知识产权" in page.content()  # the band's reason is shown beside the field
    for name, points in (
        ("ip_advancement", "8"), ("ip_core_support", "8"), ("ip_quantity", "5"), ("ip_acquisition", "6"),
        ("conversion", "30"), ("rd_management", "6"), ("rd_institution", "6"), ("conversion_system", "4"),
        ("talent", "4"), ("net_asset_growth", "0"), ("sales_growth", "6"),
    ):  # fmt: skip
        page.fill(f"input[name={name}]", points)
    page.select_option("select[name=ip_self_developed]", "True")
    page.click("main button:has-text('保存')")
    assert "应在7–8分之间" in page.content()
    assert page.input_value("input[name=conversion]") == "30"
    page.fill("input[name=ip_quantity]", "8")
    page.click("main button:has-text('保存')")
    assert "已保存" in page.content()

    # Sales 3000 → 3500 → 4000 grew ½ × (3500/3000 + 4000/3500) − 1 = 15.48 %: 6 points in the 5–6 band;
    # 30 + 30 + 20 + 6 = 86 > 70. Every condition is met: the badge turns to 符合.
    verdict = page.get_by_test_id("readiness-verdict").inner_text()
    assert "符合" in verdict and "各项条件均已满足" in verdict and "待补充" not in verdict
    assert "高企条件：符合" in page.get_by_test_id("verdict").inner_text()

    # A milestone (overdue ones stand out) and a visit.
    page.fill("#helper input[name=title]", "完成研发费用辅助账")
    page.fill("#helper input[name=due_on]", "2020-01-31")
    page.click("button:has-text('添加节点')")
    assert "逾期" in page.get_by_test_id("milestones").inner_text()
    page.click("text=记录走访")
    page.fill("input[name=visitors]", "王敏、李强")
    page.fill("textarea[name=problems]", "研发人员统计口径不清")
    page.click("button:has-text('保存')")
    assert "王敏、李强" in page.get_by_test_id("visits").inner_text()
    assert "变更记录" in page.content()

    # Import an xlsx: preview first, then write.
    upload = tmp_path / "台账.xlsx"
    imported_code = make_credit_code(888888)
    upload.write_bytes(_ledger_file(imported_code))
    page.goto(page.base_url + "/ledger/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.click("button:has-text('上传并预览')")
    assert "新增" in page.content()
    page.click("button:has-text('确认导入')")
    assert "导入完成" in page.content()
    assert Enterprise.objects.filter(credit_code=imported_code, jurisdiction=me.jurisdiction).exists()

    # Export the list to xlsx.
    with page.expect_download() as info:
        page.get_by_test_id("export-xlsx").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes()))
    text = "\n".join(str(c.value) for row in wb.active.iter_rows() for c in row if c.value)
    assert "安阳瑞达智能装备有限公司" in text and "林州重型机械有限公司" not in text

    # Another county's enterprise is simply not there.
    response = page.goto(page.base_url + f"/ledger/{foreign.pk}/")
    assert response.status == 404
    page.goto(page.base_url + "/ledger/?q=" + foreign.credit_code)
    assert "林州重型机械" not in page.content()
