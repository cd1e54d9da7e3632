"""The guard at the door of every write service: the right, then the scope.

Every service that writes calls :func:`guard` (or :func:`ensure_allowed` with a permission helper's
decision) before it changes anything, so the rule holds whichever door the call came through: a page,
the admin site, a management command, a Celery task or an API. A refusal is a :class:`DomainError`
whose message says why, in words an official can act on; it never names another county's data.

``by`` is a portal user or a :class:`~anyang_hte.core.roles.SystemActor`; ``None`` is refused like an
anonymous user (nothing gets through by forgetting to say who acts).

    guard(by, Right.LEDGER_EDIT, jurisdiction_id=enterprise.jurisdiction_id)
"""

from django.utils.translation import gettext as _

from .errors import DomainError
from .roles import Right, has_right, is_city_wide, is_firm_user
from .scope import firm_enterprise_id, user_may_use_jurisdiction

Decision = tuple[bool, str]
CITY_LEVEL = object()  # a record of the whole city (rules, targets, official lists): the right decides
ALL_JURISDICTIONS = object()  # a write over every county's rows at once: a city-wide actor only


def _label(right: str) -> str:
    try:
        return str(Right(right).label)
    except ValueError:
        return str(right)


def ensure_right(by, *rights: str, reason: str | None = None) -> None:
    """``by`` holds one of ``rights``; otherwise refuse with ``reason`` (or a default naming them)."""
    if any(has_right(by, right) for right in rights):
        return
    if reason is None:
        reason = _("您没有“%(right)s”的权限。") % {"right": "”或“".join(_label(r) for r in rights)}
    raise DomainError(reason)


def ensure_scope(by, jurisdiction_id, *, reason: str | None = None, field: str | None = None) -> None:
    """The row of ``jurisdiction_id`` is inside ``by``'s scope (their own county, or city-wide)."""
    if user_may_use_jurisdiction(by, jurisdiction_id):
        return
    raise DomainError(reason or _("该记录不属于您所在的县区，不能办理。"), field=field)


def ensure_own_enterprise(by, enterprise_id, *, reason: str | None = None, field: str | None = None) -> None:
    """A firm user (企业用户) acts on the one enterprise it is bound to, never another (fails closed)."""
    own = firm_enterprise_id(by)
    if own is None or enterprise_id is None or own != enterprise_id:
        raise DomainError(reason or _("企业用户只能办理本企业的事项。"), field=field)


def guard(
    by,
    *rights: str,
    jurisdiction_id,
    enterprise_id=None,
    reason: str | None = None,
    scope_reason: str | None = None,
    field: str | None = None,
) -> None:
    """The right (one of ``rights``) and the scope of ``jurisdiction_id``, which every caller says:

    - the row's jurisdiction, for a write on a row that belongs to one (``None``, a row without one, is
      refused: it fails closed);
    - ``ALL_JURISDICTIONS`` for a write over every county's rows (only a city-wide actor passes);
    - ``CITY_LEVEL`` for a record of the whole city, whose right already says who may act (or whose
      service checks each row's scope itself and says so where it calls the guard).

    A firm user (企业用户) is scoped to its own enterprise: the service passes the row's
    ``enterprise_id`` too, and a firm user passes only when it is the enterprise it is bound to.
    """
    ensure_right(by, *rights, reason=reason)
    if is_firm_user(by):
        # A firm user's scope is its own enterprise: a write on a row of an enterprise says which
        # (``enterprise_id``); anything else (a city record, every county) is never a firm's.
        ensure_own_enterprise(by, enterprise_id, field=field)
        return
    if jurisdiction_id is CITY_LEVEL:
        return
    if jurisdiction_id is ALL_JURISDICTIONS:
        if not is_city_wide(by):
            raise DomainError(scope_reason or _("全市范围的办理只能由市级部门或系统执行。"), field=field)
        return
    ensure_scope(by, jurisdiction_id, reason=scope_reason, field=field)


def ensure_allowed(decision: Decision, *, field: str | None = None) -> None:
    """Refuse with the reason of a permission helper's ``(allowed, reason)``."""
    allowed, reason = decision
    if not allowed:
        raise DomainError(reason, field=field)
