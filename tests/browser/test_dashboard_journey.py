"""The assessment dashboard in a real browser: a reviewer refreshes the rollup, drills down and downloads
the bulletin; a county official sees only their own jurisdiction.
Takes a screenshot of the dashboard (docs/dashboard.png with UPDATE_SCREENSHOTS=1)."""

import io
import os
import re
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from anyang_hte.core.models import User
from assessment import selectors, services
from assessment.demo import seed_demo
from enterprises.demo import DEMO_PASSWORD

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# The screenshot kept in the repository's docs is refreshed on demand (UPDATE_SCREENSHOTS=1 make test),
# so an ordinary test run leaves the checkout as it was.
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"


def test_reviewer_dashboard_and_county_official(page, tmp_path):
    year = timezone.localdate().year
    seed_demo(per_jurisdiction=8)
    reviewer = User.objects.get(username="reviewer")
    services.targets_spread(year=year, indicator="new_hte", city_total=80, by=reviewer)
    services.targets_spread(year=year, indicator="valid_hte", city_total=120, by=reviewer)

    login(page, "reviewer", DEMO_PASSWORD)
    page.goto(page.base_url + "/assessment/")
    expect(page.locator("h1")).to_contain_text(f"全市高新技术企业培育指标看板（{year}年）")
    # No year has been rolled up: the page computes nothing itself, says so and queues the rollups; their
    # progress bars reload the page when they are done, and the figures come from the snapshots.
    expect(page.get_by_test_id("data-source")).to_contain_text("正在汇总计算")
    expect(page.get_by_test_id("computing")).to_have_count(0, timeout=60_000)  # every year shown done
    expect(page.get_by_test_id("data-source")).to_contain_text("汇总快照 · 计算于")
    expect(page.locator("canvas[data-drawn]")).to_have_count(4)  # four charts drawn by Chart.js
    for table in ("table-targets", "table-growth", "table-trend", "table-funnel", "table-rewards"):
        expect(page.get_by_test_id(table)).to_be_visible()
    # the 2017 plan's panel, the rule new HTEs are counted by, and the zone the plan names
    expect(page.get_by_test_id("plan-panels")).to_contain_text("安政办〔2017〕100号")
    expect(page.get_by_test_id("plan-panels")).to_contain_text("计划期 2018—2021年")
    expect(page.get_by_test_id("new-hte-rule")).to_contain_text("含期满后重新认定")
    expect(page.get_by_test_id("growth-410571").get_by_test_id("zone-mark")).to_be_visible()

    # Refresh the rollup: the progress bar reaches 完成 and the numbers reload from the snapshot.
    page.get_by_test_id("rollup-button").click()
    expect(page.get_by_test_id("rollup-state")).to_contain_text("完成", timeout=30_000)
    expect(page.get_by_test_id("rollup-status").locator(".progress-bar")).to_have_text("100%")
    expect(page.get_by_test_id("data-source")).to_contain_text("汇总快照 · 计算于", timeout=15_000)
    expect(page.locator("#rollup-last")).to_contain_text("最近一次汇总")
    expect(page.locator("canvas[data-drawn]")).to_have_count(4)  # redrawn after the reload

    keep = os.environ.get("UPDATE_SCREENSHOTS") == "1"
    screenshot = DOCS_SCREENSHOT if keep else tmp_path / "dashboard.png"
    screenshot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 50_000  # a rendered page, not a blank one

    # Drill from 文峰区's "new HTEs" number to the enterprises behind it.
    wf_row = next(r for r in selectors.indicator_table(year) if r["scope"] == "410502")
    expected = int(wf_row["values"]["new_hte"])
    link = page.get_by_test_id("drill-410502-new_hte")
    expect(link).to_have_text(str(expected))
    link.click()
    expect(page.get_by_test_id("drilldown-title")).to_contain_text("文峰区 · 新认定高新技术企业")
    rows = page.get_by_test_id("drilldown").locator("tbody tr")
    if expected:
        expect(rows).to_have_count(expected)
        rows.first.locator("a").first.click()  # the enterprise's ledger page
        expect(page).to_have_url(re.compile(r"/ledger/\d+/$"))
    else:
        expect(rows).to_contain_text("没有企业")

    # Download the bulletin.
    page.goto(page.base_url + f"/assessment/?year={year}")
    with page.expect_download() as info:
        page.get_by_test_id("bulletin-xlsx").first.click()
    assert info.value.suggested_filename.endswith(".xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes())).active
    assert ws["A1"].value == f"安阳市高新技术企业培育工作通报（{year}年）"
    names = {ws.cell(r, 2).value for r in range(6, 17)}
    assert "文峰区" in names and "林州市" in names

    # A county official sees their own jurisdiction only.
    page.goto(page.base_url + "/")
    page.click("button:has-text('退出')")
    login(page, "county_wf", DEMO_PASSWORD)
    page.goto(page.base_url + "/assessment/")
    expect(page).to_have_url(re.compile(r"/assessment/jurisdictions/410502/$"))
    expect(page.get_by_test_id("jurisdiction-name")).to_contain_text("文峰区")
    response = page.goto(page.base_url + "/assessment/jurisdictions/410581/")
    assert response.status == 404
    response = page.goto(page.base_url + "/assessment/jurisdictions/410581/new_hte/")
    assert response.status == 404
