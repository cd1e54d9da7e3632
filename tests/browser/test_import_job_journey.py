"""A county official uploads a ledger file above the (lowered) job threshold, in a real browser: the job's
page shows its progress and then the preview, the official leaves and finds it again on the import page,
and confirms it; the enterprises are in the ledger. Celery runs eagerly (in the request's commit)."""

import io

import openpyxl
import pytest

from anyang_hte.core.models import ImportJob
from anyang_hte.core.roles import Role
from enterprises.import_parsing import TEMPLATE_SHEET, build_template_workbook
from enterprises.models import Enterprise
from tests.enterprises.test_ledger_import_whole import firm_row
from tests.factories import UserFactory, jurisdiction

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_large_ledger_file_is_previewed_and_written_by_a_job(page, tmp_path, settings):
    settings.IMPORT_JOB_MIN_ROWS = 5
    me = UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    wb = openpyxl.load_workbook(io.BytesIO(build_template_workbook()))
    for n in range(1, 9):
        wb[TEMPLATE_SHEET].append(firm_row(900 + n, 2024, name=f"安阳后台任务科技{n}有限公司"))
    filled = tmp_path / "台账.xlsx"
    wb.save(filled)

    login(page, me.username)
    page.goto(page.base_url + "/ledger/import/")
    page.set_input_files("input[name=file]", str(filled))
    page.click("button:has-text('上传并预览')")
    page.wait_for_url("**/imports/*/")
    job = ImportJob.objects.get(user=me)
    status = page.get_by_test_id("import-status")
    assert "预览 · 已完成" in page.get_by_test_id("import-job-state").inner_text()
    assert page.locator("progress").get_attribute("value") == "100"
    assert "新增 8" in page.get_by_test_id("import-counts").inner_text()
    assert "安阳后台任务科技8有限公司" in status.inner_text()
    assert not Enterprise.objects.filter(jurisdiction=me.jurisdiction).exists()

    # while the worker reads, the page polls its progress, and shows the preview once it is done
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, rows_done=4, rows_total=8)
    page.reload()
    assert page.locator("progress").get_attribute("value") == "50"
    assert "处理中" in page.get_by_test_id("import-job-state").inner_text()
    assert page.get_by_test_id("import-job-apply").count() == 0
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    page.get_by_test_id("import-job-apply").wait_for()
    assert page.locator("progress").get_attribute("value") == "100"

    # leave the page; the import page lists the job and leads back to it
    page.goto(page.base_url + "/ledger/")
    page.goto(page.base_url + "/ledger/import/")
    page.get_by_test_id("import-jobs").get_by_role("link", name="台账.xlsx").click()
    page.wait_for_url(f"**/imports/{job.pk}/")

    page.get_by_test_id("import-job-apply").click()
    page.get_by_test_id("import-job-applied").wait_for()
    assert "导入完成：新增 8 家" in page.get_by_test_id("import-job-applied").inner_text()
    assert "导入 · 已完成" in page.get_by_test_id("import-job-state").inner_text()
    assert Enterprise.objects.filter(jurisdiction=me.jurisdiction).count() == 8
    page.get_by_role("link", name="查看培育台账").click()
    assert "安阳后台任务科技1有限公司" in page.content()
