"""Jurisdiction scope: the one place where rows are limited to what a user may see.

It fails closed: an anonymous or inactive user, an unknown role, or a jurisdiction-bound role
without a jurisdiction gets an empty queryset, never everything.
"""

from django.db.models import QuerySet

from .roles import CITY_WIDE_ROLES, JURISDICTION_BOUND_ROLES


def scope_queryset(qs: QuerySet, user, *, jurisdiction_field: str) -> QuerySet:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.role in CITY_WIDE_ROLES:
        return qs
    if user.role in JURISDICTION_BOUND_ROLES and user.jurisdiction_id:
        return qs.filter(**{f"{jurisdiction_field}_id": user.jurisdiction_id})
    return qs.none()


def user_may_use_jurisdiction(user, jurisdiction_id) -> bool:
    """Whether ``user`` may put a row into ``jurisdiction_id`` (imports, create forms)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role in CITY_WIDE_ROLES:
        return True
    return bool(user.role in JURISDICTION_BOUND_ROLES and user.jurisdiction_id == jurisdiction_id)
