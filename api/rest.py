"""The API's framework glue: the token door, the scope check, the per-client throttle, the cursor pager,
the request limits and the language of the answer."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import authentication, permissions, throttling
from rest_framework.pagination import CursorPagination
from rest_framework.views import APIView

from anyang_hte.core.roles import is_client

from .errors import PayloadTooLarge, ScopeMissing, TokenExpired, TokenInvalid, TokenRevoked
from .models import TOKEN_PREFIX_LENGTH, ApiClient, token_digest
from .scopes import scope_label

KEYWORD = "Bearer"


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``: the client whose stored digest matches, if neither revoked nor
    expired. ``request.user`` becomes its :class:`~anyang_hte.core.roles.ClientActor`."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].decode("latin-1").lower() != KEYWORD.lower() or len(header) != 2:
            raise TokenInvalid(_("请在 Authorization 头中以“Bearer <令牌>”的形式提供访问令牌。"))
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise TokenInvalid() from None
        client = (
            ApiClient.objects.filter(token_prefix=token[:TOKEN_PREFIX_LENGTH], token_hash=token_digest(token))
            .select_related("jurisdiction")
            .first()
        )
        if client is None:
            raise TokenInvalid()
        if client.revoked_at is not None:
            raise TokenRevoked()
        now = timezone.now()
        if client.is_expired(now):
            raise TokenExpired()
        if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        return client.actor(), client

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


class HasScope(permissions.BasePermission):
    """The view's ``required_scope`` (``{"GET": ..., "POST": ...}`` or one code) is one the client holds."""

    def has_permission(self, request, view):
        if not is_client(request.user):
            return False  # DRF answers 401: no token
        wanted = view.required_scope
        if isinstance(wanted, dict):
            wanted = wanted.get(request.method, wanted.get("GET"))
        client = request.auth
        if wanted not in (client.scopes or []):
            message = _("本客户端没有“%(scope)s”（%(label)s）的授权。")
            raise ScopeMissing(message % {"scope": wanted, "label": scope_label(wanted)})
        return True


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """Requests per client (its id and token prefix: a new client never inherits another's count)."""

    scope = "api_client"

    def get_rate(self):
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": f"{client.pk}-{client.token_prefix}"}


class Cursor(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "id"


def _language(request) -> str:
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh-hans"
    return settings.LANGUAGE_CODE


class ApiView(APIView):
    """Every API view: token authentication, the scope check, the per-client throttle, Chinese answers
    unless ``Accept-Language`` asks for English, and a body no larger than ``API_MAX_BODY_BYTES``."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [ClientRateThrottle]
    required_scope: str | dict = ""

    def initialize_request(self, request, *args, **kwargs):
        language = _language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            raise PayloadTooLarge(
                _("请求内容为%(got)d字节，超过上限%(max)d字节；请分批提交。")
                % {"got": length, "max": settings.API_MAX_BODY_BYTES}
            )
        super().initial(request, *args, **kwargs)
        # DRF puts the client on the Django request too; field history (simple_history's middleware reads
        # that request) records people only, so it sees no user there, as for the system's own writes.
        request._request.user = AnonymousUser()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers["Content-Language"] = translation.get_language() or settings.LANGUAGE_CODE
        response.headers.setdefault("Vary", "Accept-Language")
        return response
