"""The plan's registers: incubation carriers, training events and policy counselors.

Every write goes through the services here (``<noun>_<verb>(*, ..., by)``): each checks who may do it,
changes state in one transaction and writes the audit entry. The reads the register pages share
(scoped querysets, carrier totals, training coverage per jurisdiction) are at the end.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import CITY_WIDE_ROLES, Right, has_right
from anyang_hte.core.scope import scope_queryset, user_may_use_jurisdiction
from enterprises.models import Enterprise

from .models import IncubationCarrier, PolicyCounselor, TrainingEvent

# 安政办〔2017〕100号: 20+ incubation carriers across the city by 2021 (a confirmed policy figure).
CARRIER_GOAL = 20


def _today() -> datetime.date:
    return timezone.localdate()


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


def can_edit_carriers(user) -> tuple[bool, str]:
    """Carriers are recognised by the city (市科技局); counties see theirs read-only."""
    if not has_right(user, Right.REGISTER_EDIT):
        return False, _("您没有维护登记的权限。")
    if user.role not in CITY_WIDE_ROLES:
        return False, _("孵化载体由市科技局认定登记，县区只能查看。")
    return True, ""


def _ensure_carrier_editor(by) -> None:
    allowed, reason = can_edit_carriers(by)
    if not allowed:
        raise DomainError(reason)


def _ensure_register_editor(by, *jurisdictions: Jurisdiction) -> None:
    if not has_right(by, Right.REGISTER_EDIT):
        raise DomainError(_("您没有维护培训和政策辅导员登记的权限。"))
    for jurisdiction in jurisdictions:
        if jurisdiction is None or not user_may_use_jurisdiction(by, jurisdiction.pk):
            raise DomainError(_("只能登记本县区的培训和政策辅导员。"), field="jurisdiction")


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
    if recognised_on > _today():
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
    _ensure_carrier_editor(by)
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
    _ensure_carrier_editor(by)
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
    _ensure_carrier_editor(by)
    carrier = IncubationCarrier.objects.select_for_update().get(pk=carrier.pk)
    if carrier.revoked_on:
        raise DomainError(
            _("该载体已于%(day)s撤销。") % {"day": carrier.revoked_on.isoformat()}, field="revoked_on"
        )
    if revoked_on < carrier.recognised_on:
        raise DomainError(_("撤销日期不能早于认定日期。"), field="revoked_on")
    if revoked_on > _today():
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
    if held_on > _today():
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
    _ensure_register_editor(by, jurisdiction)
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
    event = TrainingEvent.objects.select_for_update().select_related("jurisdiction").get(pk=event.pk)
    _ensure_register_editor(by, event.jurisdiction, jurisdiction)
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
    _ensure_register_editor(by, jurisdiction)
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
    counselor = (
        PolicyCounselor.objects.select_for_update().select_related("jurisdiction").get(pk=counselor.pk)
    )
    _ensure_register_editor(by, counselor.jurisdiction, jurisdiction)
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


# --- reads -------------------------------------------------------------------------------------


def carriers_for(user) -> QuerySet[IncubationCarrier]:
    return scope_queryset(IncubationCarrier.objects.all(), user, jurisdiction_field="jurisdiction")


def training_events_for(user) -> QuerySet[TrainingEvent]:
    return scope_queryset(TrainingEvent.objects.all(), user, jurisdiction_field="jurisdiction")


def counselors_for(user) -> QuerySet[PolicyCounselor]:
    return scope_queryset(PolicyCounselor.objects.all(), user, jurisdiction_field="jurisdiction")


def jurisdictions_for(user) -> QuerySet[Jurisdiction]:
    """The jurisdictions whose register rows ``user`` sees (fails closed, like ``scope_queryset``)."""
    if not has_right(user, Right.ASSESSMENT_VIEW):
        return Jurisdiction.objects.none()
    if user.role in CITY_WIDE_ROLES:
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
