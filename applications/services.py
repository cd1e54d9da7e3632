"""Every write of the application round. Each service checks ``by``'s right and scope (``workflow``'s
``check_move`` / ``check_declare``, which call ``guard``), the entry's state and the round's deadline,
writes the move row and an audit entry in one transaction, and tells the firm and its county.
"""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import CITY_LEVEL, guard
from anyang_hte.core.models import User
from anyang_hte.core.notifications import Message, notify_many
from anyang_hte.core.roles import Right, Role, is_firm_user, is_system, person
from anyang_hte.core.system_text import SystemText
from enterprises.models import Enterprise, Qualification, QualificationKind

from .models import CONDITIONS, ApplicationRound, OutcomeReason, RoundEntry, RoundMove
from .workflow import check_declare, check_move

S = RoundEntry.Status
REASON_MAX = 2000

__all__ = [
    "entries_certify_for_qualification",
    "entry_certify",
    "entry_declare",
    "entry_hold",
    "entry_not_certify",
    "entry_pass",
    "entry_recommend",
    "entry_return",
    "entry_withdraw",
    "round_close",
    "round_open",
    "round_update",
]

# Written into the entry's move when a registered qualification certifies it (stored in Chinese, shown in the
# reader's language).
CERTIFIED_BY_QUALIFICATION = SystemText(
    gettext_noop("依据%(source)s登记的高新技术企业资质（证书编号 %(number)s，认定日期 %(day)s）"),
    labels=("source",),
)


# --- the round ----------------------------------------------------------------------------------


def _check_dates(intention: datetime.date, recommendation: datetime.date, review: datetime.date) -> None:
    if not (intention and recommendation and review):
        raise DomainError(_("请填写三个截止日期。"))
    if recommendation < intention:
        raise DomainError(_("县区推荐截止日期不能早于申报意向截止日期。"), field="recommendation_deadline")
    if review < recommendation:
        raise DomainError(_("市级初审截止日期不能早于县区推荐截止日期。"), field="review_deadline")


