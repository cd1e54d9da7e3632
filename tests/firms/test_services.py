"""Firm account services: invitation, registration, confirmation, rejection, deactivation."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog, Notification, User
from anyang_hte.core.roles import Right, Role, has_right
from enterprises.models import Enterprise
from firms import services
from firms.models import FirmInvitation, FirmRegistration
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction, make_credit_code

from .conftest import LZ, WF, registration_data

pytestmark = pytest.mark.django_db


# --- invitation --------------------------------------------------------------------------------------


def test_invite_opens_a_bound_account_with_a_one_time_link(
    wf_ent, county_official, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        link = services.firm_invite(
            enterprise=wf_ent,
            username="wf_firm",
            email="firm@example.cn",
            display_name="李工",
            by=county_official,
        )
    user = link.user
    assert user.role == Role.ENTERPRISE and user.enterprise == wf_ent and user.jurisdiction is None
    assert not user.has_usable_password()
    assert has_right(user, Right.FIRM_SELF)
    assert FirmInvitation.objects.get(user=user).invited_by == county_official
    assert AuditLog.objects.filter(action="firms.invitation.created", object_id=str(user.pk)).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["firm@example.cn"]
    assert link.path in mail.outbox[0].body and "wf_firm" in mail.outbox[0].body

    token = link.path.rstrip("/").split("/")[-1]
    services.firm_invitation_accept(user=user, token=token, password="Wenfeng-Firm-2026")
    user.refresh_from_db()
    assert user.check_password("Wenfeng-Firm-2026")
    assert FirmInvitation.objects.get(user=user).used_at is not None
    # One time: the token no longer matches once the password is set.
    assert not default_token_generator.check_token(user, token)
    with pytest.raises(DomainError, match="链接无效或已使用过"):
        services.firm_invitation_accept(user=user, token=token, password="Another-Pass-2026")


def test_invite_refused_for_another_county_wrong_role_and_anonymous(wf_ent, other_county_official, reviewer):
    firm = UserFactory(username="f1", role=Role.ENTERPRISE, jurisdiction=None, enterprise=wf_ent)
    for by in (other_county_official, reviewer, firm, None):
        with pytest.raises(DomainError) as exc:
            services.firm_invite(enterprise=wf_ent, username="x_firm", email="x@example.cn", by=by)
        assert wf_ent.name not in exc.value.message
    assert not User.objects.filter(username="x_firm").exists()


def test_invite_names_the_field_it_refuses(wf_ent, county_official):
    UserFactory(username="taken")
    with pytest.raises(DomainError) as exc:
        services.firm_invite(enterprise=wf_ent, username="TAKEN", email="t@example.cn", by=county_official)
    assert exc.value.field == "username"
    with pytest.raises(DomainError) as exc:
        services.firm_invite(enterprise=wf_ent, username="fresh", email="not-an-email", by=county_official)
    assert exc.value.field == "email"


def test_reissue_stops_the_old_link(wf_ent, county_official):
    link = services.firm_invite(
        enterprise=wf_ent, username="wf_firm", email="f@example.cn", by=county_official
    )
    old_token = link.path.rstrip("/").split("/")[-1]
    new = services.firm_invitation_reissue(user=link.user, by=county_official)
    user = User.objects.get(pk=link.user.pk)
    assert not default_token_generator.check_token(user, old_token)
    assert default_token_generator.check_token(user, new.path.rstrip("/").split("/")[-1])


def test_deactivate_is_the_countys_and_audited(wf_ent, county_official, other_county_official, firm_user):
    with pytest.raises(DomainError):
        services.firm_account_deactivate(user=firm_user, by=other_county_official)
    with pytest.raises(DomainError):
        services.firm_account_deactivate(user=firm_user, by=firm_user)
    services.firm_account_deactivate(user=firm_user, by=county_official)
    firm_user.refresh_from_db()
    assert not firm_user.is_active and not has_right(firm_user, Right.FIRM_SELF)
    assert AuditLog.objects.filter(action="firms.account.deactivated", user=county_official).exists()
    with pytest.raises(DomainError, match="已停用"):
        services.firm_account_deactivate(user=firm_user, by=county_official)


def test_a_stopped_firm_user_is_started_again_by_its_county(
    client, wf_ent, county_official, other_county_official, firm_user
):
    services.firm_account_deactivate(user=firm_user, by=county_official)
    with pytest.raises(DomainError):
        services.firm_account_reactivate(user=firm_user, by=other_county_official)
    client.force_login(county_official)
    url = reverse("firms:account_reactivate", args=[wf_ent.pk, firm_user.pk])
    assert "已重新启用" in client.post(url, follow=True).content.decode()
    firm_user.refresh_from_db()
    assert firm_user.is_active and has_right(firm_user, Right.FIRM_SELF)
    assert AuditLog.objects.filter(action="firms.account.reactivated", user=county_official).exists()
    with pytest.raises(DomainError, match="无需启用"):
        services.firm_account_reactivate(user=firm_user, by=county_official)


def test_deactivate_refuses_a_non_firm_account(county_official):
    colleague = UserFactory(username="colleague", role=Role.COUNTY_OFFICIAL)
    with pytest.raises(DomainError, match="不是企业用户"):
        services.firm_account_deactivate(user=colleague, by=county_official)


# --- self-registration -------------------------------------------------------------------------------


def test_register_opens_an_unlinked_account_and_tells_the_county(county_official, other_county_official):
    registration = services.firm_register(**registration_data())
    user = registration.user
    assert registration.status == FirmRegistration.Status.PENDING
    assert user.role == Role.ENTERPRISE and user.enterprise is None and user.is_active
    assert user.check_password("Anyang-Reg-2026")
    assert not has_right(user, Right.FIRM_SELF)  # sees nothing until confirmed
    told = Notification.objects.filter(title__contains="新注册科技有限公司")
    assert [n.user for n in told] == [county_official]  # its county only


def test_register_checks_the_credit_code_checksum():
    good = make_credit_code(51001)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(DomainError, match="校验码") as exc:
        services.firm_register(**registration_data(credit_code=bad))
    assert exc.value.field == "credit_code"
    assert not User.objects.filter(username="newfirm").exists()


@pytest.mark.parametrize("holder", ["pending", "confirmed", "active_firm_user"])
def test_a_held_code_is_refused_without_naming_the_holder(holder, lz_ent, other_county_official):
    code = lz_ent.credit_code
    if holder == "active_firm_user":
        UserFactory(username="lz_firm", role=Role.ENTERPRISE, jurisdiction=None, enterprise=lz_ent)
    else:
        first = services.firm_register(
            **registration_data(credit_code=code, name="林州保密科技有限公司", jurisdiction=jurisdiction(LZ))
        )
        if holder == "confirmed":
            services.firm_registration_confirm(registration=first, by=other_county_official)
    with pytest.raises(DomainError) as exc:
        services.firm_register(**registration_data(credit_code=code, username="second"))
    message = exc.value.message
    assert exc.value.field == "credit_code"
    assert message == "该统一社会信用代码已有企业账户注册，如有疑问请联系所在县区科技部门。"
    assert "林州" not in message and lz_ent.name not in message
    assert not User.objects.filter(username="second").exists()


def test_a_rejected_registration_frees_its_code(county_official):
    first = services.firm_register(**registration_data())
    services.firm_registration_reject(registration=first, reason="名称与执照不符", by=county_official)
    again = services.firm_register(**registration_data(username="again"))
    assert again.status == FirmRegistration.Status.PENDING


def test_register_refuses_a_weak_password_on_its_field():
    with pytest.raises(DomainError) as exc:
        services.firm_register(**registration_data(password="12345678"))
    assert exc.value.field == "password1"
    assert not User.objects.filter(username="newfirm").exists()


# --- the county confirms -----------------------------------------------------------------------------


def test_confirm_links_the_ledgers_enterprise(wf_ent, county_official):
    registration = services.firm_register(**registration_data(credit_code=wf_ent.credit_code))
    before = Enterprise.objects.count()
    services.firm_registration_confirm(registration=registration, by=county_official)
    registration.refresh_from_db()
    user = User.objects.get(pk=registration.user_id)
    assert registration.status == FirmRegistration.Status.CONFIRMED and registration.enterprise == wf_ent
    assert registration.decided_by == county_official and registration.decided_at
    assert user.enterprise == wf_ent and has_right(user, Right.FIRM_SELF)
    assert Enterprise.objects.count() == before
    assert Notification.objects.filter(user=user, title="企业账户已确认").exists()
    assert AuditLog.objects.filter(action="firms.registration.confirmed", user=county_official).exists()


def test_confirm_adds_a_firm_missing_from_the_ledger(county_official):
    registration = services.firm_register(**registration_data())
    services.firm_registration_confirm(registration=registration, by=county_official)
    enterprise = Enterprise.objects.get(credit_code=registration.credit_code)
    assert enterprise.jurisdiction.code == WF and enterprise.name == "新注册科技有限公司"
    assert enterprise.contact_name == "赵经理" and enterprise.created_by == county_official
    assert User.objects.get(pk=registration.user_id).enterprise == enterprise


def test_confirm_refuses_a_firm_of_another_countys_ledger(lz_ent, county_official):
    registration = services.firm_register(**registration_data(credit_code=lz_ent.credit_code))
    with pytest.raises(DomainError) as exc:
        services.firm_registration_confirm(registration=registration, by=county_official)
    assert "市科技局" in exc.value.message
    assert lz_ent.name not in exc.value.message and "林州" not in exc.value.message
    registration.refresh_from_db()
    assert registration.status == FirmRegistration.Status.PENDING
    assert User.objects.get(pk=registration.user_id).enterprise is None


def test_confirm_and_reject_are_the_registrations_countys(other_county_official, reviewer):
    registration = services.firm_register(**registration_data())
    for by in (other_county_official, reviewer, None):
        with pytest.raises(DomainError):
            services.firm_registration_confirm(registration=registration, by=by)
        with pytest.raises(DomainError):
            services.firm_registration_reject(registration=registration, reason="x", by=by)
    registration.refresh_from_db()
    assert registration.status == FirmRegistration.Status.PENDING


def test_reject_needs_a_reason_and_tells_the_firm(county_official):
    registration = services.firm_register(**registration_data())
    with pytest.raises(DomainError) as exc:
        services.firm_registration_reject(registration=registration, reason="  ", by=county_official)
    assert exc.value.field == "reason"
    services.firm_registration_reject(registration=registration, reason="执照名称不符", by=county_official)
    registration.refresh_from_db()
    assert registration.status == FirmRegistration.Status.REJECTED and registration.reason == "执照名称不符"
    assert Notification.objects.filter(user=registration.user, body__contains="执照名称不符").exists()
    with pytest.raises(DomainError, match="已办理（不予确认）"):
        services.firm_registration_confirm(registration=registration, by=county_official)


def test_a_firm_user_cannot_manage_accounts(firm_user):
    other_ent = EnterpriseFactory(jurisdiction=jurisdiction(WF))
    for enterprise in (firm_user.enterprise, other_ent):
        with pytest.raises(DomainError):
            services.firm_invite(enterprise=enterprise, username="sneaky", email="s@example.cn", by=firm_user)
