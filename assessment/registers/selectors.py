"""The reads of the plan's registers, of its 13 tasks and of the Little Giant reserve that pages, exports
and tests share.

Scoped querysets and rows (a county sees its own; another county's row is a 404), carrier totals,
training coverage per jurisdiction, the reporting quarters, each quarter's report status, a task's
report history with earlier versions, and the reserve's list of candidates and entries for a year.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from anyang_hte.core.dates import today
from anyang_hte.core.models import AuditLog, Jurisdiction
from anyang_hte.core.roles import Right, has_right, is_city_wide
from anyang_hte.core.scope import scope_queryset
from enterprises.models import Enterprise

from . import little_giant
from .models import (
    IncubationCarrier,
    LittleGiantReserveEntry,
    PlanTask,
    PlanTaskUnit,
    PolicyCounselor,
    TaskProgressReport,
    TrainingEvent,
)

# 安政办〔2017〕100号: 20+ incubation carriers across the city by 2021 (a confirmed policy figure).
CARRIER_GOAL = 20
# The plan was issued on 2017-12-29; its first reporting quarter is 2018 Q1.
FIRST_YEAR = 2018
# The audit actions of a task report: the services write them, ``report_revisions`` reads them back.
REPORT_CREATED = "assessment.task_report.created"
REPORT_UPDATED = "assessment.task_report.updated"


# --- the registers -----------------------------------------------------------------------------


def carriers_for(user) -> QuerySet[IncubationCarrier]:
    return scope_queryset(IncubationCarrier.objects.all(), user, jurisdiction_field="jurisdiction")


def training_events_for(user) -> QuerySet[TrainingEvent]:
    return scope_queryset(TrainingEvent.objects.all(), user, jurisdiction_field="jurisdiction")


def counselors_for(user) -> QuerySet[PolicyCounselor]:
    return scope_queryset(PolicyCounselor.objects.all(), user, jurisdiction_field="jurisdiction")


def carrier_for(user, pk) -> IncubationCarrier:
    """One carrier ``user`` may see; another county's is a 404, never a leak."""
    return get_object_or_404(carriers_for(user).select_related("jurisdiction"), pk=pk)


def training_event_for(user, pk) -> TrainingEvent:
    """One training event ``user`` may see; another county's is a 404."""
    return get_object_or_404(training_events_for(user).select_related("jurisdiction"), pk=pk)


def counselor_for(user, pk) -> PolicyCounselor:
    """One policy counselor ``user`` may see; another county's is a 404."""
    return get_object_or_404(counselors_for(user).select_related("jurisdiction"), pk=pk)


def jurisdictions_for(user) -> QuerySet[Jurisdiction]:
    """The jurisdictions whose register rows ``user`` sees (fails closed, like ``scope_queryset``)."""
    if not has_right(user, Right.ASSESSMENT_VIEW):
        return Jurisdiction.objects.none()
    if is_city_wide(user):
        return Jurisdiction.objects.all()
    return Jurisdiction.objects.filter(pk=user.jurisdiction_id)


def in_force_q(on: datetime.date) -> Q:
    """Carriers recognised on ``on`` and not (yet) revoked."""
    return Q(recognised_on__lte=on) & (Q(revoked_on__isnull=True) | Q(revoked_on__gt=on))


def carriers_in_force(on: datetime.date) -> QuerySet[IncubationCarrier]:
    return IncubationCarrier.objects.filter(in_force_q(on))


@dataclass
class CarrierTotals:
    """Counts of a carrier list by kind (rows) and level (columns), in force on a day."""

    levels: list[tuple[str, str]]
    rows: list[tuple[str, list[int], int]]  # kind label, count per level, row total
    column_totals: list[int]
    total: int
    revoked: int


def carrier_totals(qs: QuerySet[IncubationCarrier], *, on: datetime.date) -> CarrierTotals:
    """One grouped query over the (filtered) list: what it holds in force on ``on``, by kind and level."""
    counts = {
        (row["kind"], row["level"]): row["n"]
        for row in qs.filter(in_force_q(on)).order_by().values("kind", "level").annotate(n=Count("pk"))
    }
    revoked = qs.filter(revoked_on__lte=on).order_by().count()
    levels = list(IncubationCarrier.Level.choices)
    rows = []
    for kind, label in IncubationCarrier.Kind.choices:
        per_level = [counts.get((kind, level), 0) for level, _label in levels]
        rows.append((label, per_level, sum(per_level)))
    column_totals = [sum(r[1][i] for r in rows) for i in range(len(levels))]
    return CarrierTotals(levels, rows, column_totals, sum(column_totals), revoked)


