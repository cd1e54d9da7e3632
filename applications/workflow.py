"""The round entry's legal moves: one small table, who makes each move, and the deadline it keeps.

``MOVES`` says for each target state the right it takes and the round's date it must be made by (None:
no date, only the state). ``check_move`` is the one check the services make and the pages ask (through
``permissions.can_move``), so a page offers only the moves that are legal now.
"""

import datetime

from django.utils.translation import gettext as _

from anyang_hte.core.dates import today as portal_today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import guard
from anyang_hte.core.roles import Right

from .models import ApplicationRound, RoundEntry

S = RoundEntry.Status
TRANSITIONS: dict[str, set[str]] = {
    S.INTENTION: {S.RECOMMENDED, S.HELD, S.WITHDRAWN},
    S.HELD: {S.RECOMMENDED, S.WITHDRAWN},  # the county may still recommend before its deadline
    S.RECOMMENDED: {S.PASSED, S.RETURNED, S.WITHDRAWN},
    S.PASSED: {S.CERTIFIED, S.NOT_CERTIFIED},
    S.RETURNED: set(),
    S.CERTIFIED: set(),
    S.NOT_CERTIFIED: set(),
    S.WITHDRAWN: {S.INTENTION},  # declared again, before the intention deadline
}

# The round's date a move must be made by (on or before), by target state.
DEADLINE_FIELD: dict[str, str | None] = {
    S.INTENTION: "intention_deadline",
    S.RECOMMENDED: "recommendation_deadline",
    S.HELD: "recommendation_deadline",
    S.PASSED: "review_deadline",
    S.RETURNED: "review_deadline",
    S.WITHDRAWN: None,  # before the city's review: the state says it
    S.CERTIFIED: None,  # the province's outcome comes after the round's dates
    S.NOT_CERTIFIED: None,
}

RIGHT_FOR: dict[str, str] = {
    S.INTENTION: Right.ROUND_DECLARE,
    S.WITHDRAWN: Right.ROUND_DECLARE,
    S.RECOMMENDED: Right.ROUND_RECOMMEND,
    S.HELD: Right.ROUND_RECOMMEND,
    S.PASSED: Right.ROUND_REVIEW,
    S.RETURNED: Right.ROUND_REVIEW,
    S.CERTIFIED: Right.ROUND_OUTCOME,
    S.NOT_CERTIFIED: Right.ROUND_OUTCOME,
}

# Moves made while the round is open only; the province's outcome may come after it closed.
NEEDS_OPEN_ROUND = {S.INTENTION, S.WITHDRAWN, S.RECOMMENDED, S.HELD, S.PASSED, S.RETURNED}


def ensure_transition(entry: RoundEntry, *, to: str) -> None:
    if to not in TRANSITIONS.get(entry.status, set()):
        raise DomainError(
            _("当前状态为“%(now)s”，不能变更为“%(to)s”。")
            % {"now": entry.get_status_display(), "to": S(to).label}
        )


def ensure_round_open(round_: ApplicationRound) -> None:
    if not round_.is_open:
        raise DomainError(_("%(round)s已结束，不能再办理。") % {"round": round_})


def ensure_deadline(round_: ApplicationRound, field: str, *, on: datetime.date | None = None) -> None:
    """``on`` (today) is not after the round's ``field`` date; the refusal names the date."""
    on = on or portal_today()
    deadline = getattr(round_, field)
    if on > deadline:
        label = ApplicationRound._meta.get_field(field).verbose_name
        raise DomainError(
            _("%(round)s的%(label)s为%(date)s，已过期限，不能再办理。")
            % {"round": round_, "label": label, "date": deadline.isoformat()}
        )


def check_move(by, entry: RoundEntry, to: str, *, on: datetime.date | None = None) -> None:
    """Refuse (``DomainError``) unless ``by`` may move ``entry`` to ``to`` now: the right and the scope
    (a firm its own enterprise, a county its own county's firms), the state, the round, the deadline."""
    guard(
        by,
        RIGHT_FOR[to],
        jurisdiction_id=entry.enterprise.jurisdiction_id,
        enterprise_id=entry.enterprise_id,
    )
    ensure_transition(entry, to=to)
    if to in NEEDS_OPEN_ROUND:
        ensure_round_open(entry.round)
    if DEADLINE_FIELD[to]:
        ensure_deadline(entry.round, DEADLINE_FIELD[to], on=on)


def check_declare(by, round_: ApplicationRound, enterprise, *, on: datetime.date | None = None) -> None:
    """A first declaration of intention: the firm itself, or the county of the firm on its behalf, in an
    open round, by the intention deadline."""
    guard(by, Right.ROUND_DECLARE, jurisdiction_id=enterprise.jurisdiction_id, enterprise_id=enterprise.pk)
    ensure_round_open(round_)
    ensure_deadline(round_, "intention_deadline", on=on)
