"""Firm account pages through the client: registration and its limits, the set-password link, the county's
invitation panel and confirmation page, what a firm user sees."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.models import User
from anyang_hte.core.roles import Role
from firms import services
from firms.models import FirmRegistration
from tests.factories import (
    MilestoneFactory,
    QualificationFactory,
    UserFactory,
    jurisdiction,
    make_credit_code,
)

from .conftest import LZ, WF, registration_data

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    data = registration_data()
    data["jurisdiction"] = data["jurisdiction"].pk
    data["password1"] = data["password2"] = data.pop("password")
    data.update(overrides)
    return data


# --- registration ------------------------------------------------------------------------------------


def test_login_page_links_to_registration(client):
    page = client.get(reverse("login")).content.decode()
    assert reverse("firms:register") in page


def test_register_through_the_page(client, county_official):
    response = client.post(reverse("firms:register"), _form())
    assert response.status_code == 302 and response["Location"] == reverse("login")
    registration = FirmRegistration.objects.get()
    assert registration.user.username == "newfirm" and registration.jurisdiction.code == WF
    # The new account signs in and sees the waiting page, nothing of any enterprise.
    assert (
        client.post(reverse("login"), {"username": "newfirm", "password": "Anyang-Reg-2026"}).status_code
        == 302
    )
    page = client.get(reverse("firms:home"))
    assert page.status_code == 403
    assert "正在等待" in page.content.decode() and 'data-testid="firm-not-linked"' in page.content.decode()


def test_a_refused_registration_keeps_what_was_typed_and_names_the_field(client):
    good = make_credit_code(51001)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post(reverse("firms:register"), _form(credit_code=bad))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["credit_code"] and "校验码" in form.errors["credit_code"][0]
    page = response.content.decode()
    assert 'value="新注册科技有限公司"' in page and 'value="zhao@example.cn"' in page
    assert not User.objects.filter(username="newfirm").exists()


def test_a_held_code_is_refused_on_the_page_without_a_leak(client, lz_ent):
    UserFactory(username="lz_firm", role=Role.ENTERPRISE, jurisdiction=None, enterprise=lz_ent)
    response = client.post(reverse("firms:register"), _form(credit_code=lz_ent.credit_code))
    page = response.content.decode()
    assert response.status_code == 200 and "已有企业账户注册" in page
    assert lz_ent.name not in page and "form" in response.context
    assert response.context["form"].errors["credit_code"]


def test_registration_is_rate_limited_per_address(client, settings):
    settings.FIRM_REGISTRATION_LIMIT = 2
    for n in range(2):
        response = client.post(
            reverse("firms:register"), _form(credit_code=make_credit_code(52000 + n), username=f"firm{n}")
        )
        assert response.status_code == 302
    response = client.post(
        reverse("firms:register"), _form(credit_code=make_credit_code(52009), username="firm9")
    )
    page = response.content.decode()
    assert response.status_code == 200 and "过于频繁" in page and "之后再试" in page
    assert not User.objects.filter(username="firm9").exists()
    # Another address is not held by this one's count.
    response = client.post(
        reverse("firms:register"),
        _form(credit_code=make_credit_code(52010), username="firm10"),
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 302


def test_a_locked_out_address_cannot_register(client):
    AccessAttempt.objects.create(
        username="someone",
        ip_address="127.0.0.1",
        user_agent="",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
        attempt_time=timezone.now(),
    )
    response = client.post(reverse("firms:register"), _form())
    assert response.status_code == 200 and "锁定" in response.content.decode()
    assert not User.objects.filter(username="newfirm").exists()


def test_failed_logins_lock_registration_too(client):
    UserFactory(username="victim", role=Role.COUNTY_OFFICIAL)
    for _ in range(5):
        client.post(reverse("login"), {"username": "victim", "password": "wrong"})
    response = client.post(reverse("firms:register"), _form())
    assert response.status_code == 200 and "锁定" in response.content.decode()
    assert not FirmRegistration.objects.exists()


# --- the invitation ----------------------------------------------------------------------------------


def test_county_invites_from_the_enterprise_page(client, wf_ent, county_official):
    client.force_login(county_official)
    detail = client.get(reverse("enterprises:detail", args=[wf_ent.pk])).content.decode()
    assert "邀请企业用户" in detail and reverse("firms:invite", args=[wf_ent.pk]) in detail
    response = client.post(
        reverse("firms:invite", args=[wf_ent.pk]),
        {"username": "wf_firm", "display_name": "李工", "phone": "1", "email": "firm@example.cn"},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    link = response.context["link"]
    assert link.absolute_url in response.content.decode()
    detail = client.get(reverse("enterprises:detail", args=[wf_ent.pk])).content.decode()
    assert "wf_firm" in detail and "待设置密码" in detail and link.path not in detail  # shown once
    client.logout()

    # The firm opens the link, sets a password, and the link is spent.
    assert client.get(link.path).status_code == 200
    response = client.post(
        link.path, {"new_password1": "Wenfeng-Firm-2026", "new_password2": "Wenfeng-Firm-2026"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("login")
    again = client.get(link.path)
    assert again.status_code == 404 and "链接无效或已使用过" in again.content.decode()
    signed_in = client.post(reverse("login"), {"username": "wf_firm", "password": "Wenfeng-Firm-2026"})
    assert signed_in.status_code == 302
    home = client.get(reverse("firms:home")).content.decode()
    assert wf_ent.name in home


def test_set_password_keeps_the_form_and_names_the_field(client, wf_ent, county_official):
    link = services.firm_invite(
        enterprise=wf_ent, username="wf_firm", email="f@example.cn", by=county_official
    )
    response = client.post(link.path, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and response.context["form"].errors["new_password2"]
    assert client.get(link.path).status_code == 200  # still usable: nothing was set


def test_invite_page_refuses_a_taken_username_on_its_field(client, wf_ent, county_official):
    UserFactory(username="taken")
    client.force_login(county_official)
    response = client.post(
        reverse("firms:invite", args=[wf_ent.pk]), {"username": "taken", "email": "t@example.cn"}
    )
    assert response.status_code == 200 and response.context["form"].errors["username"]
    assert 'value="t@example.cn"' in response.content.decode()


def test_county_deactivates_a_firm_user(client, wf_ent, county_official, firm_user):
    client.force_login(county_official)
    url = reverse("firms:account_deactivate", args=[wf_ent.pk, firm_user.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    firm_user.refresh_from_db()
    assert not firm_user.is_active
    detail = client.get(reverse("enterprises:detail", args=[wf_ent.pk])).content.decode()
    assert "已停用" in detail


def test_other_county_sees_no_panel_and_cannot_reach_the_accounts(
    client, wf_ent, other_county_official, firm_user
):
    client.force_login(other_county_official)
    assert client.get(reverse("firms:invite", args=[wf_ent.pk])).status_code == 404
    assert client.post(reverse("firms:account_deactivate", args=[wf_ent.pk, firm_user.pk])).status_code == 404
    firm_user.refresh_from_db()
    assert firm_user.is_active


def test_reviewer_sees_the_ledger_page_without_the_accounts_panel(client, wf_ent, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("enterprises:detail", args=[wf_ent.pk])).content.decode()
    assert 'data-testid="firm-accounts"' not in page


# --- the county's confirmation page ------------------------------------------------------------------


def test_registrations_page_is_the_countys(client, county_official, other_county_official, lz_ent):
    mine = services.firm_register(**registration_data())
    theirs = services.firm_register(
        **registration_data(
            credit_code=make_credit_code(53001),
            name="林州注册公司",
            jurisdiction=jurisdiction(LZ),
            username="lzf",
        )
    )
    client.force_login(county_official)
    nav = client.get(reverse("enterprises:list")).content.decode()
    assert reverse("firms:registrations") in nav and 'title="待确认的注册">1<' in nav
    page = client.get(reverse("firms:registrations")).content.decode()
    assert mine.name in page and theirs.name not in page
    assert client.post(reverse("firms:registration_confirm", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("firms:registration_reject", args=[theirs.pk])).status_code == 404

    response = client.post(reverse("firms:registration_confirm", args=[mine.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == FirmRegistration.Status.CONFIRMED
    confirmed = client.get(reverse("firms:registrations"), {"status": "confirmed"}).content.decode()
    assert mine.name in confirmed
    pending = client.get(reverse("firms:registrations"), {"status": "pending"}).content.decode()
    assert mine.name not in pending


def test_confirm_of_another_countys_firm_is_explained(client, county_official, lz_ent):
    registration = services.firm_register(**registration_data(credit_code=lz_ent.credit_code))
    client.force_login(county_official)
    response = client.post(reverse("firms:registration_confirm", args=[registration.pk]), follow=True)
    page = response.content.decode()
    assert "市科技局" in page and lz_ent.name not in page


def test_reject_page_needs_a_reason(client, county_official):
    registration = services.firm_register(**registration_data())
    client.force_login(county_official)
    url = reverse("firms:registration_reject", args=[registration.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    response = client.post(url, {"reason": "执照名称不符"})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == FirmRegistration.Status.REJECTED
    # The firm signs in and reads why.
    client.force_login(registration.user)
    page = client.get(reverse("firms:home")).content.decode()
    assert "未通过" in page and "执照名称不符" in page


def test_reviewer_views_but_does_not_decide(client, reviewer):
    registration = services.firm_register(**registration_data())
    client.force_login(reviewer)
    page = client.get(reverse("firms:registrations")).content.decode()
    assert (
        registration.name in page
        and reverse("firms:registration_confirm", args=[registration.pk]) not in page
    )
    assert client.post(reverse("firms:registration_confirm", args=[registration.pk])).status_code == 403


# --- what a firm user sees ---------------------------------------------------------------------------


def test_firm_home_is_an_overview_of_its_own_record(client, firm_user, wf_ent, lz_ent):
    QualificationFactory(
        enterprise=wf_ent,
        kind="tech_sme",
        granted_on=datetime.date(2025, 5, 1),
        expires_on=datetime.date(2025, 12, 31),
    )
    MilestoneFactory(enterprise=wf_ent, title="完成研发辅助账")
    wf_ent.helper_name = "张帮扶"
    wf_ent.save()
    client.force_login(firm_user)
    page = client.get(reverse("firms:home")).content.decode()
    assert wf_ent.name in page and "2025-12-31" in page and "完成研发辅助账" in page and "张帮扶" in page
    assert "李工" in page  # its contact
    assert lz_ent.name not in page


def test_firm_user_reaches_nothing_of_another_enterprise(client, firm_user, lz_ent, wf_ent):
    other_user = UserFactory(username="lz_firm", role=Role.ENTERPRISE, jurisdiction=None, enterprise=lz_ent)
    client.force_login(firm_user)
    for url in (
        reverse("firms:invite", args=[lz_ent.pk]),
        reverse("firms:account_deactivate", args=[lz_ent.pk, other_user.pk]),
        reverse("firms:invitation_reissue", args=[lz_ent.pk, other_user.pk]),
        reverse("firms:registrations"),
        reverse("enterprises:detail", args=[lz_ent.pk]),
        reverse("enterprises:detail", args=[wf_ent.pk]),
    ):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (403, 404, 405), (url, method)
            assert lz_ent.name not in response.content.decode()


def test_unlinked_firm_user_sees_nothing(client, wf_ent):
    unlinked = UserFactory(username="f0", role=Role.ENTERPRISE, jurisdiction=None)
    client.force_login(unlinked)
    response = client.get(reverse("firms:home"))
    assert response.status_code == 403 and wf_ent.name not in response.content.decode()
    assert client.get(reverse("enterprises:list")).status_code in (403, 404)
