"""API clients written: created (the token returned once, only its digest kept) and revoked."""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import CITY_LEVEL, guard
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import Right, person

from .models import TOKEN_PREFIX_LENGTH, ApiClient, token_digest
from .scopes import SCOPES

MAX_DAYS = 3 * 366


def _check_right(by) -> None:
    reason = _("您没有管理数据接口客户端的权限。")
    guard(by, Right.API_CLIENT_MANAGE, jurisdiction_id=CITY_LEVEL, reason=reason)


def _check_scopes(scopes, *, city_wide: bool) -> list[str]:
    scopes = sorted({str(s).strip() for s in scopes or [] if str(s).strip()})
    if not scopes:
        raise DomainError(_("请至少授予一项权限范围。"), field="scopes")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise DomainError(
            _("未知的权限范围：%(bad)s；可用的有：%(all)s。")
            % {"bad": ", ".join(unknown), "all": ", ".join(SCOPES)},
            field="scopes",
        )
    city_only = [s for s in scopes if SCOPES[s][2]]
    if city_only and not city_wide:
        raise DomainError(
            _("权限范围 %(s)s 只能授予全市范围的客户端。") % {"s": ", ".join(city_only)}, field="scopes"
        )
    return scopes


@transaction.atomic
def api_client_create(
    *,
    name: str,
    scopes,
    by,
    city_wide: bool = False,
    jurisdiction: Jurisdiction | None = None,
    days: int = 365,
) -> tuple[ApiClient, str]:
    """A new client and its token (returned here once; the database keeps only its digest)."""
    _check_right(by)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写客户端名称。"), field="name")
    if ApiClient.objects.filter(name=name).exists():
        raise DomainError(_("已有名为“%(name)s”的客户端。") % {"name": name}, field="name")
    if city_wide == (jurisdiction is not None):
        raise DomainError(_("请指定全市范围或一个县区（二者选一）。"), field="jurisdiction")
    scopes = _check_scopes(scopes, city_wide=city_wide)
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise DomainError(_("有效天数应在1到%(max)d之间。") % {"max": MAX_DAYS}, field="days")
    while True:
        token = secrets.token_urlsafe(32)
        prefix = token[:TOKEN_PREFIX_LENGTH]
        if not ApiClient.objects.filter(token_prefix=prefix).exists():
            break
    client = ApiClient.objects.create(
        name=name,
        city_wide=city_wide,
        jurisdiction=jurisdiction,
        scopes=scopes,
        token_prefix=prefix,
        token_hash=token_digest(token),
        created_by=person(by),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    audit_log(
        client,
        "api.client.created",
        by=by,
        data={
            "name": name,
            "scope": "city" if city_wide else jurisdiction.code,
            "scopes": scopes,
            "expires_at": client.expires_at.isoformat(),
        },
    )
    return client, token


@transaction.atomic
def api_client_revoke(*, client: ApiClient, by) -> ApiClient:
    """The client's token stops working at once; the row stays (the audit names it)."""
    _check_right(by)
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is not None:
        raise DomainError(
            _("客户端“%(name)s”已于 %(at)s 吊销。")
            % {"name": client.name, "at": timezone.localtime(client.revoked_at).strftime("%Y-%m-%d %H:%M")}
        )
    client.revoked_at, client.revoked_by = timezone.now(), person(by)
    client.save(update_fields=["revoked_at", "revoked_by"])
    audit_log(client, "api.client.revoked", by=by, data={"name": client.name})
    return client
