"""Jurisdiction scope: the one place where rows are limited to what a user may see.

It fails closed: an anonymous or inactive user, an unknown role, or a jurisdiction-bound role
without a jurisdiction gets an empty queryset, never everything.
"""

from django.db.models import QuerySet

from .roles import ENTERPRISE_BOUND_ROLES, JURISDICTION_BOUND_ROLES, is_city_wide, is_client, is_system


def _active(user) -> bool:
    if is_system(user) or is_client(user):
        return True
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _bound_jurisdiction_id(user):
    """The one jurisdiction a county-bound user or API client is held to, or None."""
    if is_client(user):
        return None if user.city_wide else user.jurisdiction_id
    if user.role in JURISDICTION_BOUND_ROLES:
        return user.jurisdiction_id
    return None


def scope_queryset(qs: QuerySet, user, *, jurisdiction_field: str) -> QuerySet:
    if not _active(user):
        return qs.none()
    if is_city_wide(user):
        return qs
    bound = _bound_jurisdiction_id(user)
    if bound:
        return qs.filter(**{f"{jurisdiction_field}_id": bound})
    return qs.none()


def firm_enterprise_id(user) -> int | None:
    """The one enterprise a firm user (企业用户) acts for, or None: not a firm user, inactive, or not (yet)
    linked to an enterprise. Every firm page and every firm-side write asks this, and nothing else."""
    if is_system(user) or not _active(user) or getattr(user, "role", None) not in ENTERPRISE_BOUND_ROLES:
        return None
    return getattr(user, "enterprise_id", None) or None


def scope_enterprises(qs: QuerySet, user, *, enterprise_field: str = "pk") -> QuerySet:
    """Rows of the enterprises ``user`` may see: a firm user its own enterprise's rows only; the others by
    jurisdiction (``scope_queryset``); nobody else anything."""
    if getattr(user, "role", None) in ENTERPRISE_BOUND_ROLES and not is_system(user):
        own = firm_enterprise_id(user)
        return qs.filter(**{enterprise_field: own}) if own else qs.none()
    prefix = "" if enterprise_field == "pk" else f"{enterprise_field.removesuffix('_id')}__"
    return scope_queryset(qs, user, jurisdiction_field=f"{prefix}jurisdiction")


def user_may_use_jurisdiction(user, jurisdiction_id) -> bool:
    """Whether ``user`` may see or put a row in ``jurisdiction_id`` (imports, create forms, services)."""
    if not _active(user) or jurisdiction_id is None:
        return False
    if is_city_wide(user):
        return True
    bound = _bound_jurisdiction_id(user)
    return bool(bound and bound == jurisdiction_id)
