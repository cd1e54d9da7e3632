"""A finance officer's first log-in enrols an authenticator; later log-ins take a code or a backup code."""

import base64

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from anyang_hte.core.roles import Role
from tests.factories import UserFactory

from .conftest import login, pass_two_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password_step(page, username):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-1234-word")
    with page.expect_navigation():
        page.click("button[type=submit]")


def _log_out(page):
    with page.expect_navigation():
        page.click("button:has-text('退出')")
    assert "/accounts/login/" in page.url


def test_a_finance_officer_enrols_then_logs_in_with_a_code_and_with_a_backup_code(page, tmp_path):
    UserFactory(username="fin_first", role=Role.CITY_FINANCE, jurisdiction=None, two_factor=False)

    # First log-in: the password, then the enrolment page (nothing else is reachable).
    _password_step(page, "fin_first")
    assert "/accounts/2fa/setup/" in page.url
    expect(page.get_by_test_id("two-factor-required")).to_be_visible()
    page.goto(page.base_url + "/rewards/lines/")
    assert "/accounts/2fa/setup/" in page.url  # sent back, with the reason
    expect(page.locator(".alert-info").first).to_contain_text("须使用两步验证")

    # The QR code is drawn by our own server and shown; the secret is there for typing in by hand.
    qr = page.get_by_test_id("two-factor-qr")
    expect(qr).to_be_visible()
    src = qr.evaluate("img => img.src")
    assert src.startswith(page.base_url + "/accounts/2fa/setup/qr.svg")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    answer = page.request.get(src)
    assert answer.ok and answer.headers["content-type"] == "image/svg+xml"
    assert "no-store" in answer.headers["cache-control"]

    # An authenticator app fed with the secret shown on the page gives the first code.
    secret = page.get_by_test_id("two-factor-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("input[name=code]", f"{TOTP(key).token():06d}")
    with page.expect_navigation():
        page.get_by_test_id("two-factor-confirm").click()

    # Ten backup codes, shown once, downloadable as text.
    assert "/accounts/2fa/backup-codes/" in page.url
    codes = page.get_by_test_id("backup-code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    with page.expect_download() as download:
        page.get_by_test_id("backup-codes-download").click()
    saved = tmp_path / "codes.txt"
    download.value.save_as(saved)
    assert all(code in saved.read_text(encoding="utf-8") for code in codes)
    with page.expect_navigation():
        page.get_by_test_id("backup-codes-done").click()
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(page.base_url + "/rewards/lines/")
    assert "/rewards/lines/" in page.url
    _log_out(page)

    # Second log-in: the password, then the code of the app.
    login(page, "fin_first")
    assert "/accounts/2fa/" not in page.url and "/accounts/login/" not in page.url
    expect(page.get_by_test_id("whoami")).to_contain_text("fin_first")
    _log_out(page)

    # Third: the phone is not at hand, a backup code instead.
    _password_step(page, "fin_first")
    assert "/accounts/2fa/verify/" in page.url
    page.fill("input[name=code]", codes[0])
    with page.expect_navigation():
        page.get_by_test_id("two-factor-submit").click()
    assert "/accounts/2fa/" not in page.url
    expect(page.locator(".alert-warning").first).to_contain_text("还剩 9 个")
    _log_out(page)

    # The same backup code does not work twice, and the page says so; the app's code still does.
    _password_step(page, "fin_first")
    page.fill("input[name=code]", codes[0])
    with page.expect_navigation():
        page.get_by_test_id("two-factor-submit").click()
    assert "/accounts/2fa/verify/" in page.url
    expect(page.locator(".invalid-feedback")).to_contain_text("此备用码已使用过")
    pass_two_factor(page, "fin_first")
    assert "/accounts/2fa/" not in page.url
