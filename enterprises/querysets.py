import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q

from anyang_hte.core.dates import add_months
from anyang_hte.core.scope import scope_queryset


class EnterpriseQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, jurisdiction_field="jurisdiction")

    def with_overdue_milestones(self, today: datetime.date):
        from .models import LedgerMilestone

        overdue = LedgerMilestone.objects.filter(
            enterprise=OuterRef("pk"), done_on__isnull=True, due_on__lt=today
        )
        return self.filter(Exists(overdue))

    def expiring_within(self, today: datetime.date, months: int):
        from .models import Qualification, QualificationKind

        end = add_months(today, months)
        expiring = Qualification.objects.filter(
            enterprise=OuterRef("pk"),
            kind__in=[
                QualificationKind.HTE,
                QualificationKind.LITTLE_GIANT,
                QualificationKind.LG_CULTIVATION,
            ],
            revoked_on__isnull=True,
            expires_on__gte=today,
            expires_on__lte=end,
        )
        return self.filter(Exists(expiring))


class QualificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, jurisdiction_field="enterprise__jurisdiction")

    def valid_on(self, day: datetime.date):
        return self.filter(
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=day),
            granted_on__lte=day,
        ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))


class MilestoneQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, jurisdiction_field="enterprise__jurisdiction")

    def overdue(self, today: datetime.date):
        return self.filter(done_on__isnull=True, due_on__lt=today)


class VisitQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, jurisdiction_field="enterprise__jurisdiction")


class AnnualFiguresQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, jurisdiction_field="enterprise__jurisdiction")
