"""The API's refusals: each a distinct status and ``code``, with a reason (per field where there is one).

Every error body has the same shape (``ErrorSerializer`` documents it in the schema):
``{"code": "...", "detail": "...", "errors": {"field": ["reason", ...]}}``; ``errors`` is empty when the
refusal is about the request as a whole.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from anyang_hte.core.errors import DomainError

NON_FIELD = "non_field_errors"


class TokenInvalid(exceptions.AuthenticationFailed):
    default_detail = gettext_lazy("访问令牌无效。")
    default_code = "token_invalid"


class TokenRevoked(exceptions.AuthenticationFailed):
    default_detail = gettext_lazy("访问令牌已被吊销，请联系市科技局重新申请。")
    default_code = "token_revoked"


class TokenExpired(exceptions.AuthenticationFailed):
    default_detail = gettext_lazy("访问令牌已过期，请联系市科技局重新申请。")
    default_code = "token_expired"


class ScopeMissing(exceptions.PermissionDenied):
    default_code = "scope_missing"


class OutOfJurisdiction(exceptions.PermissionDenied):
    default_detail = gettext_lazy("该企业不属于本客户端所在的县区，不能访问。")
    default_code = "out_of_jurisdiction"


class UnknownCreditCode(exceptions.NotFound):
    default_code = "unknown_credit_code"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class Refused(exceptions.APIException):
    """A service's ``DomainError``: the business rule said no (nothing was written)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "refused"


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error detail → ``{"field": [reasons]}`` (nested fields joined with dots)."""
    out: dict[str, list[str]] = {}

    def walk(value, path: str):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out.setdefault(path or NON_FIELD, []).extend(str(v) for v in value)
            else:
                for index, sub in enumerate(value):
                    walk(sub, f"{path}.{index}" if path else str(index))
        else:
            out.setdefault(path or NON_FIELD, []).append(str(value))

    walk(detail, "")
    return out


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        errors = {(k or NON_FIELD): [str(m) for m in v] for k, v in exc.errors.items()}
        if not errors:
            errors = {exc.field or NON_FIELD: [exc.message]}
        exc = Refused(detail=exc.message)
        response = Response({"code": "refused", "detail": str(exc.detail), "errors": errors}, status=400)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = _("请求中有错误，请按字段修改后重试。")
        body = {"code": "invalid", "detail": detail, "errors": _flatten(exc.detail)}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        text = str(detail) if not isinstance(detail, dict | list) else _("请求有误。")
        body = {"code": _code_of(exc), "detail": text, "errors": {}}
    else:  # pragma: no cover - DRF only builds responses for APIException and Http404/PermissionDenied
        body = {"code": "error", "detail": str(exc), "errors": {}}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response.status_code = status.HTTP_401_UNAUTHORIZED
        body["code"] = "token_missing" if isinstance(exc, exceptions.NotAuthenticated) else body["code"]
    response.data = body
    return response