@transaction.atomic
def round_open(
    *,
    year: int,
    intention_deadline: datetime.date,
    recommendation_deadline: datetime.date,
    review_deadline: datetime.date,
    by,
    note: str = "",
) -> ApplicationRound:
    """The bureau opens the round of ``year`` with its three deadlines (in order); one round a year and
    one open round at a time."""
    guard(by, Right.ROUND_MANAGE, jurisdiction_id=CITY_LEVEL)
    _check_dates(intention_deadline, recommendation_deadline, review_deadline)
    if ApplicationRound.objects.filter(year=year).exists():
        raise DomainError(_("%(year)s年的申报批次已经开设过。") % {"year": year}, field="year")
    current = ApplicationRound.objects.filter(status=ApplicationRound.Status.OPEN).first()
    if current is not None:
        raise DomainError(_("%(round)s尚未结束，请先结束该批次再开设新的批次。") % {"round": current})
    round_ = ApplicationRound(
        year=year,
        intention_deadline=intention_deadline,
        recommendation_deadline=recommendation_deadline,
        review_deadline=review_deadline,
        note=(note or "").strip(),
        opened_by=person(by),
        opened_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            round_.save()
    except IntegrityError:  # a second bureau user opened one at the same moment
        raise DomainError(_("申报批次刚刚由他人开设，请刷新页面。")) from None
    audit_log(round_, "applications.round.opened", by=by, data=_dates(round_))
    return round_


def _dates(round_: ApplicationRound) -> dict:
    return {
        "year": round_.year,
        "intention_deadline": round_.intention_deadline.isoformat(),
        "recommendation_deadline": round_.recommendation_deadline.isoformat(),
        "review_deadline": round_.review_deadline.isoformat(),
    }


@transaction.atomic
def round_update(
    *,
    round: ApplicationRound,  # noqa: A002 - the domain's word
    intention_deadline: datetime.date,
    recommendation_deadline: datetime.date,
    review_deadline: datetime.date,
    by,
    note: str | None = None,
) -> ApplicationRound:
    """The bureau moves the round's dates (an open round only; the dates stay in order)."""
    guard(by, Right.ROUND_MANAGE, jurisdiction_id=CITY_LEVEL)
    round_ = ApplicationRound.objects.select_for_update().get(pk=round.pk)
    if not round_.is_open:
        raise DomainError(_("%(round)s已结束，不能再修改日期。") % {"round": round_})
    _check_dates(intention_deadline, recommendation_deadline, review_deadline)
    before = _dates(round_)
    round_.intention_deadline = intention_deadline
    round_.recommendation_deadline = recommendation_deadline
    round_.review_deadline = review_deadline
    if note is not None:
        round_.note = note.strip()
    round_.save()
    audit_log(round_, "applications.round.updated", by=by, data={"before": before, "after": _dates(round_)})
    return round_


@transaction.atomic
def round_close(*, round: ApplicationRound, by) -> ApplicationRound:  # noqa: A002
    """The bureau closes the round: no more declarations or reviews; the province's outcomes can still be
    recorded for the firms the city passed."""
    guard(by, Right.ROUND_MANAGE, jurisdiction_id=CITY_LEVEL)
    round_ = ApplicationRound.objects.select_for_update().get(pk=round.pk)
    if not round_.is_open:
        raise DomainError(_("%(round)s已经结束。") % {"round": round_})
    round_.status = ApplicationRound.Status.CLOSED
    round_.closed_by, round_.closed_at = person(by), timezone.now()
    round_.save(update_fields=["status", "closed_by", "closed_at"])
    audit_log(round_, "applications.round.closed", by=by)
    return round_


# --- the entries ----------------------------------------------------------------------------------


def _lock(entry: RoundEntry) -> RoundEntry:
    return RoundEntry.objects.select_for_update().select_related("round", "enterprise").get(pk=entry.pk)


def _move(
    entry: RoundEntry,
    to: str,
    *,
    by,
    reason: str = "",
    reasons: dict | None = None,
    outcome_reason: str = "",
) -> RoundMove:
    """Record the move (its row, the entry's state and last reason, the audit entry) and tell the firm
    and its county."""
    before = entry.status
    move = RoundMove.objects.create(
        entry=entry,
        from_status=before,
        to_status=to,
        by=person(by),
        by_system=by.name if is_system(by) else "",
        at=timezone.now(),
        reason=reason,
        reasons=reasons or {},
        outcome_reason=outcome_reason,
    )
    entry.status = to
    entry.reason, entry.reasons, entry.outcome_reason = reason, reasons or {}, outcome_reason
    entry.save(update_fields=["status", "reason", "reasons", "outcome_reason", "updated_at"])
    audit_log(
        entry,
        f"applications.entry.{to}",
        by=by,
        data={
            "from": before,
            "to": to,
            "reason": reason,
            "reasons": reasons or {},
            "outcome": outcome_reason,
        },
    )
    _notify(entry, move)
    return move


def _notify(entry: RoundEntry, move: RoundMove) -> None:
    """The firm's users and its county's officials, each with the page they follow the entry on."""
    enterprise = entry.enterprise
    title = _("%(round)s：%(name)s %(status)s") % {
        "round": entry.round,
        "name": enterprise.name,
        "status": RoundEntry.Status(move.to_status).label,
    }
    body = move_summary(move)
    firm_users = User.objects.filter(enterprise=enterprise, role=Role.ENTERPRISE, is_active=True)
    county = User.objects.filter(
        role=Role.COUNTY_OFFICIAL, jurisdiction_id=enterprise.jurisdiction_id, is_active=True
    )
    notify_many(
        [
            Message(users=firm_users, title=title, body=body, url=reverse("firms:round")),
            Message(users=county, title=title, body=body, url=reverse("applications:entry", args=[entry.pk])),
        ]
    )


def move_summary(move: RoundMove) -> str:
    """The move in one paragraph, its reasons included (notifications and the history share it)."""
    parts = [
        _("状态：%(from)s → %(to)s")
        % {
            "from": RoundEntry.Status(move.from_status).label if move.from_status else "—",
            "to": RoundEntry.Status(move.to_status).label,
        }
    ]
    if move.outcome_reason:
        parts.append(_("未通过原因：%(r)s") % {"r": OutcomeReason(move.outcome_reason).label})
    for name, reason in move.returned_conditions:
        parts.append(f"{name}：{reason}")
    if move.reason:
        parts.append(_("说明：%(r)s") % {"r": move.reason})
    return "\n".join(parts)


def _text(value: str, *, required: str | None = None, field: str = "reason") -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(required, field=field)
    if len(value) > REASON_MAX:
        raise DomainError(_("原因最多%(n)s字。") % {"n": REASON_MAX}, field=field)
    return value


@transaction.atomic
def entry_declare(*, round: ApplicationRound, enterprise: Enterprise, by) -> RoundEntry:  # noqa: A002
    """The firm declares its intention to apply (or its county declares it on the firm's behalf), by the
    intention deadline; a withdrawn entry is declared again."""
    enterprise = Enterprise.objects.get(pk=enterprise.pk)  # the stored county, not the caller's copy
    round_ = ApplicationRound.objects.get(pk=round.pk)
    existing = RoundEntry.objects.filter(round=round_, enterprise=enterprise).first()
    if existing is not None:
        entry = _lock(existing)
        check_move(by, entry, S.INTENTION)  # refuses unless withdrawn: it says the current state
        entry.declared_by, entry.declared_at = person(by), timezone.now()
        entry.on_behalf = not is_firm_user(by)
        entry.save(update_fields=["declared_by", "declared_at", "on_behalf", "updated_at"])
        _move(entry, S.INTENTION, by=by)
        return entry
    check_declare(by, round_, enterprise)
    try:
        with transaction.atomic():
            entry = RoundEntry.objects.create(
                round=round_,
                enterprise=enterprise,
                status=S.INTENTION,
                declared_by=person(by),
                declared_at=timezone.now(),
                on_behalf=not is_firm_user(by),
            )
    except IntegrityError:
        raise DomainError(_("该企业刚刚已登记申报意向，请刷新页面。")) from None
    entry.status = ""  # the first move comes from nothing
    _move(entry, S.INTENTION, by=by)
    return entry


@transaction.atomic
def entry_withdraw(*, entry: RoundEntry, by, reason: str = "") -> RoundEntry:
    """The firm (or its county for it) withdraws before the city's first review."""
    entry = _lock(entry)
    check_move(by, entry, S.WITHDRAWN)
    _move(entry, S.WITHDRAWN, by=by, reason=_text(reason))
    return entry


@transaction.atomic
def entry_recommend(*, entry: RoundEntry, by, comment: str = "") -> RoundEntry:
    """The firm's county recommends it to the city, by the recommendation deadline."""
    entry = _lock(entry)
    check_move(by, entry, S.RECOMMENDED)
    _move(entry, S.RECOMMENDED, by=by, reason=_text(comment))
    return entry


@transaction.atomic
def entry_hold(*, entry: RoundEntry, reason: str, by) -> RoundEntry:
    """The firm's county holds it back (暂缓) this year, with the reason, by the recommendation deadline."""
    entry = _lock(entry)
    check_move(by, entry, S.HELD)
    reason = _text(reason, required=_("暂缓推荐请填写原因。"))
    _move(entry, S.HELD, by=by, reason=reason)
    return entry


@transaction.atomic
def entry_pass(*, entry: RoundEntry, by, comment: str = "") -> RoundEntry:
    """The city's first review (初审) passes the firm, by the review deadline."""
    entry = _lock(entry)
    check_move(by, entry, S.PASSED)
    _move(entry, S.PASSED, by=by, reason=_text(comment))
    return entry


@transaction.atomic
def entry_return(*, entry: RoundEntry, reasons: dict[str, str], by, comment: str = "") -> RoundEntry:
    """The city's first review returns the firm, with the reason for each condition it fails."""
    entry = _lock(entry)
    check_move(by, entry, S.RETURNED)
    unknown = set(reasons or {}) - set(CONDITIONS)
    if unknown:
        raise DomainError(_("未知的认定条件：%(c)s。") % {"c": "、".join(sorted(unknown))}, field="reasons")
    cleaned = {}
    for code in CONDITIONS:
        text = _text((reasons or {}).get(code, ""), field=f"reason_{code}")
        if text:
            cleaned[code] = text
    if not cleaned:
        raise DomainError(_("退回请至少就一项认定条件写明原因。"), field="reasons")
    _move(entry, S.RETURNED, by=by, reason=_text(comment), reasons=cleaned)
    return entry


@transaction.atomic
def entry_certify(*, entry: RoundEntry, by, comment: str = "") -> RoundEntry:
    """The province certified the firm (normally recorded by importing its list: see
    ``entries_certify_for_qualification``)."""
    entry = _lock(entry)
    check_move(by, entry, S.CERTIFIED)
    _move(entry, S.CERTIFIED, by=by, reason=_text(comment))
    return entry


@transaction.atomic
def entry_not_certify(*, entry: RoundEntry, outcome_reason: str, by, text: str = "") -> RoundEntry:
    """The province did not certify the firm: why (专家评审未通过 / 公示异议 / 撤回 / 其他, with words)."""
    entry = _lock(entry)
    check_move(by, entry, S.NOT_CERTIFIED)
    if outcome_reason not in OutcomeReason.values:
        raise DomainError(_("请选择未通过的原因。"), field="outcome_reason")
    required = _("原因为“其他”时请写明具体原因。") if outcome_reason == OutcomeReason.OTHER else None
    _move(
        entry,
        S.NOT_CERTIFIED,
        by=by,
        reason=_text(text, required=required, field="text"),
        outcome_reason=outcome_reason,
    )
    return entry


@transaction.atomic
def entries_certify_for_qualification(*, qualification: Qualification, by) -> list[RoundEntry]:
    """An HTE qualification was recorded (the province's list imported, or entered by hand): the firm's
    entry the city passed, in the round of the qualification's year (or the open round), is certified."""
    enterprise = qualification.enterprise
    guard(by, Right.ROUND_OUTCOME, jurisdiction_id=enterprise.jurisdiction_id, enterprise_id=enterprise.pk)
    if qualification.kind != QualificationKind.HTE or qualification.granted_elsewhere:
        return []
    candidates = (
        RoundEntry.objects.select_for_update()
        .select_related("round", "enterprise")
        .filter(enterprise=enterprise, status=S.PASSED)
        .filter(round__year=qualification.granted_on.year)
    )
    entries = list(candidates) or list(
        RoundEntry.objects.select_for_update()
        .select_related("round", "enterprise")
        .filter(enterprise=enterprise, status=S.PASSED, round__status=ApplicationRound.Status.OPEN)
    )
    comment = CERTIFIED_BY_QUALIFICATION.stored(
        source=Qualification.Source(qualification.source).label,
        number=qualification.number or "—",
        day=qualification.granted_on.isoformat(),
    )
    for entry in entries:
        check_move(by, entry, S.CERTIFIED)
        _move(entry, S.CERTIFIED, by=by, reason=comment)
    return entries
