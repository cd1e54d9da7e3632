"""The two-factor pages: the code after the password, the enrolment, the backup codes, the settings page,
and the administrator's reset. Enforcement is not here: see ``middleware.TwoFactorMiddleware``."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .errors import DomainError
from .forms import TwoFactorCodeForm, TwoFactorResetForm
from .models import User
from .roles import Right, has_right, two_factor_required
from .two_factor import (
    SESSION_ENABLED,
    SESSION_NEW_CODES,
    SESSION_NEXT,
    backup_codes_current,
    backup_codes_left,
    backup_codes_regenerate,
    confirmed_totp,
    has_two_factor,
    key_base32,
    qr_svg,
    two_factor_begin,
    two_factor_confirm,
    two_factor_disable,
    two_factor_reset,
    two_factor_verify,
)


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _crumbs(label):
    return [(_("首页"), reverse("home")), (_("两步验证"), reverse("two_factor:settings")), (label, None)]


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """After the password: the 6-digit code of the authenticator app, or a backup code."""
    user = request.user
    target = _next(request)
    if user.is_verified():
        return redirect(target)
    if not has_two_factor(user):
        if two_factor_required(user):
            return redirect(_with_next("two_factor:setup", target))
        request.session.pop(SESSION_ENABLED, None)  # turned off (or reset) since this session began
        return redirect(target)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor_verify(user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            request.session[SESSION_ENABLED] = True
            if isinstance(device, StaticDevice):
                left = backup_codes_left(user)
                messages.warning(
                    request,
                    _("您使用了一个备用码，还剩 %(n)s 个。备用码用完前请在“两步验证”页面重新生成。")
                    % {"n": left},
                )
            return redirect(target)
    crumbs = [(_("登录"), reverse("login")), (_("两步验证"), None)]
    return render(request, "two_factor/verify.html", {"form": form, "next": target, "crumbs": crumbs})


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request):
    """Enrolment: scan the QR code (or type the secret), confirm with a first code, get backup codes."""
    user = request.user
    target = _next(request)
    if has_two_factor(user):
        messages.info(request, _("您已启用两步验证。"))
        return redirect("two_factor:settings")
    device = two_factor_begin(user=user)
    form = TwoFactorCodeForm(request.POST or None, backup=False)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor_confirm(user=user, device=device, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            request.session[SESSION_ENABLED] = True
            request.session[SESSION_NEW_CODES] = codes
            request.session[SESSION_NEXT] = target
            messages.success(request, _("两步验证已启用：以后每次登录都需要输入身份验证器上的验证码。"))
            return redirect("two_factor:backup_codes")
    secret = key_base32(device)
    context = {
        "form": form,
        "next": target,
        "required": two_factor_required(user),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "crumbs": _crumbs(_("绑定身份验证器")),
    }
    return render(request, "two_factor/setup.html", context)


@never_cache
@require_safe
def qr(request):
    """The QR code of the enrolment in progress, drawn by this server (the secret never goes elsewhere)."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        raise Http404(_("没有进行中的绑定。"))
    return HttpResponse(qr_svg(device), content_type="image/svg+xml")


@never_cache
@require_safe
def backup_codes(request):
    """The backup codes just made, shown this once."""
    codes = request.session.pop(SESSION_NEW_CODES, None)
    target = request.session.pop(SESSION_NEXT, None) or reverse("two_factor:settings")
    if not codes:
        messages.info(
            request, _("备用码只在生成时显示一次。如已遗失，可在此页面重新生成一组（旧的随即作废）。")
        )
        return redirect("two_factor:settings")
    context = {"codes": codes, "next": target, "crumbs": _crumbs(_("备用码"))}
    return render(request, "two_factor/backup_codes.html", context)


@never_cache
@require_POST
def backup_codes_download(request):
    """The codes on the page just shown, as a text file (only the user's own current codes)."""
    codes = request.POST.getlist("code")
    if not codes or not set(codes) <= backup_codes_current(request.user):
        messages.error(request, _("这些备用码已失效，无法下载。如需新的备用码请重新生成。"))
        return redirect("two_factor:settings")
    lines = [
        _("安阳市高新技术企业培育管理平台 · 备用码"),
        _("账号：%(username)s") % {"username": request.user.get_username()},
        _("每个备用码只能使用一次；请妥善保管，不要与他人共享。"),
        "",
        *codes,
        "",
    ]
    response = HttpResponse("\r\n".join(lines), content_type="text/plain; charset=utf-8")
    filename = f"anyang-hte-backup-codes-{request.user.get_username()}.txt"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
def backup_codes_new(request):
    try:
        codes = backup_codes_regenerate(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("two_factor:settings")
    request.session[SESSION_NEW_CODES] = codes
    request.session[SESSION_NEXT] = reverse("two_factor:settings")
    messages.success(request, _("已生成一组新的备用码，旧的备用码已全部作废。"))
    return redirect("two_factor:backup_codes")


@require_safe
def settings_page(request):
    user = request.user
    context = {
        "device": confirmed_totp(user),
        "required": two_factor_required(user),
        "backup_left": backup_codes_left(user),
        "may_reset": has_right(user, Right.TWO_FACTOR_RESET),
        "crumbs": [(_("首页"), reverse("home")), (_("两步验证"), None)],
    }
    return render(request, "two_factor/settings.html", context)


@require_POST
def disable(request):
    try:
        two_factor_disable(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        request.session.pop(SESSION_ENABLED, None)
        messages.success(request, _("两步验证已关闭：以后登录只需密码。"))
    return redirect("two_factor:settings")


@require_http_methods(["GET", "POST"])
def reset(request):
    """An administrator removes a user's authenticator and backup codes (a lost phone); audited."""
    if not has_right(request.user, Right.TWO_FACTOR_RESET):
        return render(
            request, "403.html", {"exception": _("只有系统管理员可以重置用户的两步验证。")}, status=403
        )
    form = TwoFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = User.objects.filter(username=form.cleaned_data["username"]).first()
        if target is None:
            form.add_error("username", _("没有这个用户名。"))
        else:
            try:
                removed = two_factor_reset(user=target, by=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("已重置 %(user)s 的两步验证（删除 %(n)s 个验证设备），该用户下次登录时须重新绑定。")
                    % {"user": target, "n": removed},
                )
                return redirect("two_factor:reset")
    return render(
        request, "two_factor/reset.html", {"form": form, "crumbs": _crumbs(_("重置用户的两步验证"))}
    )
