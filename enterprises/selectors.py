"""Reads of the ledger that pages, exports and reports share."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from .models import AnnualFigures, Enterprise, LedgerMilestone, Qualification, ServiceVisit


def enterprise_list_queryset(user, *, today: datetime.date):
    """The ledger list: scoped, with the overdue-milestone count as one correlated subquery."""
    overdue = (
        LedgerMilestone.objects.filter(enterprise=OuterRef("pk"), done_on__isnull=True, due_on__lt=today)
        .order_by()
        .values("enterprise")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Enterprise.objects.for_user(user)
        .select_related("jurisdiction")
        .annotate(overdue_count=Coalesce(Subquery(overdue, output_field=IntegerField()), Value(0)))
    )


def enterprise_for_user(user, pk) -> Enterprise:
    """One enterprise the user may see; anything else is a 404, never a leak."""
    return get_object_or_404(Enterprise.objects.for_user(user).select_related("jurisdiction"), pk=pk)


@dataclass
class EnterprisePage:
    enterprise: Enterprise
    qualifications: list
    milestones: list
    visits: list
    figures: list
    overdue_count: int


def enterprise_page(enterprise: Enterprise, *, today: datetime.date) -> EnterprisePage:
    milestones = list(LedgerMilestone.objects.filter(enterprise=enterprise))
    for m in milestones:
        m.is_overdue = m.done_on is None and m.due_on < today
    qualifications = list(Qualification.objects.filter(enterprise=enterprise))
    for q in qualifications:
        q.is_valid = (
            q.granted_on <= today
            and (q.expires_on is None or q.expires_on >= today)
            and (q.revoked_on is None or q.revoked_on > today)
        )
    return EnterprisePage(
        enterprise=enterprise,
        qualifications=qualifications,
        milestones=milestones,
        visits=list(ServiceVisit.objects.filter(enterprise=enterprise)[:100]),
        figures=list(AnnualFigures.objects.filter(enterprise=enterprise).order_by("-year")),
        overdue_count=sum(1 for m in milestones if m.is_overdue),
    )


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    what: str
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list  # [(field label, old, new)]


def _entries_for(history_qs, what_of) -> list[HistoryEntry]:
    records = list(history_qs.select_related("history_user").order_by("id", "history_date", "history_id"))
    by_object: dict = {}
    entries = []
    for rec in records:
        previous = by_object.get(rec.id)
        changes = []
        if previous is not None and rec.history_type == "~":
            delta = rec.diff_against(previous)
            for change in delta.changes:
                field = rec.instance_type._meta.get_field(change.field)
                changes.append(
                    (str(field.verbose_name), _display(field, change.old), _display(field, change.new))
                )
            if not changes:
                by_object[rec.id] = rec
                continue
        by_object[rec.id] = rec
        user = rec.history_user
        entries.append(
            HistoryEntry(
                when=rec.history_date,
                who=_who(user, rec.history_change_reason),
                what=what_of(rec),
                kind=rec.history_type,
                changes=changes,
            )
        )
    return entries


def _who(user, reason: str | None) -> str:
    """Who changed a row: the user, and the reason beside it (a firm's accepted submission names the
    firm user who entered the values); the reason alone when the portal acted."""
    if user and reason:
        return f"{user}（{reason}）"
    return str(user) if user else (reason or "")


def _display(field, value):
    if value is None or value == "":
        return "—"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        model = field.related_model
        obj = model.objects.filter(pk=value).first()
        return str(obj) if obj else value
    return value


def enterprise_history(enterprise: Enterprise, *, limit: int = 200) -> list[HistoryEntry]:
    """Every recorded change to the enterprise and its ledger rows, newest first."""
    entries = _entries_for(
        Enterprise.history.filter(id=enterprise.pk), lambda r: str(Enterprise._meta.verbose_name)
    )
    entries += _entries_for(
        AnnualFigures.history.filter(enterprise_id=enterprise.pk),
        lambda r: f"{r.year} {AnnualFigures._meta.verbose_name}",
    )
    entries += _entries_for(
        Qualification.history.filter(enterprise_id=enterprise.pk),
        lambda r: f"{Qualification._meta.verbose_name} {r.get_kind_display()}",
    )
    entries += _entries_for(
        LedgerMilestone.history.filter(enterprise_id=enterprise.pk),
        lambda r: f"{LedgerMilestone._meta.verbose_name} {r.title}",
    )
    entries += _entries_for(
        ServiceVisit.history.filter(enterprise_id=enterprise.pk),
        lambda r: f"{ServiceVisit._meta.verbose_name} {r.visited_on}",
    )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
