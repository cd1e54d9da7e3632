"""A county official brings a firm's two years in with the downloaded template, in a real browser: the
preview shows a mistyped cell as it was typed, the corrected file previews and is confirmed."""

from decimal import Decimal

import openpyxl
import pytest

from anyang_hte.core.roles import Role
from enterprises.import_parsing import COLUMNS, TEMPLATE_SHEET
from enterprises.models import Enterprise
from tests.factories import UserFactory, jurisdiction, make_credit_code

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}


def _row(code: str, year: int, **values) -> list:
    cells = [None] * len(COLUMNS)
    base = {
        "name": "安阳两年数据科技有限公司",
        "credit_code": code,
        "tech_field": "电子信息",
        "registered_on": "2017-06-01",
        "address": "安阳市文峰区文明大道1号",
        "legal_representative": "周平",
        "bank_name": "中国工商银行安阳分行",
        "bank_account": "1706020109024567890",
        "bank_account_holder": "安阳两年数据科技有限公司",
        "year": year,
        "sales_revenue": 2000 + (year - 2024) * 500,
        "rd_expense": 120,
        "rd_expense_domestic": 110,
        "total_assets": 4000,
        "net_assets": 2500,
        "staff_count": 60,
        "st_staff_count": 12,
    }
    for key, value in {**base, **values}.items():
        cells[KEY_INDEX[key]] = value
    return cells


def test_two_years_of_a_firm_come_in_with_the_template(page, tmp_path):
    me = UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    login(page, me.username)
    page.goto(page.base_url + "/ledger/import/")
    with page.expect_download() as info:
        page.get_by_test_id("import-template").click()
    template = tmp_path / "模板.xlsx"
    info.value.save_as(template)

    code = make_credit_code(777001)
    wb = openpyxl.load_workbook(template)
    ws = wb[TEMPLATE_SHEET]
    ws.append(_row(code, 2024))
    ws.append(_row(code, 2025, staff_count="六十"))
    filled = tmp_path / "台账.xlsx"
    wb.save(filled)

    page.set_input_files("input[name=file]", str(filled))
    page.click("button:has-text('上传并预览')")
    errors = page.get_by_test_id("import-errors")
    errors.wait_for()
    assert "职工总数" in errors.inner_text() and "六十" in page.get_by_test_id("typed-value").inner_text()
    assert page.locator("button:has-text('确认导入')").count() == 0
    assert not Enterprise.objects.filter(credit_code=code).exists()

    ws.cell(row=4, column=KEY_INDEX["staff_count"] + 1, value=60)
    wb.save(filled)
    page.click("a.btn-link:has-text('重新上传')")
    page.set_input_files("input[name=file]", str(filled))
    page.click("button:has-text('上传并预览')")
    counts = page.get_by_test_id("import-counts").inner_text()
    assert "新增 2" in counts and "错误 0" in counts
    rows = page.get_by_test_id("import-rows").inner_text()
    assert "2024" in rows and "2025" in rows and "境内研发费用(万元)" in rows
    page.click("button:has-text('确认导入')")
    page.wait_for_url("**/ledger/")

    firm = Enterprise.objects.get(credit_code=code)
    assert (firm.legal_representative, firm.bank_account) == ("周平", "1706020109024567890")
    assert sorted(firm.figures.values_list("year", "sales_revenue")) == [
        (2024, Decimal("20000000.00")),
        (2025, Decimal("25000000.00")),
    ]
