"""Who may move a round entry now: ``(allowed, reason)`` from the same check the services make."""

from anyang_hte.core.errors import DomainError

from .models import RoundEntry
from .workflow import TRANSITIONS, check_move

Decision = tuple[bool, str]


def can_move(user, entry: RoundEntry, to: str) -> Decision:
    try:
        check_move(user, entry, to)
    except DomainError as exc:
        return False, exc.message
    return True, ""


def legal_moves(user, entry: RoundEntry) -> set[str]:
    """The states ``user`` may move ``entry`` to now (the page offers these and no others)."""
    return {to for to in TRANSITIONS.get(entry.status, set()) if can_move(user, entry, to)[0]}
