"""The Little Giant reserve's legal moves: one small table, one helper that checks a move against it.

A county proposes its enterprise for the year's reserve and may withdraw the proposal (and propose it
again) until the tech bureau decides; the bureau confirms or declines a proposal, and may later remove
a confirmed entry. A decline or a removal is final for that year (one entry per enterprise and year).

    (none) ─propose─> PROPOSED ─confirm─> CONFIRMED ─remove─> REMOVED
                        │  ↑  └─decline─> DECLINED
                  withdraw  propose
                        ↓  │
                     WITHDRAWN
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.roles import Right

from .models import LittleGiantReserveEntry

S = LittleGiantReserveEntry.Status


class Move(models.TextChoices):
    PROPOSE = "propose", gettext_lazy("推荐")
    WITHDRAW = "withdraw", gettext_lazy("撤回推荐")
    CONFIRM = "confirm", gettext_lazy("确认备案")
    DECLINE = "decline", gettext_lazy("不予确认")
    REMOVE = "remove", gettext_lazy("移出备案")


@dataclass(frozen=True)
class MoveRule:
    sources: frozenset  # the statuses the move starts from (None: the enterprise has no entry that year)
    to: str
    right: str
    county: bool  # made by the enterprise's county office (else by the city's tech bureau)
    reason_required: bool
    final: bool  # cannot be undone: the page asks for confirmation first


# move: MoveRule(from, to, right, by the county?, reason required?, final?)
MOVES: dict[str, MoveRule] = {
    Move.PROPOSE: MoveRule(
        frozenset({None, S.WITHDRAWN}), S.PROPOSED, Right.REGISTER_EDIT, True, False, False
    ),
    Move.WITHDRAW: MoveRule(frozenset({S.PROPOSED}), S.WITHDRAWN, Right.REGISTER_EDIT, True, False, False),
    Move.CONFIRM: MoveRule(frozenset({S.PROPOSED}), S.CONFIRMED, Right.ASSESSMENT_MANAGE, False, False, True),
    Move.DECLINE: MoveRule(frozenset({S.PROPOSED}), S.DECLINED, Right.ASSESSMENT_MANAGE, False, True, True),
    Move.REMOVE: MoveRule(frozenset({S.CONFIRMED}), S.REMOVED, Right.ASSESSMENT_MANAGE, False, True, True),
}

# The same table by status, for reading: where an entry can go from each status.
TRANSITIONS: dict[str | None, set[str]] = {
    status: {rule.to for rule in MOVES.values() if status in rule.sources} for status in [None, *S.values]
}


def move_state_reason(status: str | None, move: str) -> str:
    """Why ``move`` is not legal from ``status`` (an entry's, or None for no entry); "" when it is."""
    if status in MOVES[move].sources:
        return ""
    if status is None:
        return _("该企业本年度尚未推荐。")
    return _("当前状态为“%(now)s”，不能%(move)s。") % {"now": S(status).label, "move": Move(move).label}