@dataclass
class CoverageRow:
    jurisdiction: Jurisdiction
    events: int
    trained: int
    ledger: int

    @property
    def share(self) -> Decimal | None:
        """Percent of the jurisdiction's ledger enterprises trained in the year (one decimal)."""
        if not self.ledger:
            return None
        return (Decimal(self.trained * 100) / self.ledger).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def covered(self) -> bool:
        return self.events > 0


def training_coverage(user, *, year: int) -> list[CoverageRow]:
    """Per visible jurisdiction: events held in ``year``, distinct enterprises trained, ledger size.

    Three grouped queries, whatever the number of enterprises or events. An enterprise counts for
    the jurisdiction of its ledger entry (the services keep attendees in the event's jurisdiction).
    """
    jurisdictions = list(jurisdictions_for(user))
    ids = [j.pk for j in jurisdictions]
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    events = dict(
        TrainingEvent.objects.filter(jurisdiction_id__in=ids, held_on__range=(start, end))
        .order_by()
        .values_list("jurisdiction_id")
        .annotate(n=Count("pk"))
    )
    trained = dict(
        Enterprise.objects.filter(jurisdiction_id__in=ids, trainings__held_on__range=(start, end))
        .order_by()
        .values_list("jurisdiction_id")
        .annotate(n=Count("pk", distinct=True))
    )
    ledger = dict(
        Enterprise.objects.filter(jurisdiction_id__in=ids)
        .order_by()
        .values_list("jurisdiction_id")
        .annotate(n=Count("pk"))
    )
    return [
        CoverageRow(j, events.get(j.pk, 0), trained.get(j.pk, 0), ledger.get(j.pk, 0)) for j in jurisdictions
    ]


# --- the plan's quarters -----------------------------------------------------------------------


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def current_quarter() -> tuple[int, int]:
    return quarter_of(today())


def reporting_years() -> list[int]:
    return list(range(current_quarter()[0], FIRST_YEAR - 1, -1))


# --- the plan's task reports -------------------------------------------------------------------


@dataclass
class UnitStatus:
    unit: PlanTaskUnit
    report: TaskProgressReport | None
    revisions: list[AuditLog] = field(default_factory=list)  # earlier versions of the report

    @property
    def reported(self) -> bool:
        return self.report is not None


@dataclass
class TaskStatus:
    task: PlanTask
    units: list[UnitStatus]

    @property
    def missing(self) -> list[UnitStatus]:
        return [u for u in self.units if not u.reported]

    @property
    def reported_count(self) -> int:
        return len(self.units) - len(self.missing)

    @property
    def no_report(self) -> bool:
        return self.reported_count == 0


@dataclass
class QuarterStatus:
    year: int
    quarter: int
    tasks: list[TaskStatus]

    @property
    def tasks_without_report(self) -> list[TaskStatus]:
        return [t for t in self.tasks if t.no_report]

    @property
    def units_missing(self) -> list[UnitStatus]:
        return [u for t in self.tasks for u in t.missing]

    @property
    def units_total(self) -> int:
        return sum(len(t.units) for t in self.tasks)


def quarter_status(*, year: int, quarter: int) -> QuarterStatus:
    """Every task with each responsible unit's report for the quarter, or None: two queries."""
    tasks = list(PlanTask.objects.prefetch_related("units"))
    reports = {
        r.task_unit_id: r
        for r in TaskProgressReport.objects.filter(year=year, quarter=quarter).select_related("reported_by")
    }
    return QuarterStatus(
        year,
        quarter,
        [
            TaskStatus(
                task, [UnitStatus(u, reports.get(u.pk)) for u in _units_of(task.units.all(), year, reports)]
            )
            for task in tasks
        ],
    )


def _units_of(units, year: int, reports) -> list[PlanTaskUnit]:
    """The units that exist in ``year`` (国税 and 地税 until 2017, the merged 税务局 from 2018), and any
    other unit that reported then, so history stays readable."""
    return [u for u in units if u.active_in(year) or u.pk in reports]


@dataclass
class QuarterReports:
    year: int
    quarter: int
    units: list[UnitStatus]

    @property
    def missing_count(self) -> int:
        return sum(1 for u in self.units if not u.reported)


