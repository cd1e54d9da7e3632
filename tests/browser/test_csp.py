"""The Content-Security-Policy in a real browser: every role's main pages load with no violation.

Each role logs in and visits its main pages; a ``securitypolicyviolation`` event (reported from the page
through a binding, which the policy cannot block) or a CSP console error fails the test. The bits that
used to be inline (confirm dialogs, print buttons, selects that submit themselves) and the ones that
rely on scripts (Chart.js charts, the htmx rollup with its progress bar) are used on the way.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from anyang_hte.core.roles import Role
from applications.models import ApplicationRound
from incentives.models import FundingLine, PayoutBatch, Reward
from tests.factories import EnterpriseFactory, QualificationFactory, UserFactory, jurisdiction
from tests.incentives.factories import FundingLineFactory, PayoutBatchFactory, RewardWithLinesFactory

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCsp([e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber, e.sample].join(" | "));
});
"""


@pytest.fixture
def world():
    """One county's enterprise with rewards in each state that has a page, a draft city batch, the open
    round, and a user of each role (the firm user bound to the enterprise)."""
    wf = jurisdiction("410502")
    today = timezone.localdate()
    enterprise = EnterpriseFactory(jurisdiction=wf, name="安阳策略安全科技有限公司")
    QualificationFactory(enterprise=enterprise, granted_on=today - datetime.timedelta(days=200))
    users = {
        "county": UserFactory(username="csp_county", role=Role.COUNTY_OFFICIAL, jurisdiction=wf),
        "reviewer": UserFactory(username="csp_reviewer", role=Role.TECH_REVIEWER, jurisdiction=None),
        "finance": UserFactory(username="csp_finance", role=Role.CITY_FINANCE, jurisdiction=None),
        "admin": UserFactory(
            username="csp_admin", role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True
        ),
        "firm": UserFactory(
            username="csp_firm", role=Role.ENTERPRISE, jurisdiction=None, enterprise=enterprise
        ),
    }
    submitted = RewardWithLinesFactory(enterprise=enterprise, status=Reward.Status.SUBMITTED)
    approved = RewardWithLinesFactory(
        enterprise=EnterpriseFactory(jurisdiction=wf), status=Reward.Status.APPROVED
    )
    batch = PayoutBatchFactory(
        name="策略测试批次", status=PayoutBatch.Status.DRAFT, created_by=users["finance"]
    )
    line = approved.lines.get(source="city")
    line.batch, line.status = batch, FundingLine.Status.BATCHED
    line.save(update_fields=["batch", "status"])
    FundingLineFactory(amount=Decimal("100000.00"))  # an approved line waiting for a batch (资金拨付)
    ApplicationRound.objects.create(
        year=today.year,
        intention_deadline=today + datetime.timedelta(days=14),
        recommendation_deadline=today + datetime.timedelta(days=28),
        review_deadline=today + datetime.timedelta(days=45),
        opened_by=users["reviewer"],
        opened_at=timezone.now(),
    )
    return {"users": users, "enterprise": enterprise, "reward": submitted, "batch": batch, "year": today.year}


@pytest.fixture
def watched(page):
    """The page, with every CSP violation and CSP console error collected in ``page.csp_problems``."""
    problems = []
    page.expose_function("reportCsp", lambda text: problems.append(text))
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.csp_problems = problems
    return page


def visit(page, path: str) -> None:
    response = page.goto(page.base_url + path)
    assert response.status == 200, f"{path}: HTTP {response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, f"{path}: policy {policy!r}"
    page.wait_for_load_state("networkidle")
    assert not page.csp_problems, f"{path}: {page.csp_problems}"


