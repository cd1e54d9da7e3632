"""Every write of the plan's registers and of the 13 tasks' progress reports.

Incubation carriers, training events, policy counselors and the quarterly task reports change only
through the services here (``<noun>_<verb>(*, ..., by)``): each checks who may do it with the core guard
(the right, then the jurisdiction's scope) whichever door the call came through, changes state in one
transaction and writes the audit entry. A refusal is a ``DomainError``, nothing else. The reads the
pages share are in ``selectors.py``; who may keep the carriers is in ``permissions.py``.
"""

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import ensure_allowed, guard
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import Right
from enterprises.models import Enterprise

from . import selectors
from .models import IncubationCarrier, PlanTaskUnit, PolicyCounselor, TaskProgressReport, TrainingEvent
from .permissions import can_edit_carriers
from .selectors import FIRST_YEAR, REPORT_CREATED, REPORT_UPDATED


def _plain(value):
    """A value as the audit log's JSON keeps it."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Jurisdiction):
        return value.code
    return value


def _apply(obj, fields: dict) -> dict:
    """Set ``fields`` on ``obj``; return ``{name: [old, new]}`` for those that changed."""
    changes = {}
    for name, new in fields.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changes


# --- who may write -----------------------------------------------------------------------------


def _guard_register(by, jurisdiction: Jurisdiction | None) -> None:
    """``by`` may keep training and counselor registers, and ``jurisdiction`` is inside their scope.

    An update calls it for the new jurisdiction and for the stored one, so a county can neither move
    its row to another county nor touch another county's row. A missing jurisdiction is refused.
    """
    guard(
        by,
        Right.REGISTER_EDIT,
        jurisdiction_id=jurisdiction.pk if jurisdiction is not None else None,
        reason=_("您没有维护培训和政策辅导员登记的权限。"),
        scope_reason=_("只能登记本县区的培训和政策辅导员。"),
        field="jurisdiction",
    )


def _ensure_enterprises_in(enterprises: list[Enterprise], jurisdiction: Jurisdiction) -> None:
    foreign = [e for e in enterprises if e.jurisdiction_id != jurisdiction.pk]
    if foreign:
        raise DomainError(
            _("以下企业不在%(juris)s的培育台账中：%(names)s")
            % {"juris": jurisdiction.name, "names": "、".join(e.name for e in foreign)},
            field="enterprises",
        )


# --- incubation carriers -----------------------------------------------------------------------


def _clean_carrier(*, name: str, kind: str, level: str, recognised_on: datetime.date, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写载体名称。"), field="name")
    if kind not in IncubationCarrier.Kind.values:
        raise DomainError(_("请选择载体类型。"), field="kind")
    if level not in IncubationCarrier.Level.values:
        raise DomainError(_("请选择认定级别。"), field="level")
    if recognised_on > today():
        raise DomainError(_("认定日期不能晚于今天。"), field="recognised_on")
    duplicate = IncubationCarrier.objects.filter(name=name, kind=kind).exclude(pk=exclude_pk)
    if duplicate.exists():
        raise DomainError(_("同名同类型的孵化载体已登记。"), field="name")
    return name


@transaction.atomic
def carrier_create(
    *,
    name: str,
    kind: str,
    level: str,
    jurisdiction: Jurisdiction,
    recognised_on: datetime.date,
    by,
) -> IncubationCarrier:
    ensure_allowed(can_edit_carriers(by))
    name = _clean_carrier(name=name, kind=kind, level=level, recognised_on=recognised_on)
    carrier = IncubationCarrier.objects.create(
        name=name, kind=kind, level=level, jurisdiction=jurisdiction, recognised_on=recognised_on
    )
    audit_log(
        carrier,
        "assessment.carrier.created",
        by=by,
        data={
            "name": name,
            "kind": kind,
            "level": level,
            "jurisdiction": jurisdiction.code,
            "recognised_on": recognised_on.isoformat(),
        },
    )
    return carrier


@transaction.atomic
def carrier_update(
    *,
    carrier: IncubationCarrier,
    name: str,
    kind: str,
    level: str,
    jurisdiction: Jurisdiction,
    recognised_on: datetime.date,
    by,
) -> IncubationCarrier:
    ensure_allowed(can_edit_carriers(by))
    # The stored row, locked: ``carrier`` may be a form's instance that already holds the typed values.
    carrier = IncubationCarrier.objects.select_for_update().get(pk=carrier.pk)
    name = _clean_carrier(
        name=name, kind=kind, level=level, recognised_on=recognised_on, exclude_pk=carrier.pk
    )
    if carrier.revoked_on and recognised_on > carrier.revoked_on:
        raise DomainError(_("认定日期不能晚于撤销日期。"), field="recognised_on")
    changes = _apply(
        carrier,
        {
            "name": name,
            "kind": kind,
            "level": level,
            "jurisdiction": jurisdiction,
            "recognised_on": recognised_on,
        },
    )
    if changes:
        carrier.save()
        audit_log(carrier, "assessment.carrier.updated", by=by, data={"changes": changes})
    return carrier


@transaction.atomic
def carrier_revoke(*, carrier: IncubationCarrier, revoked_on: datetime.date, by) -> IncubationCarrier:
    """Record that a carrier lost its recognition; the row stays, so past years still count it."""
    ensure_allowed(can_edit_carriers(by))
    carrier = IncubationCarrier.objects.select_for_update().get(pk=carrier.pk)
    if carrier.revoked_on:
        raise DomainError(
            _("该载体已于%(day)s撤销。") % {"day": carrier.revoked_on.isoformat()}, field="revoked_on"
        )
    if revoked_on < carrier.recognised_on:
        raise DomainError(_("撤销日期不能早于认定日期。"), field="revoked_on")
    if revoked_on > today():
        raise DomainError(_("撤销日期不能晚于今天。"), field="revoked_on")
    carrier.revoked_on = revoked_on
    carrier.save(update_fields=["revoked_on"])
    audit_log(carrier, "assessment.carrier.revoked", by=by, data={"revoked_on": revoked_on.isoformat()})
    return carrier


# --- training events ---------------------------------------------------------------------------


def _clean_event(*, held_on: datetime.date, topic: str) -> str:
    topic = (topic or "").strip()
    if not topic:
        raise DomainError(_("请填写培训主题。"), field="topic")
    if held_on > today():
        raise DomainError(_("培训日期不能晚于今天：登记的是已举办的培训。"), field="held_on")
    return topic


@transaction.atomic
def training_event_create(
    *,
    held_on: datetime.date,
    jurisdiction: Jurisdiction,
    topic: str,
    enterprises: Iterable[Enterprise] = (),
    notes: str = "",
    by,
) -> TrainingEvent:
    _guard_register(by, jurisdiction)
    topic = _clean_event(held_on=held_on, topic=topic)
    enterprises = list(enterprises)
    _ensure_enterprises_in(enterprises, jurisdiction)
    event = TrainingEvent.objects.create(held_on=held_on, jurisdiction=jurisdiction, topic=topic, notes=notes)
    event.enterprises.set(enterprises)
    audit_log(
        event,
        "assessment.training.created",
        by=by,
        data={
            "held_on": held_on.isoformat(),
            "jurisdiction": jurisdiction.code,
            "topic": topic,
            "enterprises": sorted(e.credit_code for e in enterprises),
        },
    )
    return event


@transaction.atomic
def training_event_update(
    *,
    event: TrainingEvent,
    held_on: datetime.date,
    jurisdiction: Jurisdiction,
    topic: str,
    enterprises: Iterable[Enterprise] = (),
    notes: str = "",
    by,
) -> TrainingEvent:
    _guard_register(by, jurisdiction)
    # The stored row, locked: ``event`` may be a form's instance that already holds the typed values.
    event = TrainingEvent.objects.select_for_update().select_related("jurisdiction").get(pk=event.pk)
    _guard_register(by, event.jurisdiction)
    topic = _clean_event(held_on=held_on, topic=topic)
    enterprises = list(enterprises)
    _ensure_enterprises_in(enterprises, jurisdiction)
    changes = _apply(
        event, {"held_on": held_on, "jurisdiction": jurisdiction, "topic": topic, "notes": notes}
    )
    if changes:
        event.save()
    changes.update(_set_enterprises(event, enterprises))
    if changes:
        audit_log(event, "assessment.training.updated", by=by, data={"changes": changes})
    return event


# --- policy counselors -------------------------------------------------------------------------


def _clean_counselor(*, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写辅导员姓名。"), field="name")
    return name


@transaction.atomic
def counselor_create(
    *,
    name: str,
    jurisdiction: Jurisdiction,
    unit: str = "",
    phone: str = "",
    enterprises: Iterable[Enterprise] = (),
    active: bool = True,
    by,
) -> PolicyCounselor:
    _guard_register(by, jurisdiction)
    name = _clean_counselor(name=name)
    enterprises = list(enterprises)
    _ensure_enterprises_in(enterprises, jurisdiction)
    counselor = PolicyCounselor.objects.create(
        name=name, unit=unit.strip(), phone=phone.strip(), jurisdiction=jurisdiction, active=active
    )
    counselor.enterprises.set(enterprises)
    audit_log(
        counselor,
        "assessment.counselor.created",
        by=by,
        data={
            "name": name,
            "jurisdiction": jurisdiction.code,
            "active": active,
            "enterprises": sorted(e.credit_code for e in enterprises),
        },
    )
    return counselor


@transaction.atomic
def counselor_update(
    *,
    counselor: PolicyCounselor,
    name: str,
    jurisdiction: Jurisdiction,
    unit: str = "",
    phone: str = "",
    enterprises: Iterable[Enterprise] = (),
    active: bool = True,
    by,
) -> PolicyCounselor:
    _guard_register(by, jurisdiction)
    # The stored row, locked: ``counselor`` may be a form's instance that already holds the typed values.
    counselor = (
        PolicyCounselor.objects.select_for_update().select_related("jurisdiction").get(pk=counselor.pk)
    )
    _guard_register(by, counselor.jurisdiction)
    name = _clean_counselor(name=name)
    enterprises = list(enterprises)
    _ensure_enterprises_in(enterprises, jurisdiction)
    changes = _apply(
        counselor,
        {
            "name": name,
            "unit": unit.strip(),
            "phone": phone.strip(),
            "jurisdiction": jurisdiction,
            "active": active,
        },
    )
    if changes:
        counselor.save()
    changes.update(_set_enterprises(counselor, enterprises))
    if changes:
        audit_log(counselor, "assessment.counselor.updated", by=by, data={"changes": changes})
    return counselor


def _set_enterprises(obj, enterprises: list[Enterprise]) -> dict:
    """Replace ``obj.enterprises``; return the audit change (added and removed credit codes), if any."""
    before = dict(obj.enterprises.values_list("pk", "credit_code"))
    after = {e.pk: e.credit_code for e in enterprises}
    if before.keys() == after.keys():
        return {}
    obj.enterprises.set(enterprises)
    return {
        "enterprises": {
            "added": sorted(after[pk] for pk in after.keys() - before.keys()),
            "removed": sorted(before[pk] for pk in before.keys() - after.keys()),
        }
    }


# --- the plan's task reports -------------------------------------------------------------------


def check_period(year: int, quarter: int) -> None:
    """A report is for a quarter that has begun, from the plan's first quarter on."""
    if quarter not in (1, 2, 3, 4):
        raise DomainError(_("季度应为1至4。"), field="quarter")
    if year < FIRST_YEAR:
        raise DomainError(_("行动计划自%(year)d年起报送进展。") % {"year": FIRST_YEAR}, field="year")
    if (year, quarter) > selectors.current_quarter():
        raise DomainError(_("不能登记尚未开始的季度的进展。"), field="quarter")


@transaction.atomic
def task_report_record(
    *, task_unit: PlanTaskUnit, year: int, quarter: int, progress: str, by
) -> tuple[TaskProgressReport, bool]:
    """Record a unit's progress for a quarter; return the report and whether it is new.

    One report per unit and quarter: recording again updates the report, and the audit log keeps the
    text it replaced.
    """
    guard(by, Right.TASK_REPORT, reason=_("您没有登记行动计划任务进展的权限。"))
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
