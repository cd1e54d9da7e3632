"""Every write of the plan's registers, of the 13 tasks' progress reports and of the Little Giant reserve.

Incubation carriers, training events, policy counselors, the quarterly task reports and the reserve's
entries change only
through the services here (``<noun>_<verb>(*, ..., by)``): each checks who may do it with the core guard
(the right, then the jurisdiction's scope) whichever door the call came through, changes state in one
transaction and writes the audit entry. A refusal is a ``DomainError``, nothing else. The reads the
pages share are in ``selectors.py``; who may keep the carriers or move a reserve entry is in
``permissions.py``, the reserve's legal moves in ``workflow.py`` and its candidate rule in
``little_giant.py``.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import CITY_LEVEL, ensure_allowed, guard
from anyang_hte.core.models import Jurisdiction, User
from anyang_hte.core.notifications import notify
from anyang_hte.core.roles import Right, Role
from enterprises.models import Enterprise, Qualification, QualificationKind
from enterprises.services import qualification_record, qualification_revoke

from . import little_giant, selectors
from .models import (
    IncubationCarrier,
    LittleGiantReserveDecision,
    LittleGiantReserveEntry,
    PlanTaskUnit,
    PolicyCounselor,
    TaskProgressReport,
    TrainingEvent,
)
from .permissions import (
    can_edit_carriers,
    can_lg_reserve_move,
    lg_reserve_no_right_reason,
    lg_reserve_scope_reason,
)
from .selectors import FIRST_YEAR, REPORT_CREATED, REPORT_UPDATED
from .workflow import MOVES, Move


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
    guard(by, Right.TASK_REPORT, jurisdiction_id=CITY_LEVEL, reason=_("您没有登记行动计划任务进展的权限。"))
    check_period(year, quarter)
    if not task_unit.active_in(year):
        raise DomainError(
            _("%(unit)s在%(year)d年已不是责任单位（已合并或更名），请由现在的责任单位报送。")
            % {"unit": task_unit.unit, "year": year},
            field="task_unit",
        )
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


# --- the Little Giant reserve (科技小巨人备案) ------------------------------------------------------


def _guard_lg_reserve(by, move: str, jurisdiction_id) -> None:
    """The move's right and the enterprise's county; the rest (who, state) is ``can_lg_reserve_move``."""
    guard(
        by,
        MOVES[move].right,
        jurisdiction_id=jurisdiction_id,
        reason=lg_reserve_no_right_reason(move),
        scope_reason=lg_reserve_scope_reason(),
    )


def _record_lg_move(entry: LittleGiantReserveEntry, before: str, *, by, at, comment: str) -> None:
    LittleGiantReserveDecision.objects.create(
        entry=entry,
        from_status=before,
        to_status=entry.status,
        by=by,
        role=getattr(by, "role", "") or "",
        at=at,
        comment=comment,
    )


@transaction.atomic
def lg_reserve_propose(
    *, enterprise: Enterprise, year: int, note: str = "", exception_reason: str = "", by
) -> LittleGiantReserveEntry:
    """A county proposes its enterprise for ``year``'s reserve (this year's only), or proposes it again
    after withdrawing. An enterprise that does not meet the conditions may be proposed with a written
    reason (``exception_reason``), which the bureau sees when it decides."""
    # The stored row, locked: its county decides, and two proposals of one enterprise queue up here.
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _guard_lg_reserve(by, Move.PROPOSE, enterprise.jurisdiction_id)
    entry = (
        LittleGiantReserveEntry.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    )
    ensure_allowed(
        can_lg_reserve_move(
            by, Move.PROPOSE, jurisdiction_id=enterprise.jurisdiction_id, entry=entry, year=year
        )
    )
    note, exception_reason = (note or "").strip(), (exception_reason or "").strip()
    row = little_giant.row_for(enterprise, year=year)
    if not row.is_candidate and not exception_reason:
        raise DomainError(
            _("该企业不符合备案条件（%(failures)s），推荐须写明理由。")
            % {"failures": "；".join(row.failures)},
            field="exception_reason",
        )
    now = timezone.now()
    before = entry.status if entry else ""
    fields = {
        "status": LittleGiantReserveEntry.Status.PROPOSED,
        "note": note,
        "exception_reason": exception_reason,
        "was_candidate": row.is_candidate,
        "proposed_by": by,
        "proposed_at": now,
    }
    if entry is None:
        entry = LittleGiantReserveEntry.objects.create(enterprise=enterprise, year=year, **fields)
    else:
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.save()
    _record_lg_move(entry, before, by=by, at=now, comment=note)
    audit_log(
        entry,
        "assessment.lg_reserve.proposed",
        by=by,
        data={
            "enterprise": enterprise.credit_code,
            "year": year,
            "from": before,
            "note": note,
            "exception_reason": exception_reason,
            "conditions": row.snapshot(),
        },
    )
    _notify_lg(entry, Move.PROPOSE, comment=exception_reason or note)
    return entry


def _lg_move(entry: LittleGiantReserveEntry, move: str, *, by, comment: str, missing: str = ""):
    """Make ``move`` on the stored, locked entry; ``missing``: the refusal when a required reason is empty."""
    entry = LittleGiantReserveEntry.objects.select_for_update().select_related("enterprise").get(pk=entry.pk)
    jurisdiction_id = entry.enterprise.jurisdiction_id
    _guard_lg_reserve(by, move, jurisdiction_id)
    ensure_allowed(
        can_lg_reserve_move(by, move, jurisdiction_id=jurisdiction_id, entry=entry, year=entry.year)
    )
    comment = (comment or "").strip()
    if MOVES[move].reason_required and not comment:
        raise DomainError(missing, field="reason")
    before, now = entry.status, timezone.now()
    entry.status = MOVES[move].to
    entry.save(update_fields=["status", "updated_at"])
    _record_lg_move(entry, before, by=by, at=now, comment=comment)
    if move == Move.CONFIRM:
        _ledger_reserve_recorded(entry, by=by)
    elif move == Move.REMOVE:
        _ledger_reserve_revoked(entry, reason=comment, by=by)
    audit_log(
        entry,
        f"assessment.lg_reserve.{entry.status}",
        by=by,
        data={
            "enterprise": entry.enterprise.credit_code,
            "year": entry.year,
            "from": before,
            "comment": comment,
        },
    )
    _notify_lg(entry, move, comment=comment)
    return entry


def _ledger_reserve_recorded(entry: LittleGiantReserveEntry, *, by) -> None:
    """A confirmation puts the enterprise in the reserve in its ledger too: a 市科技小巨人备案 qualification
    granted today (through the ledger's own service, so its stage, history and rewards follow), or the one
    it already holds valid today (from an import), linked to the entry either way. One that another
    year's entry recorded stays that entry's: this one then links none."""
    day = today()
    held = (
        Qualification.objects.valid_on(day)
        .filter(enterprise=entry.enterprise, kind=QualificationKind.LG_RESERVE)
        .select_related("lg_reserve_entry")
        .order_by("-granted_on", "-pk")
        .first()
    )
    if held is not None and getattr(held, "lg_reserve_entry", None) is not None:
        return  # already in the reserve through another year's confirmed entry: one qualification is enough
    entry.qualification = held or qualification_record(
        enterprise=entry.enterprise,
        kind=QualificationKind.LG_RESERVE,
        granted_on=day,
        number=_("%(year)d年科技小巨人备案") % {"year": entry.year},
        source=Qualification.Source.LG_RESERVE,
        by=by,
    )
    entry.save(update_fields=["qualification", "updated_at"])


REVOKE_REASON_MAX = Qualification._meta.get_field("revoke_reason").max_length


def _ledger_reserve_revoked(entry: LittleGiantReserveEntry, *, reason: str, by) -> None:
    """A removal takes the enterprise out of the reserve in its ledger: the linked qualification is
    revoked today with the removal's reason (unless the ledger revoked it already)."""
    qualification = entry.qualification
    if qualification is None or qualification.revoked_on is not None:
        return
    day = max(today(), qualification.granted_on)
    qualification_revoke(
        qualification=qualification,
        revoked_on=day,
        reason=Truncator(_("移出科技小巨人备案：%(reason)s") % {"reason": reason}).chars(REVOKE_REASON_MAX),
        by=by,
    )


@transaction.atomic
def lg_reserve_withdraw(*, entry: LittleGiantReserveEntry, reason: str = "", by) -> LittleGiantReserveEntry:
    """The county takes its proposal back before the bureau decides; it may propose it again this year."""
    return _lg_move(entry, Move.WITHDRAW, by=by, comment=reason)


@transaction.atomic
def lg_reserve_confirm(*, entry: LittleGiantReserveEntry, comment: str = "", by) -> LittleGiantReserveEntry:
    """The tech bureau puts a proposed enterprise in the year's reserve."""
    return _lg_move(entry, Move.CONFIRM, by=by, comment=comment)


@transaction.atomic
def lg_reserve_decline(*, entry: LittleGiantReserveEntry, reason: str, by) -> LittleGiantReserveEntry:
    """The tech bureau declines a proposal, saying why; final for the year."""
    return _lg_move(entry, Move.DECLINE, by=by, comment=reason, missing=_("请写明不予确认的理由。"))


@transaction.atomic
def lg_reserve_remove(*, entry: LittleGiantReserveEntry, reason: str, by) -> LittleGiantReserveEntry:
    """The tech bureau takes a confirmed enterprise out of the year's reserve, saying why; the row stays."""
    return _lg_move(entry, Move.REMOVE, by=by, comment=reason, missing=_("请写明移出备案的理由。"))


def _notify_lg(entry: LittleGiantReserveEntry, move: str, *, comment: str) -> None:
    """A proposal tells the tech bureau's reviewers; a decision tells the enterprise's county officials."""
    if move == Move.WITHDRAW:
        return
    users = User.objects.filter(is_active=True).order_by("pk")
    if move == Move.PROPOSE:
        users = users.filter(role=Role.TECH_REVIEWER)
    else:
        users = users.filter(role=Role.COUNTY_OFFICIAL, jurisdiction_id=entry.enterprise.jurisdiction_id)
    with translation.override(settings.LANGUAGE_CODE):
        facts = {
            "year": entry.year,
            "enterprise": entry.enterprise.name,
            "status": entry.get_status_display(),
        }
        title = (
            _("%(year)d年科技小巨人备案待确认：%(enterprise)s")
            if move == Move.PROPOSE
            else _("%(year)d年科技小巨人备案%(status)s：%(enterprise)s")
        ) % facts
        notify(
            users=users,
            title=title,
            body=comment,
            url=reverse("registers:lg_reserve_entry", args=[entry.pk]),
        )
