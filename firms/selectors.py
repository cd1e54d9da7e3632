"""Reads of firm accounts: who may see the registrations, which ones, an enterprise's firm users."""

from django.db.models import Case, IntegerField, Value, When

from anyang_hte.core.models import User
from anyang_hte.core.roles import Right, Role, has_right, is_city_wide
from anyang_hte.core.scope import scope_queryset, user_may_use_jurisdiction

from .models import FirmInvitation, FirmRegistration


def may_view_registrations(user) -> bool:
    """The county that confirms (``FIRM_ACCOUNT_MANAGE``) and the bureau that runs the round (city-wide,
    ``ROUND_MANAGE``): the bureau may look, confirming stays the county's."""
    return has_right(user, Right.FIRM_ACCOUNT_MANAGE) or (
        is_city_wide(user) and has_right(user, Right.ROUND_MANAGE)
    )


def registrations_for_user(user, *, status: str = ""):
    """The registrations ``user`` may see (its own county's, or all for the bureau), pending first."""
    if not may_view_registrations(user):
        return FirmRegistration.objects.none()
    qs = scope_queryset(FirmRegistration.objects.all(), user, jurisdiction_field="jurisdiction")
    if status:
        qs = qs.filter(status=status)
    pending_first = Case(
        When(status=FirmRegistration.Status.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return qs.select_related("jurisdiction", "enterprise", "decided_by", "user").order_by(
        pending_first, "-created_at", "-id"
    )


def pending_count(user) -> int:
    """How many registrations wait for ``user``'s county to decide (0 for anyone who cannot decide)."""
    if not has_right(user, Right.FIRM_ACCOUNT_MANAGE):
        return 0
    return scope_queryset(
        FirmRegistration.objects.filter(status=FirmRegistration.Status.PENDING),
        user,
        jurisdiction_field="jurisdiction",
    ).count()


def firm_accounts(enterprise, user) -> list[dict] | None:
    """The enterprise's firm users (active or not) with how each came in, for its county's official;
    None for anyone else (the panel is not shown)."""
    if not has_right(user, Right.FIRM_ACCOUNT_MANAGE) or not user_may_use_jurisdiction(
        user, enterprise.jurisdiction_id
    ):
        return None
    users = list(
        User.objects.filter(role=Role.ENTERPRISE, enterprise=enterprise).order_by("-is_active", "username")
    )
    invitations = {i.user_id: i for i in FirmInvitation.objects.filter(user__in=users)}
    registrations = {r.user_id: r for r in FirmRegistration.objects.filter(user__in=users)}
    rows = []
    for account in users:
        invitation = invitations.get(account.pk)
        rows.append(
            {
                "user": account,
                "invitation": invitation,
                "registration": registrations.get(account.pk),
                "awaits_password": bool(
                    invitation and invitation.used_at is None and not account.has_usable_password()
                ),
            }
        )
    return rows
