from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from .roles import two_factor_required
from .two_factor import SESSION_ENABLED, has_two_factor


class PortalLocaleMiddleware:
    """Chinese unless the user chose otherwise with the language switch (a cookie).

    Unlike Django's LocaleMiddleware it ignores the browser's Accept-Language: a county office
    whose browsers happen to be set to English still gets the Chinese portal by default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class TwoFactorMiddleware:
    """The one place that enforces the second factor (after django-otp's ``OTPMiddleware``).

    A signed-in user who must pass a second factor (a money role or an administrator, see
    :func:`~anyang_hte.core.roles.two_factor_required`, or anyone who opted in) and whose session has not
    passed it reaches only the two-factor pages, log-in and log-out, the language switch, static files
    and the health check. Any other page, /admin/ included, sends a GET to the code (or to the enrolment
    when there is no authenticator yet) with ``next`` kept; anything else (a form's POST, an HTMX
    request) gets a 403 that says why.
    """

    OPEN_URL_NAMES = frozenset({"login", "logout", "set_language", "healthz"})
    OPEN_TWO_FACTOR_PAGES = frozenset({"verify", "setup", "qr"})
    # Public pages that anyone may read without a log-in (the 公示 of proposed rewards).
    OPEN_NAMESPACES = frozenset({"gongshi"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        # The header shows nothing of the portal (menus, messages) until the second factor is passed.
        request.two_factor_pending = bool(user.is_authenticated and self._must_verify(request, user))
        if request.two_factor_pending and not self._open(request):
            return self._refuse(request, user)
        return self.get_response(request)

    @staticmethod
    def _must_verify(request, user) -> bool:
        wanted = two_factor_required(user) or request.session.get(SESSION_ENABLED, False)
        return bool(wanted and not user.is_verified())

    def _open(self, request) -> bool:
        path = request.path_info
        if path.startswith(settings.STATIC_URL) or path.rstrip("/") == "/healthz":
            return True
        try:
            match = resolve(path)
        except Resolver404:
            return False
        if match.namespace in self.OPEN_NAMESPACES:
            return True
        if match.namespace == "two_factor":
            return match.url_name in self.OPEN_TWO_FACTOR_PAGES
        return not match.namespace and match.url_name in self.OPEN_URL_NAMES

    @staticmethod
    def _refuse(request, user):
        enrolled = has_two_factor(user)
        if enrolled:
            page = "two_factor:verify"
            reason = _("此页面需要先完成两步验证：请输入身份验证器上的 6 位验证码（或一个备用码）。")
        else:
            page = "two_factor:setup"
            reason = _("您的角色须使用两步验证：请先用手机上的身份验证器绑定本账号，再继续办理。")
        target = f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}"
        if request.method in ("GET", "HEAD") and not request.headers.get("HX-Request"):
            messages.info(request, reason)
            return redirect(target)
        response = render(request, "403.html", {"exception": reason}, status=403)
        response["HX-Redirect"] = target
        return response
