from django.db import models
from django.db.models import Sum

from anyang_hte.core.roles import Role, is_system
from anyang_hte.core.scope import scope_queryset

from .funding import paying_office


class RewardQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, jurisdiction_field="jurisdiction")

    def total_amount(self):
        return self.aggregate(total=Sum("amount"))["total"] or 0


class FundingLineQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, jurisdiction_field="jurisdiction")

    def payable_by(self, user):
        """Lines this finance office pays (``funding.paying_office``); nothing for anyone else."""
        office = paying_office(user)
        return self.filter(**office.lookup()) if office else self.none()

    def total_amount(self):
        return self.aggregate(total=Sum("amount"))["total"] or 0


class PayoutBatchQuerySet(models.QuerySet):
    def for_user(self, user):
        """Batches a user may see: finance their own office's; reviewers and administrators all."""
        office = paying_office(user)
        if office is not None:
            return self.filter(**office.lookup())
        if getattr(user, "is_active", False) and (
            is_system(user) or user.role in (Role.ADMIN, Role.TECH_REVIEWER)
        ):
            return self
        return self.none()


class AppropriationQuerySet(models.QuerySet):
    def for_user(self, user):
        """City-wide offices see every appropriation; a county office its own county's money only (not
        the city's, not another county's); nobody else anything."""
        return scope_queryset(self, user, jurisdiction_field="jurisdiction")
