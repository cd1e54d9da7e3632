"""Jurisdiction scope: the one place where rows are limited to what a user may see.

It fails closed: an anonymous or inactive user, an unknown role, or a jurisdiction-bound role
without a jurisdiction gets an empty queryset, never everything.
"""

from django.db.models import QuerySet

from .roles import JURISDICTION_BOUND_ROLES, is_city_wide, is_system


def _active(user) -> bool:
    if is_system(user):
        return True
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def scope_queryset(qs: QuerySet, user, *, jurisdiction_field: str) -> QuerySet:
    if not _active(user):
        return qs.none()
    if is_city_wide(user):
        return qs
    if user.role in JURISDICTION_BOUND_ROLES and user.jurisdiction_id:
        return qs.filter(**{f"{jurisdiction_field}_id": user.jurisdiction_id})
    return qs.none()


def user_may_use_jurisdiction(user, jurisdiction_id) -> bool:
    """Whether ``user`` may see or put a row in ``jurisdiction_id`` (imports, create forms, services)."""
    if not _active(user) or jurisdiction_id is None:
        return False
    if is_city_wide(user):
        return True
    return bool(user.role in JURISDICTION_BOUND_ROLES and user.jurisdiction_id == jurisdiction_id)
