"""Two factors (issue 11, item 6): who must pass them, where they are enforced, enrolment, backup codes,
the administrator's reset and the demo key. Log-ins here go through the real password page (or
``force_login(user, otp=False)``), never the test client's verified shortcut."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from anyang_hte.core import two_factor
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role
from anyang_hte.core.two_factor import DEMO_TOTP_KEY_HEX, totp_code
from tests.factories import UserFactory, jurisdiction, totp_device

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"
MONEY_ROLES = [Role.TECH_REVIEWER, Role.CITY_FINANCE, Role.COUNTY_FINANCE, Role.ADMIN]


def password_login(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def code_for(user) -> str:
    """The code ``user``'s app shows, or the next one when this one was just used (a fresh log-in within
    the same 30 s; the device accepts one step ahead)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    now_t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    return f"{hotp(device.bin_key, max(now_t, device.last_t + 1), device.digits):06d}"


def submit_code(client, code, next_url="/"):
    return client.post(reverse("two_factor:verify"), {"code": code, "next": next_url})


def actions(user) -> list[str]:
    return list(
        AuditLog.objects.filter(object_id=str(user.pk), action__startswith="core.two_factor.")
        .order_by("pk")
        .values_list("action", flat=True)
    )


def enrol(client, user) -> list[str]:
    """Enrol ``user`` through the setup page (signed in with the password only); the backup codes."""
    client.get(reverse("two_factor:setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor:setup"), {"code": totp_code(device.key), "next": "/"})
    assert response.status_code == 302 and response["Location"] == reverse("two_factor:backup_codes")
    page = client.get(reverse("two_factor:backup_codes"))
    return list(page.context["codes"])


# --- who must pass a second factor, and where it is enforced -------------------------------------------


@pytest.mark.parametrize("role", MONEY_ROLES)
def test_a_money_role_without_an_authenticator_is_sent_to_enrol(client, role):
    user = UserFactory(username=f"new_{role}", role=role, two_factor=False)
    response = password_login(client, user)
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == reverse("two_factor:setup") and parse_qs(location.query)["next"] == ["/"]
    # Any other page sends it there too, keeping where it wanted to go, and says why.
    response = client.get(reverse("notification_list"), follow=True)
    assert response.redirect_chain[0][0] == f"{reverse('two_factor:setup')}?next=%2Fnotifications%2F"
    assert "您的角色须使用两步验证" in response.content.decode()