def task_history(task: PlanTask) -> list[QuarterReports]:
    """A task's reports by quarter, newest first: the current quarter and every quarter with a report.

    Each unit's report carries its earlier versions (from the audit log) in ``revisions``.
    """
    units = list(task.units.all())
    reports = list(
        TaskProgressReport.objects.filter(task_unit__task=task).select_related("reported_by", "task_unit")
    )
    periods = {(r.year, r.quarter) for r in reports} | {current_quarter()}
    by_key = {(r.task_unit_id, r.year, r.quarter): r for r in reports}
    revisions = report_revisions(reports)
    history = []
    for year, quarter in sorted(periods, reverse=True):
        rows = []
        reported = {unit_id for unit_id, y, q in by_key if (y, q) == (year, quarter)}
        for unit in _units_of(units, year, reported):
            report = by_key.get((unit.pk, year, quarter))
            rows.append(UnitStatus(unit, report, revisions.get(report.pk, []) if report else []))
        history.append(QuarterReports(year, quarter, rows))
    return history


def report_revisions(reports: list[TaskProgressReport]) -> dict[int, list[AuditLog]]:
    """The update entries of the audit log for ``reports``, newest first, in one query."""
    if not reports:
        return {}
    entries = AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(TaskProgressReport),
        object_id__in=[str(r.pk) for r in reports],
        action=REPORT_UPDATED,
    ).select_related("user")
    result: dict[int, list[AuditLog]] = {}
    for entry in entries:
        result.setdefault(int(entry.object_id), []).append(entry)
    return result


# --- the Little Giant reserve (科技小巨人备案) ------------------------------------------------------

LG_NOT_PROPOSED = "none"  # the list's status filter: a candidate without an entry that year


def lg_reserve_year(value) -> int:
    """The reserve year a page asks for (``?year=``): the plan's first year to this one, else this year."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        return today().year
    return year if FIRST_YEAR <= year <= today().year else today().year


def lg_reserve_entries_for(user) -> QuerySet[LittleGiantReserveEntry]:
    """Reserve entries of the enterprises ``user`` sees (the enterprise's county, as the ledger has it)."""
    return scope_queryset(
        LittleGiantReserveEntry.objects.all(), user, jurisdiction_field="enterprise__jurisdiction"
    )


def lg_reserve_entry_for(user, pk) -> LittleGiantReserveEntry:
    """One entry ``user`` may see; another county's is a 404."""
    return get_object_or_404(
        lg_reserve_entries_for(user).select_related(
            "enterprise__jurisdiction", "proposed_by", "qualification"
        ),
        pk=pk,
    )


def lg_reserve_enterprise_for(user, pk) -> Enterprise:
    """An enterprise of ``user``'s ledger to propose; another county's is a 404."""
    return get_object_or_404(Enterprise.objects.for_user(user).select_related("jurisdiction"), pk=pk)


@dataclass
class ReserveList:
    year: int
    rows: list[little_giant.ReserveRow]  # after the status filter
    counts: dict[str, int]  # per status (LG_NOT_PROPOSED for candidates without an entry), before it

    @property
    def candidates(self) -> int:
        return self.counts.get("candidates", 0)


def lg_reserve_list(enterprises: QuerySet[Enterprise], *, year: int, status: str = "") -> ReserveList:
    """The candidates and entries of ``year`` among ``enterprises`` (scoped and filtered), in one query.

    The status filter is applied to the evaluated rows: whether an enterprise is a candidate is decided
    in Python (``little_giant``), so the counts of every status come from the same rows.
    """
    rows = little_giant.rows(enterprises, year=year)
    counts: dict[str, int] = {"candidates": sum(1 for r in rows if r.is_candidate)}
    for row in rows:
        key = row.entry_status or LG_NOT_PROPOSED
        counts[key] = counts.get(key, 0) + 1
    if status:
        rows = [r for r in rows if (r.entry_status or LG_NOT_PROPOSED) == status]
    # Waiting for the bureau first, then the reserve itself, then what is not (or no longer) in it.
    order = [LittleGiantReserveEntry.Status.PROPOSED, LittleGiantReserveEntry.Status.CONFIRMED, None]
    rows.sort(key=lambda r: order.index(r.entry_status) if r.entry_status in order else len(order))
    return ReserveList(year, rows, counts)
