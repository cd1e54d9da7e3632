"""What the reward services share: the row locks, the sign-off row, a line's legal move."""

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import person

from ..models import FundingLine, PayoutBatch, Reward, RewardDecision
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


def cancel_unpaid_lines(lines: list[FundingLine], *, by, reason: str) -> list[dict]:
    """Cancel every line not paid yet. A line in a draft batch leaves the batch; a line in a locked
    batch stays linked to it (the sheet handed to the bank listed it) but is cancelled, and batch
    totals count only lines that are not cancelled."""
    L = FundingLine.Status
    done = []
    batches = {
        b.pk: b for b in PayoutBatch.objects.filter(pk__in={line.batch_id for line in lines if line.batch_id})
    }
    for line in lines:
        if line.status in (L.PAID, L.CANCELLED):
            continue
        batch = batches.get(line.batch_id)
        set_line_status(line, L.CANCELLED)
        entry = {"line": line.pk, "source": line.source, "amount": str(line.amount)}
        if batch is not None and batch.status == PayoutBatch.Status.DRAFT:
            line.batch = None
            entry["left_draft_batch"] = batch.pk
        elif batch is not None:
            entry["in_locked_batch"] = batch.pk
            audit_log(
                batch,
                "incentives.batch.line_cancelled",
                by=by,
                data={"line": line.pk, "amount": str(line.amount), "reason": reason},
            )
        line.save(update_fields=["status", "batch"])
        done.append(entry)
    return done
