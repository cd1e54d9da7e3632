"""Playwright for Python driving Debian's Chromium (/usr/bin/chromium); its own download cannot work here."""

import os
import shutil
import time

import pytest
from django_otp.oath import hotp

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread; the ORM calls the test makes are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs Debian's chromium.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        locale="zh-CN", accept_downloads=True, viewport={"width": 1440, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def totp_code_for(username: str) -> str:
    """The code ``username``'s authenticator app would show now, read from their device's key in the
    database (django_otp.oath.TOTP). A code of a time step the device has already accepted would be
    refused as a replay, so a second log-in within the same 30 s takes the next step's code (accepted
    within the device's tolerance) or waits for it."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now_t = totp.t()
    wanted = max(now_t, device.last_t + 1)
    while wanted > now_t + device.tolerance:
        time.sleep(1)
        now_t = totp.t()
    return f"{hotp(device.bin_key, wanted, device.digits):0{device.digits}d}"


def pass_two_factor(page, username: str) -> None:
    """On the code page after the password: type the current code and go on."""
    page.fill("input[name=code]", totp_code_for(username))
    with page.expect_navigation():
        page.click("[data-testid=two-factor-submit]")


def login(page, username, password="pass-1234-word"):
    """Log in through the real pages; when the portal asks for the second factor (the money roles and
    anyone who opted in), the code from the user's authenticator key is typed on the code page.

    A user who must pass a second factor but was made without ``UserFactory`` (the demo accounts of
    ``assessment.demo.seed_demo``; ``manage.py seed_demo`` gives them the demo key) gets an authenticator
    first, as ``tests/conftest.PortalClient.force_login`` does, so the journey meets the code page rather
    than the enrolment (which tests/browser/test_two_factor_journey.py walks through)."""
    from anyang_hte.core.models import User
    from anyang_hte.core.roles import two_factor_required
    from tests.factories import totp_device

    user = User.objects.filter(username=username).first()
    if user is not None and two_factor_required(user):
        totp_device(user)
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/accounts/2fa/verify/" in page.url:
        pass_two_factor(page, username)
