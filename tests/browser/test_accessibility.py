"""axe-core (npm, injected from node_modules) on the pages people work in: no serious or critical violation.

The pages: the log-in, the ledger list, an enterprise page, a reward page, a payout batch page and the
dashboard, as the office that works on each sees it; and the ledger list once more on a phone-sized
screen, where the navigation collapses. A failure lists each violation with the elements it found.
"""

import json
from pathlib import Path

import pytest

from anyang_hte.core.models import User
from assessment.demo import seed_demo
from enterprises.demo import DEMO_PASSWORD
from enterprises.models import Enterprise
from incentives import services
from incentives.models import FundingLine, FundingSource, Reward

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; the violations whose impact is serious or critical."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make install` (npm ci installs axe-core).")
    # Evaluated through DevTools, not added as a <script> tag: the Content-Security-Policy blocks inline
    # scripts, which is what add_script_tag(path=…) inserts.
    page.evaluate("() => {" + AXE.read_text(encoding="utf-8") + "\n}")
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
        })"""
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def assert_accessible(page, what: str) -> None:
    violations = axe_violations(page)
    report = [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
            "summary": v["nodes"][0].get("failureSummary", ""),
        }
        for v in violations
    ]
    assert not violations, f"{what}: {json.dumps(report, ensure_ascii=False, indent=1)}"


@pytest.fixture
def demo():
    result = seed_demo(per_jurisdiction=8)
    finance = User.objects.get(username="finance_city")
    line = (
        FundingLine.objects.filter(reward__status=Reward.Status.APPROVED, source=FundingSource.CITY)
        .order_by("pk")
        .first()
    )
    batch = services.batch_create(by=finance, name="2026年第一批市级奖励", source=FundingSource.CITY)
    services.batch_add_lines(batch=batch, lines_or_ids=[line.pk], by=finance)
    return result, batch, line.reward


def test_pages_have_no_serious_or_critical_violations(page, demo):
    _result, batch, reward = demo
    page.goto(page.base_url + "/accounts/login/")
    assert_accessible(page, "log-in")
    # the public 公示 pages (no log-in; seed_demo publishes its approved rewards)
    from incentives.models import Publicity

    page.goto(page.base_url + "/gongshi/")
    assert_accessible(page, "public 公示 list")
    page.goto(page.base_url + f"/gongshi/{Publicity.objects.get().pk}/")
    assert_accessible(page, "public 公示 page")

    login(page, "county_wf", DEMO_PASSWORD)
    page.goto(page.base_url + "/ledger/")
    assert_accessible(page, "ledger list")
    enterprise = Enterprise.objects.filter(jurisdiction__code="410502").order_by("pk").first()
    page.goto(page.base_url + f"/ledger/{enterprise.pk}/")
    assert_accessible(page, "enterprise page")
    page.goto(page.base_url + f"/rewards/{reward.pk}/")
    assert_accessible(page, "reward page")

    page.click("button:has-text('退出')")
    login(page, "finance_city", DEMO_PASSWORD)
    page.goto(page.base_url + f"/rewards/batches/{batch.pk}/")
    assert_accessible(page, "batch page")

    page.click("button:has-text('退出')")
    login(page, "reviewer", DEMO_PASSWORD)
    page.goto(page.base_url + "/assessment/")
    page.wait_for_selector("canvas[data-drawn]")
    assert_accessible(page, "dashboard")


def test_header_on_a_390px_phone_and_the_skip_link(browser, live_server, demo):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.base_url = live_server.url
    try:
        login(page, "county_wf", DEMO_PASSWORD)
        page.goto(page.base_url + "/ledger/")
        # Collapsed: the brand and the menu button fit; the page does not scroll sideways.
        toggler = page.locator(".navbar-toggler")
        assert toggler.is_visible()
        assert not page.locator("#mainnav").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        brand = page.locator(".navbar-brand").bounding_box()
        assert brand["x"] + brand["width"] <= toggler.bounding_box()["x"]
        # Opened: every item and the user's name, role and county readable inside the screen.
        toggler.click()
        page.wait_for_selector("#mainnav.show")
        page.wait_for_function("!document.querySelector('#mainnav').classList.contains('collapsing')")
        assert page.get_by_role("link", name="培育台账").is_visible()
        whoami = page.get_by_test_id("whoami")
        assert "文峰区" in whoami.inner_text() and "王敏" in whoami.inner_text()
        for box in (whoami.bounding_box(), page.locator("[data-testid=whoami] button").bounding_box()):
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_accessible(page, "ledger list on a phone, menu open")

        # The first Tab reaches the skip link, which then takes the keyboard to the content.
        page.goto(page.base_url + "/ledger/")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="跳到主要内容")
        assert skip.evaluate("el => el === document.activeElement") and skip.is_visible()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content"
    finally:
        context.close()
