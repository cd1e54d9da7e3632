"""Every write to firm accounts (企业用户). Two ways in, both ending in a user bound to one enterprise:

- the county invites a firm from its ledger (``firm_invite``): an account with an unusable password and a
  one-time set-password link, shown once to the official and e-mailed to the firm;
- a firm registers itself (``firm_register``), then its county confirms (``firm_registration_confirm``,
  which links the account to the ledger's enterprise or adds the firm to the ledger) or rejects it.

Two services take no ``by``, and say why: ``firm_register`` is the public door (nobody is signed in; the
page holds it with django-axes and a per-address limit, ``firms.throttle``), and ``firm_invitation_accept``
is opened by the invitation's token, which only the invited firm holds.

A refusal never names another firm or another county's data: a credit code already held says only
that it is held.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import guard
from anyang_hte.core.models import Jurisdiction, User
from anyang_hte.core.notifications import notify
from anyang_hte.core.outbox import outbox_add
from anyang_hte.core.roles import Right, Role
from enterprises.identifiers import validate_credit_code
from enterprises.models import Enterprise
from enterprises.services import enterprise_create

from .models import FirmInvitation, FirmRegistration


def _code_held_message() -> str:
    return _("该统一社会信用代码已有企业账户注册，如有疑问请联系所在县区科技部门。")


def _credit_code(raw: str) -> str:
    try:
        return validate_credit_code(raw)
    except ValidationError as exc:
        raise DomainError("；".join(exc.messages), field="credit_code") from None


def _username(raw: str) -> str:
    username = User.normalize_username((raw or "").strip())
    if not username:
        raise DomainError(_("请填写登录用户名。"), field="username")
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as exc:
        raise DomainError("；".join(exc.messages), field="username") from None
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("用户名“%(name)s”已被使用，请换一个。") % {"name": username}, field="username")
    return username


def _email(raw: str) -> str:
    email = (raw or "").strip()
    if not email:
        raise DomainError(_("请填写电子邮箱。"), field="email")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("电子邮箱格式不正确。"), field="email") from None
    return email


def _required(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("请填写%(label)s。") % {"label": label}, field=field)
    return value


def credit_code_held(code: str) -> bool:
    """Whether another registered firm holds ``code``: a pending or confirmed registration, or an
    enterprise of the ledger that already has an active firm user."""
    if FirmRegistration.objects.filter(credit_code=code, status__in=FirmRegistration.HOLDING).exists():
        return True
    return User.objects.filter(role=Role.ENTERPRISE, is_active=True, enterprise__credit_code=code).exists()


def _county_officials(jurisdiction_id):
    return User.objects.filter(role=Role.COUNTY_OFFICIAL, jurisdiction_id=jurisdiction_id, is_active=True)


# --- the county invites ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationLink:
    user: User
    invitation: FirmInvitation
    path: str  # the set-password page for this user and token (shown once, e-mailed)

    @property
    def absolute_url(self) -> str:
        return portal_url(self.path)


def portal_url(path: str) -> str:
    return getattr(settings, "PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def set_password_path(user: User) -> str:
    """A set-password link for ``user``: valid until the password is set (or for PASSWORD_RESET_TIMEOUT)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("firms:set_password", kwargs={"uidb64": uidb64, "token": token})


def _send_invitation_mail(link: InvitationLink) -> None:
    enterprise = link.invitation.enterprise
    body = _(
        "%(county)s科技部门为“%(name)s”开设了安阳市高新技术企业培育管理平台的企业账户。\n\n"
        "登录用户名：%(username)s\n请打开以下链接设置密码（只能使用一次）：\n%(url)s\n\n"
        "设置密码后即可登录，查看和填报本企业的信息。"
    ) % {
        "county": enterprise.jurisdiction.name,
        "name": enterprise.name,
        "username": link.user.username,
        "url": link.absolute_url,
    }
    subject = _("[安阳高企培育平台] 企业账户开通：请设置密码")
    # in the invitation's transaction; sent after the commit, or later if the broker or server is down
    outbox_add(recipients=[link.invitation.email], subject=subject, body=body)


