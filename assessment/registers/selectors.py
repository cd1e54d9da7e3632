"""The plan's 13 tasks (安政办〔2017〕100号) and their quarterly progress reports.

The tasks and their responsible units are seeded by migration 0002_plan_tasks. The tech bureau records
one progress report per responsible unit and quarter; a second report for the same quarter updates the
first, and the earlier text stays in the audit log.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Right, has_right

from .models import PlanTask, PlanTaskUnit, TaskProgressReport

# The plan was issued on 2017-12-29; its first reporting quarter is 2018 Q1.
FIRST_YEAR = 2018
REPORT_CREATED = "assessment.task_report.created"
REPORT_UPDATED = "assessment.task_report.updated"


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def current_quarter() -> tuple[int, int]:
    return quarter_of(timezone.localdate())


def reporting_years() -> list[int]:
    return list(range(current_quarter()[0], FIRST_YEAR - 1, -1))


def check_period(year: int, quarter: int) -> None:
    """A report is for a quarter that has begun, from the plan's first quarter on."""
    if quarter not in (1, 2, 3, 4):
        raise DomainError(_("季度应为1至4。"), field="quarter")
    if year < FIRST_YEAR:
        raise DomainError(_("行动计划自%(year)d年起报送进展。") % {"year": FIRST_YEAR}, field="year")
    if (year, quarter) > current_quarter():
        raise DomainError(_("不能登记尚未开始的季度的进展。"), field="quarter")


# --- writes ------------------------------------------------------------------------------------


@transaction.atomic
def task_report_record(
    *, task_unit: PlanTaskUnit, year: int, quarter: int, progress: str, by
) -> tuple[TaskProgressReport, bool]:
    """Record a unit's progress for a quarter; return the report and whether it is new.

    One report per unit and quarter: recording again updates the report, and the audit log keeps the
    text it replaced.
    """
    if not has_right(by, Right.TASK_REPORT):
        raise DomainError(_("您没有登记行动计划任务进展的权限。"))
    check_period(year, quarter)
    progress = (progress or "").strip()
    if not progress:
        raise DomainError(_("请填写进展情况。"), field="progress")
    key = {"task_unit": task_unit, "year": year, "quarter": quarter}
    report = TaskProgressReport.objects.select_for_update().filter(**key).first()
    if report is None:
        try:
            with transaction.atomic():
                report = TaskProgressReport.objects.create(progress=progress, reported_by=by, **key)
        except IntegrityError:
            # Someone recorded the same quarter at the same moment: update theirs instead.
            report = TaskProgressReport.objects.select_for_update().get(**key)
        else:
            audit_log(
                report,
                REPORT_CREATED,
                by=by,
                data={"task": task_unit.task.number, "unit": task_unit.unit, "period": f"{year}Q{quarter}"},
            )
            return report, True
    if report.progress == progress:
        return report, False
    previous = {
        "progress": report.progress,
        "reported_by": report.reported_by_id,
        "reported_at": report.reported_at.isoformat(),
    }
    report.progress, report.reported_by, report.reported_at = progress, by, timezone.now()
    report.save(update_fields=["progress", "reported_by", "reported_at"])
    audit_log(report, REPORT_UPDATED, by=by, data={"previous": previous, "period": f"{year}Q{quarter}"})
    return report, False


# --- reads -------------------------------------------------------------------------------------


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
        [TaskStatus(task, [UnitStatus(u, reports.get(u.pk)) for u in task.units.all()]) for task in tasks],
    )


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
        for unit in units:
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
