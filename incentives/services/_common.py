"""What the reward services share: the row locks, the sign-off row, a line's legal move."""

from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import person

from ..models import FundingLine, Reward, RewardDecision
from ..workflow import ensure_line_transition


def lock_reward(reward: Reward) -> tuple[Reward, list[FundingLine]]:
    """The reward's row and then its lines' rows, locked (always in this order: no deadlocks)."""
    locked = Reward.objects.select_for_update().get(pk=reward.pk)
    lines = list(FundingLine.objects.select_for_update().filter(reward=locked).order_by("pk"))
    return locked, lines


def record_move(reward: Reward, to: str, *, by, comment: str = "") -> str:
    """Change the reward's status (already checked) and record the sign-off row; returns the old status."""
    before = reward.status
    reward.status = to
    RewardDecision.objects.create(
        reward=reward,
        from_status=before,
        to_status=to,
        by=person(by),
        role=getattr(by, "role", "") or "",
        comment=comment,
    )
    return before


def set_line_status(line: FundingLine, to: str) -> None:
    ensure_line_transition(line, to=to)
    line.status = to


def required_reason(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(message, field="reason")
    return text
