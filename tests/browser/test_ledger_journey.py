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

    # Record three years of figures (in 万元) and see readiness.
    last = timezone.localdate().year - 1
    for offset, sales in ((2, "3000"), (1, "3500"), (0, "4000")):
        page.click("text=录入年度数据")
        page.fill("input[name=year]", str(last - offset))
        page.fill("input[name=sales_revenue]", sales)
        page.fill("input[name=rd_expense]", "100")
        page.fill("input[name=rd_expense_domestic]", "100")
        page.fill("input[name=hightech_revenue]", "3000")
        page.fill("input[name=net_assets]", "2000")
        page.fill("input[name=staff_count]", "80")
        page.fill("input[name=st_staff_count]", "12")
        page.fill("input[name=ip_class1_count]", "1")
        page.click("button:has-text('保存')")
        assert "年度数据已保存" in page.content()
    figures = page.get_by_test_id("figures").inner_text()
    assert "4,000.00" in figures
    readiness = page.locator("#readiness").inner_text()
    assert "未达标" in readiness and "万元" in readiness  # R&D below 5%: the gap is given in 万元

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