@pytest.mark.parametrize("role", MONEY_ROLES)
def test_a_money_role_with_an_authenticator_enters_the_code_and_goes_on(client, role):
    user = UserFactory(username=f"old_{role}", role=role)
    response = client.post(
        reverse("login") + "?next=/notifications/", {"username": user.username, "password": PASSWORD}
    )
    assert response["Location"] == f"{reverse('two_factor:verify')}?next=%2Fnotifications%2F"
    assert client.get(reverse("notification_list"))["Location"].startswith(reverse("two_factor:verify"))
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'name="next" value="/notifications/"' in page.content.decode()
    response = submit_code(client, code_for(user), "/notifications/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert client.get(reverse("notification_list")).status_code == 200


def test_the_code_page_shows_no_menu_until_the_code_is_given(client):
    user = UserFactory(username="menu_rev", role=Role.TECH_REVIEWER)
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="whoami"' in page and user.username in page  # who is logging in, still shown
    for hidden in (
        'data-testid="notification-bell"',
        'data-testid="user-menu"',
        reverse("incentives:reward_list"),
    ):
        assert hidden not in page
    submit_code(client, code_for(user), "/")
    page = client.get(reverse("notification_list")).content.decode()
    assert 'data-testid="notification-bell"' in page and reverse("incentives:reward_list") in page


def test_a_wrong_code_is_refused_and_says_so(client):
    user = UserFactory(username="rev_wrong", role=Role.TECH_REVIEWER)
    password_login(client, user)
    right = code_for(user)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = submit_code(client, wrong)
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert client.get(reverse("notification_list")).status_code == 302  # still not through
    response = submit_code(client, "12ab")  # not six digits: read as a backup code, and it has none
    assert "您没有可用的备用码" in response.content.decode()


def test_a_code_used_once_is_refused_the_second_time(client):
    user = UserFactory(username="rev_replay", role=Role.TECH_REVIEWER)
    password_login(client, user)
    code = code_for(user)
    assert submit_code(client, code).status_code == 302
    client.post(reverse("logout"))
    password_login(client, user)
    response = submit_code(client, code)
    assert response.status_code == 200
    assert "此验证码已使用过" in response.content.decode()


@override_settings(OTP_TOTP_THROTTLE_FACTOR=60)
def test_too_many_wrong_codes_make_the_user_wait_and_say_how_long(client):
    user = UserFactory(username="rev_throttle", role=Role.TECH_REVIEWER)
    password_login(client, user)
    right = code_for(user)
    submit_code(client, f"{(int(right) + 1) % 1_000_000:06d}")
    response = submit_code(client, right)  # even the right code waits
    body = response.content.decode()
    assert response.status_code == 200 and "尝试次数过多" in body
    assert "请等待 60 秒后再试" in body or "请等待 59 秒后再试" in body
    assert client.get(reverse("notification_list")).status_code == 302


def test_a_backup_code_lets_in_once(client):
    user = UserFactory(username="fin_backup", role=Role.CITY_FINANCE, two_factor=False)
    password_login(client, user)
    codes = enrol(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    client.post(reverse("logout"))

    password_login(client, user)
    response = submit_code(client, codes[0].upper()[:4] + " " + codes[0][4:])  # typed loosely
    assert response.status_code == 302
    assert client.get(reverse("notification_list")).status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9
    assert actions(user) == ["core.two_factor.enrolled", "core.two_factor.backup_code_used"]
    assert codes[0] not in str(AuditLog.objects.get(action="core.two_factor.backup_code_used").data)
    client.post(reverse("logout"))

    password_login(client, user)
    response = submit_code(client, codes[0])
    assert response.status_code == 200
    assert "此备用码已使用过" in response.content.decode()


def test_a_backup_code_that_never_existed_is_wrong_not_used(client):
    user = UserFactory(username="fin_backup2", role=Role.CITY_FINANCE, two_factor=False)
    password_login(client, user)
    enrol(client, user)
    client.post(reverse("logout"))
    password_login(client, user)
    response = submit_code(client, "abcdefgh")
    assert "备用码不正确" in response.content.decode()


def test_a_county_official_is_not_asked_until_they_opt_in(client, county_official):
    response = password_login(client, county_official)
    assert response["Location"] == "/"
    assert client.get(reverse("notification_list")).status_code == 200
    settings_page = client.get(reverse("two_factor:settings")).content.decode()
    assert "未启用" in settings_page and reverse("two_factor:setup") in settings_page

    enrol(client, county_official)
    assert client.get(reverse("notification_list")).status_code == 200  # this session passed it
    client.post(reverse("logout"))
    response = password_login(client, county_official)
    assert response["Location"].startswith(reverse("two_factor:verify"))
    assert client.get(reverse("notification_list")).status_code == 302
    assert submit_code(client, code_for(county_official)).status_code == 302
    assert client.get(reverse("notification_list")).status_code == 200


def test_a_firm_user_may_opt_in_and_turn_it_off(client, db):
    firm_user = UserFactory(username="qiye_t", role=Role.ENTERPRISE, jurisdiction=None)
    client.force_login(firm_user, otp=False)
    assert client.get(reverse("two_factor:settings")).status_code == 200
    enrol(client, firm_user)
    assert TOTPDevice.objects.filter(user=firm_user, confirmed=True).exists()
    response = client.post(reverse("two_factor:disable"), follow=True)
    assert "两步验证已关闭" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=firm_user).exists()
    assert not StaticDevice.objects.filter(user=firm_user).exists()
    assert actions(firm_user) == ["core.two_factor.enrolled", "core.two_factor.disabled"]
    client.post(reverse("logout"))
    assert password_login(client, firm_user)["Location"] == "/"


def test_a_money_role_cannot_turn_it_off(client):
    user = UserFactory(username="rev_keep", role=Role.TECH_REVIEWER)
    client.force_login(user)
    page = client.get(reverse("two_factor:settings")).content.decode()
    assert "不能关闭" in page and reverse("two_factor:disable") not in page
    response = client.post(reverse("two_factor:disable"), follow=True)
    assert "必须使用两步验证，不能关闭" in response.content.decode()
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    with pytest.raises(DomainError):
        two_factor.two_factor_disable(user=user)


def test_the_admin_site_asks_for_the_code_too(client):
    admin = UserFactory(
        username="boss2", role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True
    )
    client.force_login(admin, otp=False)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor:verify"))
    assert parse_qs(urlparse(response["Location"]).query)["next"] == ["/admin/"]
    assert submit_code(client, code_for(admin), "/admin/")["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_staff_user_of_any_role_must_pass_it(client):
    staff = UserFactory(username="staff_county", role=Role.COUNTY_OFFICIAL, is_staff=True)
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    client.force_login(staff, otp=False)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("two_factor:verify"))


def test_a_post_or_an_htmx_request_without_the_second_factor_is_refused_with_the_reason(client):
    user = UserFactory(username="rev_post", role=Role.TECH_REVIEWER)
    client.force_login(user, otp=False)
    response = client.post(reverse("notifications_read_all"))
    assert response.status_code == 403
    assert "此页面需要先完成两步验证" in response.content.decode()
    assert response["HX-Redirect"].startswith(reverse("two_factor:verify"))
    response = client.get(reverse("notification_list"), headers={"HX-Request": "true"})
    assert response.status_code == 403 and response["HX-Redirect"].startswith(reverse("two_factor:verify"))


def test_log_out_and_the_language_switch_stay_open(client):
    user = UserFactory(username="rev_open", role=Role.TECH_REVIEWER)
    client.force_login(user, otp=False)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/2fa/verify/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/verify/"
    assert client.get(reverse("two_factor:verify")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("notification_list"))["Location"].startswith(reverse("login"))


def test_the_pages_after_the_code_are_closed_until_it_is_given(client):
    user = UserFactory(username="rev_closed", role=Role.TECH_REVIEWER)
    client.force_login(user, otp=False)
    for name in ("two_factor:settings", "two_factor:backup_codes"):
        assert client.get(reverse(name))["Location"].startswith(reverse("two_factor:verify")), name
    for name in ("two_factor:backup_codes_new", "two_factor:disable", "two_factor:backup_codes_download"):
        assert client.post(reverse(name)).status_code == 403, name
    assert StaticDevice.objects.filter(user=user).count() == 0


# --- enrolment and backup codes ------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_from_our_server_and_the_secret(client):
    user = UserFactory(username="fin_enrol", role=Role.CITY_FINANCE, two_factor=False)
    password_login(client, user)
    page = client.get(reverse("two_factor:setup"))
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = two_factor.key_base32(device)
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in body
    assert f'src="{reverse("two_factor:qr")}"' in body
    assert "no-store" in page["Cache-Control"]
    qr = client.get(reverse("two_factor:qr"))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert "no-store" in qr["Cache-Control"] and qr.content.lstrip().startswith(b"<?xml")
    assert b"<svg" in qr.content
    # Reloading keeps the same secret until it is confirmed.
    client.get(reverse("two_factor:setup"))
    assert TOTPDevice.objects.get(user=user, confirmed=False).key == device.key


def test_enrolment_refuses_a_wrong_first_code_and_keeps_the_secret(client):
    user = UserFactory(username="fin_enrol2", role=Role.CITY_FINANCE, two_factor=False)
    password_login(client, user)
    client.get(reverse("two_factor:setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = f"{(int(totp_code(device.key)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("two_factor:setup"), {"code": wrong})
    assert response.status_code == 200 and "验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert client.get(reverse("notification_list"))["Location"].startswith(reverse("two_factor:setup"))


def test_enrolment_confirms_verifies_the_session_and_shows_the_backup_codes_once(client):
    user = UserFactory(username="fin_enrol3", role=Role.CITY_FINANCE, two_factor=False)
    password_login(client, user)
    codes = enrol(client, user)
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    )
    assert actions(user) == ["core.two_factor.enrolled"]
    assert client.get(reverse("notification_list")).status_code == 200
    again = client.get(reverse("two_factor:backup_codes"), follow=True)
    assert "只在生成时显示一次" in again.content.decode()
    assert not any(code in again.content.decode() for code in codes)
    # Enrolling again is not offered while the authenticator is bound.
    assert client.get(reverse("two_factor:setup"))["Location"] == reverse("two_factor:settings")


def test_the_backup_codes_download_as_text_only_the_users_own(client):
    user = UserFactory(username="fin_dl", role=Role.CITY_FINANCE, two_factor=False)
    password_login(client, user)
    codes = enrol(client, user)
    response = client.post(reverse("two_factor:backup_codes_download"), {"code": codes})
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="anyang-hte-backup-codes-fin_dl.txt"'
    text = response.content.decode()
    assert all(code in text for code in codes) and "fin_dl" in text
    forged = client.post(reverse("two_factor:backup_codes_download"), {"code": [*codes[:2], "aaaaaaaa"]})
    assert forged.status_code == 302


@override_settings(OTP_STATIC_THROTTLE_FACTOR=0)  # an old code then a new one at once, not a brute force
def test_regenerating_the_backup_codes_shows_new_ones_and_voids_the_old(client):
    user = UserFactory(username="fin_regen", role=Role.CITY_FINANCE, two_factor=False)
    password_login(client, user)
    old = enrol(client, user)
    response = client.post(reverse("two_factor:backup_codes_new"))
    assert response["Location"] == reverse("two_factor:backup_codes")
    new = list(client.get(reverse("two_factor:backup_codes")).context["codes"])
    assert len(new) == 10 and not set(new) & set(old)
    assert set(new) == set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert actions(user) == ["core.two_factor.enrolled", "core.two_factor.backup_codes_regenerated"]
    client.post(reverse("logout"))
    password_login(client, user)
    assert "备用码不正确" in submit_code(client, old[0]).content.decode()
    assert submit_code(client, new[0]).status_code == 302


def test_the_settings_page_is_in_the_users_menu(client, county_official):
    client.force_login(county_official)
    page = client.get(reverse("notification_list")).content.decode()
    assert 'data-testid="nav-two-factor"' in page and f'href="{reverse("two_factor:settings")}"' in page


# --- the administrator's reset -------------------------------------------------------------------------


def test_an_administrator_resets_a_users_devices_audited(client):
    reviewer = UserFactory(username="rev_lost", role=Role.TECH_REVIEWER)
    admin = UserFactory(username="admin_r", role=Role.ADMIN, jurisdiction=None)
    reviewer_client = type(client)()
    reviewer_client.force_login(reviewer)
    assert reviewer_client.get(reverse("notification_list")).status_code == 200

    client.force_login(admin)
    response = client.post(
        reverse("two_factor:reset"), {"username": "rev_lost", "reason": "手机遗失，电话核实"}, follow=True
    )
    assert "已重置 rev_lost 的两步验证" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    entry = AuditLog.objects.get(action="core.two_factor.reset", object_id=str(reviewer.pk))
    assert entry.user == admin and entry.data["reason"] == "手机遗失，电话核实" and entry.data["devices"] == 1
    # The reviewer's open session loses its verification and must enrol again.
    assert reviewer_client.get(reverse("notification_list"))["Location"].startswith(
        reverse("two_factor:setup")
    )


def test_only_an_administrator_may_reset(client, county_official):
    reviewer = UserFactory(username="rev_safe", role=Role.TECH_REVIEWER)
    client.force_login(reviewer)
    response = client.post(reverse("two_factor:reset"), {"username": "rev_safe", "reason": "x"})
    assert response.status_code == 403 and "只有系统管理员" in response.content.decode()
    assert TOTPDevice.objects.filter(user=reviewer).exists()
    with pytest.raises(DomainError):
        two_factor.two_factor_reset(user=reviewer, by=county_official)


def test_the_reset_page_names_an_unknown_user(client):
    client.force_login(UserFactory(username="admin_u", role=Role.ADMIN, jurisdiction=None))
    response = client.post(reverse("two_factor:reset"), {"username": "nobody", "reason": "x"})
    assert response.status_code == 200 and "没有这个用户名" in response.content.decode()


def test_the_admin_sites_reset_action_is_audited_and_the_device_admins_are_gone(client):
    admin = UserFactory(
        username="admin_a", role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True
    )
    victim = UserFactory(username="fin_a", role=Role.CITY_FINANCE, jurisdiction=None)
    client.force_login(admin)
    response = client.post(
        reverse("admin:core_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [victim.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=victim).exists()
    assert AuditLog.objects.filter(
        action="core.two_factor.reset", object_id=str(victim.pk), user=admin
    ).exists()
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404


# --- the demo key ----------------------------------------------------------------------------------------


def test_the_demo_accounts_that_need_it_get_the_demo_key(db):
    from firms.demo import seed_demo_two_factor

    accounts = [
        UserFactory(username="d_rev", role=Role.TECH_REVIEWER, two_factor=False),
        UserFactory(
            username="d_fin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction(), two_factor=False
        ),
        UserFactory(username="d_county", role=Role.COUNTY_OFFICIAL),
    ]
    seeded = seed_demo_two_factor(accounts)
    seed_demo_two_factor(accounts)  # idempotent
    assert [u.username for u in seeded] == ["d_rev", "d_fin"]
    assert list(TOTPDevice.objects.filter(confirmed=True).values_list("user__username", "key")) == [
        ("d_rev", DEMO_TOTP_KEY_HEX),
        ("d_fin", DEMO_TOTP_KEY_HEX),
    ]


def test_the_demo_key_lets_in_outside_production_and_demo_totp_prints_its_code(client, capsys):
    user = UserFactory(username="d_rev2", role=Role.TECH_REVIEWER, two_factor=False)
    two_factor.two_factor_seed_demo(user=user)
    call_command("demo_totp")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()
    password_login(client, user)
    assert submit_code(client, code).status_code == 302


@override_settings(PORTAL_ENVIRONMENT="production")
def test_the_demo_key_is_refused_in_production(client):
    user = UserFactory(username="d_prod", role=Role.TECH_REVIEWER, two_factor=False)
    with pytest.raises(DomainError):
        two_factor.two_factor_seed_demo(user=user)
    assert not TOTPDevice.objects.filter(user=user).exists()
    # A device that carries the demo key anyway (a copied database) is refused at the code page.
    TOTPDevice.objects.create(user=user, name="authenticator", key=DEMO_TOTP_KEY_HEX, confirmed=True)
    password_login(client, user)
    response = submit_code(client, totp_code(DEMO_TOTP_KEY_HEX))
    assert response.status_code == 200 and "演示密钥" in response.content.decode()
    assert client.get(reverse("notification_list")).status_code == 302
    with pytest.raises(Exception, match="demo key"):
        call_command("demo_totp")


@override_settings(PORTAL_ENVIRONMENT="production")
def test_seeding_the_demo_refuses_in_production(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_demo", "--enterprises-per-jurisdiction", "1")
    assert not TOTPDevice.objects.exists()


def test_the_factory_and_the_test_client_give_money_roles_a_verified_session(client):
    """The suite's shortcut itself (tests/conftest.py): force_login passes the second factor."""
    reviewer = UserFactory(username="f_rev", role=Role.TECH_REVIEWER)
    assert totp_device(reviewer).confirmed
    client.force_login(reviewer)
    assert client.get(reverse("notification_list")).status_code == 200
    client.force_login(reviewer, otp=False)
    assert client.get(reverse("notification_list")).status_code == 302
