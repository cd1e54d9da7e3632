from django.db import models
from django.db.models import Q, Sum

from anyang_hte.core.roles import Role
from anyang_hte.core.scope import scope_queryset


class RewardQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, jurisdiction_field="jurisdiction")

    def total_amount(self):
        return self.aggregate(total=Sum("amount"))["total"] or 0


class FundingLineQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, jurisdiction_field="jurisdiction")

    def payable_by(self, user):
        """Lines this finance officer pays: city finance the city lines, a county's finance its own."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role == Role.CITY_FINANCE:
            return self.filter(source="city")
        if user.role == Role.COUNTY_FINANCE and user.jurisdiction_id:
            return self.filter(source="county", jurisdiction_id=user.jurisdiction_id)
        if user.role == Role.ADMIN:
            return self
        return self.none()

    def total_amount(self):
        return self.aggregate(total=Sum("amount"))["total"] or 0


class PayoutBatchQuerySet(models.QuerySet):
    def for_user(self, user):
        """Batches a user may see: finance their own source's; reviewers and administrators all."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in (Role.ADMIN, Role.TECH_REVIEWER):
            return self
        if user.role == Role.CITY_FINANCE:
            return self.filter(source="city")
        if user.role == Role.COUNTY_FINANCE and user.jurisdiction_id:
            return self.filter(Q(source="county") & Q(jurisdiction_id=user.jurisdiction_id))
        return self.none()
