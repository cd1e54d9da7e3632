"""The reward's legal moves: one small table, one helper that checks a move against it."""

from django.utils.translation import gettext as _

from anyang_hte.core.errors import DomainError

from .models import FundingLine, OfficialListRow, Reward

S = Reward.Status
TRANSITIONS: dict[str, set[str]] = {
    S.GENERATED: {S.SUBMITTED, S.CANCELLED},
    S.SUBMITTED: {S.APPROVED, S.RETURNED, S.REJECTED, S.CANCELLED},
    S.RETURNED: {S.SUBMITTED, S.CANCELLED},
    # APPROVED → REJECTED: an objection to its 公示 upheld (services/publicity.py), before any payment
    S.APPROVED: {S.PAID, S.CANCELLED, S.REJECTED},
    S.REJECTED: set(),
    S.PAID: set(),
    S.CANCELLED: set(),
}

L = FundingLine.Status
LINE_TRANSITIONS: dict[str, set[str]] = {
    L.PENDING: {L.APPROVED, L.CANCELLED},
    L.APPROVED: {L.BATCHED, L.CANCELLED},
    L.BATCHED: {L.APPROVED, L.PAID, L.CANCELLED},  # back to APPROVED when taken out of a draft batch
    L.PAID: set(),
    L.CANCELLED: set(),
}

R = OfficialListRow.Status
# An official list's row after the import: an ignored row (another city's, or ignored by mistake) can
# still be linked or created; a row with an enterprise is final.
ROW_TRANSITIONS: dict[str, set[str]] = {
    R.UNMATCHED: {R.LINKED, R.CREATED, R.IGNORED},
    R.IGNORED: {R.LINKED, R.CREATED},
    R.MATCHED: set(),
    R.LINKED: set(),
    R.CREATED: set(),
}


def ensure_transition(reward: Reward, *, to: str) -> None:
    if to not in TRANSITIONS.get(reward.status, set()):
        raise DomainError(
            _("当前状态为“%(now)s”，不能变更为“%(to)s”。")
            % {"now": reward.get_status_display(), "to": S(to).label}
        )


def ensure_line_transition(line: FundingLine, *, to: str) -> None:
    if to not in LINE_TRANSITIONS.get(line.status, set()):
        raise DomainError(
            _("资金明细当前状态为“%(now)s”，不能变更为“%(to)s”。")
            % {"now": line.get_status_display(), "to": L(to).label}
        )


def ensure_row_transition(row: OfficialListRow, *, to: str) -> None:
    if to not in ROW_TRANSITIONS.get(row.status, set()):
        raise DomainError(
            _("第%(r)d行当前状态为“%(now)s”，不能变更为“%(to)s”。")
            % {"r": row.row_number, "now": row.get_status_display(), "to": R(to).label}
        )
