"""The bureau's audit log in a real browser: the reviewer finds who registered a firm, opens the firm from
the log, and exports the filtered log to Excel."""

import io

import pytest
from openpyxl import load_workbook

from anyang_hte.core.audit import audit_log
from anyang_hte.core.roles import Role
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

from .conftest import login
from .test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_reviewer_filters_opens_and_exports_the_audit_log(page):
    reviewer = UserFactory(username="reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    wf = UserFactory(
        username="county_wf",
        display_name="文峰区王科员",
        role=Role.COUNTY_OFFICIAL,
        jurisdiction=jurisdiction(),
    )
    lz = UserFactory(
        username="county_lz",
        display_name="林州市李科员",
        role=Role.COUNTY_OFFICIAL,
        jurisdiction=jurisdiction("410581"),
    )
    ours = EnterpriseFactory(name="安阳留痕科技有限公司", jurisdiction=wf.jurisdiction)
    theirs = EnterpriseFactory(name="林州留痕材料有限公司", jurisdiction=lz.jurisdiction)
    audit_log(ours, "enterprises.enterprise.created", by=wf, data={"credit_code": ours.credit_code})
    audit_log(ours, "enterprises.enterprise.updated", by=wf, data={"fields": ["helper_name"]})
    audit_log(theirs, "enterprises.enterprise.created", by=lz, data={"credit_code": theirs.credit_code})

    login(page, reviewer.username)
    page.get_by_test_id("nav-audit").click()
    assert page.get_by_test_id("breadcrumbs").inner_text().strip().endswith("操作日志")
    assert page.get_by_test_id("audit-row").count() == 3
    assert "共 3 条记录" in page.get_by_test_id("result-count").inner_text()
    assert axe_violations(page) == []

    # Who registered firms, and only 文峰区's clerk: person + action.
    page.fill("input[name=person]", "王科员")
    page.select_option("select[name=action]", "enterprises.enterprise.created")
    page.click("button[type=submit]:has-text('筛选')")
    rows = page.get_by_test_id("audit-row")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "文峰区王科员" in text and "县区科技部门" in text and "登记企业" in text
    assert "安阳留痕科技有限公司" in text and ours.credit_code in text
    assert "person=" in page.url and "action=enterprises.enterprise.created" in page.url

    # Export what is on screen, next to the data.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename.startswith("操作日志_") and download.suggested_filename.endswith(
        ".xlsx"
    )
    ws = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert len(data) == 1
    assert data[0][1:6] == [
        "文峰区王科员",
        "县区科技部门",
        "文峰区",
        "登记企业",
        "enterprises.enterprise.created",
    ]
    assert data[0][8] == "安阳留痕科技有限公司"

    # The record's name opens the record itself.
    rows.first.get_by_role("link", name="安阳留痕科技有限公司").click()
    page.wait_for_url(f"**/ledger/{ours.pk}/")
    assert "安阳留痕科技有限公司" in page.locator("h1").first.inner_text()

    # A county clerk has no such page: the refusal says why.
    page.context.clear_cookies()
    login(page, wf.username)
    assert page.get_by_test_id("nav-audit").count() == 0
    response = page.goto(page.base_url + "/audit/")
    assert response.status == 403
    assert "操作日志仅供市科技局和系统管理员查看" in page.content()