@transaction.atomic
def firm_invite(
    *, enterprise: Enterprise, username: str, email: str, display_name: str = "", phone: str = "", by
) -> InvitationLink:
    """Open an account for ``enterprise`` (its county's official only) and return its set-password link."""
    enterprise = Enterprise.objects.select_related("jurisdiction").get(pk=enterprise.pk)
    guard(
        by,
        Right.FIRM_ACCOUNT_MANAGE,
        jurisdiction_id=enterprise.jurisdiction_id,
        scope_reason=_("该企业不在您所在县区的培育台账中，不能邀请其企业用户。"),
    )
    username = _username(username)
    email = _email(email)
    user = User(
        username=username,
        role=Role.ENTERPRISE,
        enterprise=enterprise,
        email=email,
        display_name=(display_name or "").strip(),
        phone=(phone or "").strip(),
    )
    user.set_unusable_password()
    user.save()
    invitation = FirmInvitation.objects.create(user=user, enterprise=enterprise, invited_by=by, email=email)
    audit_log(user, "firms.invitation.created", by=by, data={"enterprise": enterprise.pk, "email": email})
    link = InvitationLink(user=user, invitation=invitation, path=set_password_path(user))
    _send_invitation_mail(link)
    return link


def _invited_account(user: User, by) -> tuple[User, FirmInvitation]:
    user = User.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=user.pk)
    if user.role != Role.ENTERPRISE or user.enterprise_id is None:
        raise DomainError(_("该账户不是企业用户，不能在此办理。"))
    guard(
        by,
        Right.FIRM_ACCOUNT_MANAGE,
        jurisdiction_id=user.enterprise.jurisdiction_id,
        scope_reason=_("该企业不在您所在县区的培育台账中，不能办理其企业用户。"),
    )
    return user, FirmInvitation.objects.filter(user=user).first()


@transaction.atomic
def firm_invitation_reissue(*, user: User, by) -> InvitationLink:
    """A new set-password link for an invited account whose password is not yet set (the old one stops)."""
    user, invitation = _invited_account(user, by)
    if invitation is None or invitation.used_at is not None or user.has_usable_password():
        raise DomainError(_("该企业用户已设置密码，不能再发送设置密码链接。"))
    if not user.is_active:
        raise DomainError(_("该企业用户已停用，不能再发送设置密码链接。"))
    user.set_unusable_password()  # a new random marker: the old link no longer matches
    user.save(update_fields=["password"])
    audit_log(user, "firms.invitation.reissued", by=by, data={"enterprise": user.enterprise_id})
    link = InvitationLink(user=user, invitation=invitation, path=set_password_path(user))
    _send_invitation_mail(link)
    return link


@transaction.atomic
def firm_invitation_accept(*, user: User, token: str, password: str) -> User:
    """Set the invited firm user's password once (the public door opened by the link's token).

    The token is Django's password-reset token: it depends on the stored password, so it stops working
    the moment this sets one. ``password`` has passed the password validators (the page's form)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if (
        user.role != Role.ENTERPRISE
        or not user.is_active
        or not default_token_generator.check_token(user, token)
    ):
        raise DomainError(_("链接无效或已使用过。如需重新设置，请联系所在县区科技部门重新发送链接。"))
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("；".join(exc.messages), field="new_password1") from None
    user.set_password(password)
    user.save(update_fields=["password"])
    FirmInvitation.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    audit_log(user, "firms.invitation.accepted", by=user)
    return user


@transaction.atomic
def firm_account_deactivate(*, user: User, by) -> User:
    """Stop a firm user of the county's enterprise from signing in (its rows stay)."""
    user, _invitation = _invited_account(user, by)
    if not user.is_active:
        raise DomainError(_("该企业用户已停用。"))
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_log(user, "firms.account.deactivated", by=by, data={"enterprise": user.enterprise_id})
    return user


@transaction.atomic
def firm_account_reactivate(*, user: User, by) -> User:
    """Let a stopped firm user of the county's enterprise sign in again (its password unchanged; an
    account that never set one gets a new link through 重新发送链接)."""
    user, _invitation = _invited_account(user, by)
    if user.is_active:
        raise DomainError(_("该企业用户正在使用中，无需启用。"))
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_log(user, "firms.account.reactivated", by=by, data={"enterprise": user.enterprise_id})
    return user


# --- the firm registers, its county confirms ---------------------------------------------------------


