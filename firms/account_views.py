"""Firm accounts: the public registration and set-password pages, the county's invitation and its
confirmation of registrations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import User
from anyang_hte.core.pages import add_refusal_to_form, form_page, refusal_message
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, Role, has_right
from anyang_hte.core.scope import scope_queryset
from enterprises.selectors import enterprise_for_user

from . import selectors, services
from .forms import InviteForm, RegistrationFilterForm, RegistrationForm, RejectForm
from .models import FirmRegistration
from .throttle import ensure_registration_allowed

# --- public: a firm registers, an invited firm sets its password -------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def register(request):
    """A firm registers itself; its county confirms before it sees anything."""
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ensure_registration_allowed(request, username=form.cleaned_data["username"])
            registration = services.firm_register(**form.service_fields())
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(
                request,
                _(
                    "注册已提交，等待%(county)s科技部门确认。您现在可以登录查看确认进度；确认前看不到任何企业的数据。"
                )
                % {"county": registration.jurisdiction.name},
            )
            return redirect("login")
    return render(
        request,
        "firms/register.html",
        {"form": form, "crumbs": [(_("登录"), reverse("login")), (_("企业用户注册"), None)]},
    )


def _user_from_uid(uidb64) -> User | None:
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        return User.objects.get(pk=pk, role=Role.ENTERPRISE)
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        return None


@login_not_required
@require_http_methods(["GET", "POST"])
def set_password(request, uidb64, token):
    """The invited firm sets its password once through the link; then it logs in."""
    user = _user_from_uid(uidb64)
    valid = user is not None and user.is_active and default_token_generator.check_token(user, token)
    crumbs = [(_("登录"), reverse("login")), (_("设置密码"), None)]
    if not valid:
        return render(request, "firms/set_password.html", {"valid": False, "crumbs": crumbs}, status=404)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.firm_invitation_accept(
                user=user, token=token, password=form.cleaned_data["new_password1"]
            )
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, _("密码已设置，请用用户名“%(name)s”登录。") % {"name": user.username})
            return redirect("login")
    return render(
        request, "firms/set_password.html", {"valid": True, "form": form, "account": user, "crumbs": crumbs}
    )


# --- the county: invitations and the enterprise's firm users -----------------------------------------


@require_right(Right.FIRM_ACCOUNT_MANAGE)
@require_http_methods(["GET", "POST"])
def invite(request, pk: int):
    """Open a firm account for an enterprise of the county's ledger; its link is shown once, here."""
    enterprise = enterprise_for_user(request.user, pk)
    crumbs = [
        (_("培育台账"), reverse("enterprises:list")),
        (enterprise.name, reverse("enterprises:detail", args=[enterprise.pk])),
        (_("邀请企业用户"), None),
    ]
    initial = {"display_name": enterprise.contact_name, "phone": enterprise.contact_phone}
    form = InviteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.firm_invite(enterprise=enterprise, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            return _show_link(request, enterprise, link, crumbs)
    return render(request, "firms/invite.html", {"form": form, "enterprise": enterprise, "crumbs": crumbs})


def _show_link(request, enterprise, link, crumbs):
    # Rendered, not redirected: the link is shown this once and stored nowhere.
    response = render(
        request,
        "firms/invitation_link.html",
        {"enterprise": enterprise, "link": link, "crumbs": crumbs},
    )
    response["Cache-Control"] = "no-store"
    return response


def _firm_user_of(request, pk: int, user_pk: int):
    enterprise = enterprise_for_user(request.user, pk)
    account = get_object_or_404(User, pk=user_pk, role=Role.ENTERPRISE, enterprise=enterprise)
    return enterprise, account


@require_right(Right.FIRM_ACCOUNT_MANAGE)
@require_POST
def invitation_reissue(request, pk: int, user_pk: int):
    enterprise, account = _firm_user_of(request, pk, user_pk)
    try:
        link = services.firm_invitation_reissue(user=account, by=request.user)
    except DomainError as exc:
        messages.error(request, refusal_message(exc))
        return redirect(reverse("enterprises:detail", args=[enterprise.pk]) + "#firm-accounts")
    crumbs = [
        (_("培育台账"), reverse("enterprises:list")),
        (enterprise.name, reverse("enterprises:detail", args=[enterprise.pk])),
        (_("重新发送设置密码链接"), None),
    ]
    return _show_link(request, enterprise, link, crumbs)


@require_right(Right.FIRM_ACCOUNT_MANAGE)
@require_POST
def account_deactivate(request, pk: int, user_pk: int):
    enterprise, account = _firm_user_of(request, pk, user_pk)
    try:
        services.firm_account_deactivate(user=account, by=request.user)
    except DomainError as exc:
        messages.error(request, refusal_message(exc))
    else:
        messages.success(request, _("已停用企业用户“%(name)s”，其不能再登录。") % {"name": account.username})
    return redirect(reverse("enterprises:detail", args=[enterprise.pk]) + "#firm-accounts")


@require_right(Right.FIRM_ACCOUNT_MANAGE)
@require_POST
def account_reactivate(request, pk: int, user_pk: int):
    enterprise, account = _firm_user_of(request, pk, user_pk)
    try:
        services.firm_account_reactivate(user=account, by=request.user)
    except DomainError as exc:
        messages.error(request, refusal_message(exc))
    else:
        messages.success(request, _("已重新启用企业用户“%(name)s”。") % {"name": account.username})
    return redirect(reverse("enterprises:detail", args=[enterprise.pk]) + "#firm-accounts")


# --- the county confirms registrations ---------------------------------------------------------------


@require_safe
def registrations(request):
    """The county's registrations, pending first (the bureau sees every county's, to look)."""
    if not selectors.may_view_registrations(request.user):
        raise PermissionDenied(
            _("您的角色没有“%(right)s”的权限。") % {"right": Right.FIRM_ACCOUNT_MANAGE.label}
        )
    filter_form = RegistrationFilterForm(request.GET or None)
    status = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    rows = selectors.registrations_for_user(request.user, status=status)[:500]
    return render(
        request,
        "firms/registrations.html",
        {
            "rows": rows,
            "filter_form": filter_form,
            "status": status,
            "statuses": FirmRegistration.Status.choices,
            "can_decide": has_right(request.user, Right.FIRM_ACCOUNT_MANAGE),
            "crumbs": [(_("企业用户注册确认"), None)],
        },
    )


def _registration(request, pk: int) -> FirmRegistration:
    qs = scope_queryset(
        FirmRegistration.objects.select_related("jurisdiction"),
        request.user,
        jurisdiction_field="jurisdiction",
    )
    return get_object_or_404(qs, pk=pk)


@require_right(Right.FIRM_ACCOUNT_MANAGE)
@require_POST
def registration_confirm(request, pk: int):
    registration = _registration(request, pk)
    try:
        registration = services.firm_registration_confirm(registration=registration, by=request.user)
    except DomainError as exc:
        messages.error(
            request,
            _("未能确认“%(name)s”：%(reason)s") % {"name": registration.name, "reason": refusal_message(exc)},
        )
    else:
        messages.success(
            request,
            _("已确认“%(name)s”的企业账户，并关联到台账中的企业。") % {"name": registration.name},
        )
    return redirect(reverse("firms:registrations") + "?status=pending")


@require_right(Right.FIRM_ACCOUNT_MANAGE)
@require_http_methods(["GET", "POST"])
def registration_reject(request, pk: int):
    registration = _registration(request, pk)
    list_url = reverse("firms:registrations") + "?status=pending"
    return form_page(
        request,
        RejectForm(request.POST or None),
        save=lambda form: services.firm_registration_reject(
            registration=registration, reason=form.cleaned_data["reason"], by=request.user
        ),
        done=_("已退回“%(name)s”的注册，企业会收到原因。") % {"name": registration.name},
        success_url=list_url,
        title=_("退回企业用户注册"),
        crumbs=[(_("企业用户注册确认"), list_url)],
        cancel=list_url,
        notice=_("“%(name)s”（统一社会信用代码 %(code)s，联系人 %(contact)s %(phone)s）")
        % {
            "name": registration.name,
            "code": registration.credit_code,
            "contact": registration.contact_name,
            "phone": registration.contact_phone,
        },
    )