def test_county_official_pages(watched, world):
    page, ent = watched, world["enterprise"]
    login(page, "csp_county")
    for path in (
        "/ledger/",
        f"/ledger/{ent.pk}/",
        f"/ledger/{ent.pk}/edit/",
        "/ledger/new/",
        "/ledger/import/",
        "/ledger/submissions/",
        "/rewards/",
        f"/rewards/{world['reward'].pk}/",
        "/rounds/",
        f"/rounds/{world['year']}/",
        "/assessment/",
        "/registers/plan/",
        "/firm/registrations/",
        f"/firm/enterprises/{ent.pk}/invite/",
        "/notifications/",
    ):
        visit(page, path)

    # Bootstrap's dropdown (Popper positions it through the CSSOM, which the policy allows).
    page.goto(page.base_url + "/ledger/")
    page.get_by_test_id("nav-firms").click()
    expect(page.get_by_test_id("nav-registrations")).to_be_visible()
    # The language choice submits itself (it was an onchange attribute).
    page.select_option("#lang-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.select_option("#lang-select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert not page.csp_problems, page.csp_problems


def test_reviewer_pages_charts_htmx_and_the_reject_confirmation(watched, world):
    page, reward = watched, world["reward"]
    login(page, "csp_reviewer")
    for path in (
        "/rewards/",
        "/rewards/budget/",
        "/rewards/appropriations/",
        "/rewards/official-lists/",
        "/rounds/",
        "/assessment/targets/",
        "/assessment/forecast/",
        "/assessment/bulletin/",
        "/assessment/jurisdictions/410502/",
        "/registers/carriers/",
        "/notifications/",
        f"/rewards/{reward.pk}/",
    ):
        visit(page, path)

    # Rejecting asks first (the confirmation comes from static/js/portal.js); dismissed, nothing changes.
    page.get_by_label("不予奖励").check()
    page.fill("textarea[name=comment]", "材料不全")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_test_id("review-form").locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert asked and asked[0], "no confirmation before rejecting"
    reward.refresh_from_db()
    assert reward.status == Reward.Status.SUBMITTED

    # The dashboard: Chart.js draws its charts; the htmx rollup runs to 100 % and its bar is full width.
    visit(page, "/assessment/")
    # no year was rolled up: the page queues the rollups and reloads itself when they are done
    expect(page.get_by_test_id("computing")).to_have_count(0, timeout=60_000)
    expect(page.get_by_test_id("data-source")).to_contain_text("汇总快照")
    expect(page.locator("canvas[data-drawn]").first).to_be_visible()
    assert page.locator("canvas[data-drawn]").count() == page.locator("canvas[data-chart]").count() > 0
    page.get_by_test_id("rollup-button").click()
    expect(page.get_by_test_id("rollup-state")).to_contain_text("完成", timeout=30_000)
    bar = page.get_by_test_id("rollup-status").locator(".progress-bar")
    expect(bar).to_have_text("100%")
    widths = bar.evaluate(
        "b => [b.getBoundingClientRect().width, b.parentElement.getBoundingClientRect().width]"
    )
    assert widths[0] == pytest.approx(widths[1], abs=1), widths
    # the finished run reloads the page with its snapshot; the year picker is used on that page
    expect(page.get_by_test_id("data-source")).to_contain_text("汇总快照 · 计算于", timeout=15_000)
    page.wait_for_load_state("networkidle")
    # The year picker submits itself.
    page.select_option("#id_year", str(world["year"] - 1))
    expect(page).to_have_url(f"{page.base_url}/assessment/?year={world['year'] - 1}")

    # The bulletin's print button prints (window.print replaced, so headless Chromium opens no dialog).
    visit(page, "/assessment/bulletin/")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.locator("[data-print]").first.click()
    assert page.evaluate("window.printed") is True
    assert not page.csp_problems, page.csp_problems


def test_finance_pages_and_the_lock_confirmation(watched, world):
    page, batch = watched, world["batch"]
    login(page, "csp_finance")
    for path in (
        "/rewards/",
        "/rewards/lines/",
        "/rewards/batches/",
        "/rewards/budget/",
        f"/rewards/batches/{batch.pk}/print/",
        "/notifications/",
        f"/rewards/batches/{batch.pk}/",
    ):
        visit(page, path)

    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_test_id("batch-lock").click()
    page.wait_for_timeout(300)
    assert asked and "确定锁定" in asked[0]
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.DRAFT  # dismissed: not locked

    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("batch-lock").click()
    expect(page.get_by_test_id("payment-form")).to_be_visible()
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.LOCKED
    assert not page.csp_problems, page.csp_problems


def test_admin_pages(watched, world):
    page, ent = watched, world["enterprise"]
    login(page, "csp_admin")
    for path in (
        "/admin/",
        "/admin/enterprises/enterprise/",
        f"/admin/enterprises/enterprise/{ent.pk}/change/",
        f"/admin/enterprises/enterprise/{ent.pk}/history/",
        "/admin/core/user/",
        f"/admin/core/user/{world['users']['firm'].pk}/change/",
        "/admin/incentives/reward/",
        "/admin/enterprises/enterprise/export/",
        "/ledger/",
        "/notifications/",
    ):
        visit(page, path)
    # The admin's own scripts run: the changelist's action bar counts the ticked rows.
    page.goto(page.base_url + "/admin/core/user/")
    page.locator("input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1")
    # django-import-export's export page (our copy of its template, without the onchange attribute):
    # "select all" still ticks and unticks every field.
    page.goto(page.base_url + "/admin/enterprises/enterprise/export/")
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert fields.count() > 2
    page.locator("input.select-toggle").uncheck()
    assert not any(fields.nth(i).is_checked() for i in range(fields.count()))
    page.locator("input.select-toggle").check()
    assert all(fields.nth(i).is_checked() for i in range(fields.count()))
    assert not page.csp_problems, page.csp_problems


def test_firm_user_pages(watched, world):
    page = watched
    login(page, "csp_firm")
    for path in (
        "/firm/",
        "/firm/rewards/",
        "/firm/submissions/",
        "/firm/submissions/figures/",
        "/firm/submissions/profile/",
        "/firm/evaluation/",
        "/firm/round/",
        "/notifications/",
    ):
        visit(page, path)


def test_publicity_pages_and_the_public_print_button(watched, world):
    """公示: the reviewer's pages, and the public pages without log-in (their own CSS and script)."""
    from tests.incentives.factories import publicized

    page = watched
    publicity = publicized(world["batch"].lines.values_list("reward_id", flat=True))
    for path in ("/gongshi/", f"/gongshi/{publicity.pk}/"):
        visit(page, path)
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_test_id("gongshi-print").click()
    assert page.evaluate("window.printed") is True
    login(page, "csp_reviewer")
    for path in ("/rewards/publicity/", "/rewards/publicity/new/", f"/rewards/publicity/{publicity.pk}/"):
        visit(page, path)
    assert not page.csp_problems, page.csp_problems