@transaction.atomic
def firm_register(
    *,
    credit_code: str,
    name: str,
    jurisdiction: Jurisdiction,
    contact_name: str,
    contact_phone: str,
    email: str,
    username: str,
    password: str,
) -> FirmRegistration:
    """The public door (no ``by``: nobody is signed in). Opens an active firm account without an
    enterprise link (it sees nothing until confirmed) and a pending registration; tells the county."""
    code = _credit_code(credit_code)
    name = _required(name, "name", _("企业名称"))
    if jurisdiction is None:
        raise DomainError(_("请选择企业所在县区。"), field="jurisdiction")
    contact_name = _required(contact_name, "contact_name", _("联系人"))
    contact_phone = _required(contact_phone, "contact_phone", _("联系电话"))
    email = _email(email)
    username = _username(username)
    if credit_code_held(code):
        raise DomainError(_code_held_message(), field="credit_code")
    user = User(
        username=username,
        role=Role.ENTERPRISE,
        email=email,
        display_name=contact_name,
        phone=contact_phone,
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("；".join(exc.messages), field="password1") from None
    user.set_password(password)
    user.save()
    try:
        with transaction.atomic():
            registration = FirmRegistration.objects.create(
                user=user,
                credit_code=code,
                name=name,
                jurisdiction=jurisdiction,
                contact_name=contact_name,
                contact_phone=contact_phone,
                email=email,
            )
    except IntegrityError:  # another registration of the same code got in first
        raise DomainError(_code_held_message(), field="credit_code") from None
    audit_log(registration, "firms.registration.created", by=user, data={"credit_code": code})
    notify(
        users=_county_officials(jurisdiction.pk),
        title=_("企业用户注册待确认：%(name)s") % {"name": name},
        body=_("“%(name)s”（统一社会信用代码 %(code)s）注册了企业账户，请核实后确认或退回。")
        % {"name": name, "code": code},
        url=reverse("firms:registrations") + "?status=pending",
    )
    return registration


def _pending(registration: FirmRegistration, by) -> FirmRegistration:
    registration = FirmRegistration.objects.select_for_update().get(pk=registration.pk)
    guard(
        by,
        Right.FIRM_ACCOUNT_MANAGE,
        jurisdiction_id=registration.jurisdiction_id,
        scope_reason=_("该注册不属于您所在县区，不能办理。"),
    )
    if registration.status != FirmRegistration.Status.PENDING:
        raise DomainError(
            _("该注册已办理（%(status)s），不能再确认或退回。")
            % {"status": registration.get_status_display()}
        )
    return registration


@transaction.atomic
def firm_registration_confirm(*, registration: FirmRegistration, by) -> FirmRegistration:
    """Link the account to the ledger's enterprise of that credit code in the registration's county, or
    add the firm to that county's ledger; a code in another county's ledger is refused (the city decides
    which county a firm belongs to)."""
    registration = _pending(registration, by)
    enterprise = Enterprise.objects.filter(credit_code=registration.credit_code).first()
    if enterprise is not None and enterprise.jurisdiction_id != registration.jurisdiction_id:
        raise DomainError(
            _(
                "该统一社会信用代码的企业已在本市其他县区的培育台账中，不能由本县区确认。"
                "请联系市科技局核实企业所属县区后处理。"
            )
        )
    if enterprise is None:
        enterprise = enterprise_create(
            credit_code=registration.credit_code,
            name=registration.name,
            jurisdiction=registration.jurisdiction,
            contact_name=registration.contact_name,
            contact_phone=registration.contact_phone,
            by=by,
        )
        created = True
    else:
        created = False
    user = User.objects.select_for_update().get(pk=registration.user_id)
    user.enterprise = enterprise
    user.save(update_fields=["enterprise"])
    registration.status = FirmRegistration.Status.CONFIRMED
    registration.enterprise = enterprise
    registration.decided_by = by
    registration.decided_at = timezone.now()
    registration.save(update_fields=["status", "enterprise", "decided_by", "decided_at"])
    audit_log(
        registration,
        "firms.registration.confirmed",
        by=by,
        data={"enterprise": enterprise.pk, "added_to_ledger": created},
    )
    notify(
        users=[user],
        title=_("企业账户已确认"),
        body=_("%(county)s科技部门已确认您的企业账户，现可查看和填报“%(name)s”的信息。")
        % {"county": registration.jurisdiction.name, "name": enterprise.name},
        url=reverse("firms:home"),
    )
    return registration


@transaction.atomic
def firm_registration_reject(*, registration: FirmRegistration, reason: str, by) -> FirmRegistration:
    """Reject a pending registration with the reason the firm is told; the account stays unlinked."""
    registration = _pending(registration, by)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写不予确认的原因，企业会看到这一原因。"), field="reason")
    registration.status = FirmRegistration.Status.REJECTED
    registration.reason = reason
    registration.decided_by = by
    registration.decided_at = timezone.now()
    registration.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit_log(registration, "firms.registration.rejected", by=by, data={"reason": reason})
    notify(
        users=[registration.user],
        title=_("企业账户注册未通过确认"),
        body=_("%(county)s科技部门未确认您以“%(name)s”提交的注册。原因：%(reason)s")
        % {"county": registration.jurisdiction.name, "name": registration.name, "reason": reason},
        url=reverse("firms:home"),
    )
    return registration
