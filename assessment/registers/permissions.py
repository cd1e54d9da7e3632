"""Who may keep the plan's registers and move a Little Giant reserve entry: plain functions returning
``(allowed, reason)``.

Pages use the reason to say why a button is absent; the services call the same functions and refuse
with the reason when not allowed (``ensure_allowed(can_edit_carriers(by))``).
"""

from django.utils.translation import gettext as _

from anyang_hte.core.dates import today
from anyang_hte.core.guards import Decision
from anyang_hte.core.roles import Right, has_right, is_city_wide, is_system
from anyang_hte.core.scope import user_may_use_jurisdiction

from .workflow import MOVES, Move, move_state_reason

OK: Decision = (True, "")


def can_edit_carriers(user) -> Decision:
    """Carriers are recognised by the city (市科技局); counties see theirs read-only."""
    if not has_right(user, Right.REGISTER_EDIT):
        return False, _("您没有维护登记的权限。")
    if not is_city_wide(user):
        return False, _("孵化载体由市科技局认定登记，县区只能查看。")
    return OK


# --- the Little Giant reserve ------------------------------------------------------------------


def lg_reserve_no_right_reason(move: str) -> str:
    """The refusal for a caller without the move's right (the guard's reason)."""
    if MOVES[move].county:
        return _("您没有推荐科技小巨人备案企业的权限。")
    return _("只有市科技局可以确认或移出科技小巨人备案。")


def lg_reserve_scope_reason() -> str:
    return _("只能推荐本县区台账中的企业。")


def can_lg_reserve_act(user, move: str) -> Decision:
    """Whether ``user`` is the kind of actor ``move`` needs, whatever the entry.

    A proposal or a withdrawal is the county office's (a county-bound user with the right); a
    confirmation, a decline or a removal the tech bureau's, made by a person (never the system).
    """
    rule = MOVES[move]
    if not has_right(user, rule.right):
        return False, lg_reserve_no_right_reason(move)
    if rule.county and not user.is_jurisdiction_bound:
        return False, _("推荐和撤回由企业所在县区科技部门办理，市科技局负责确认。")
    if not rule.county and (is_system(user) or user.is_jurisdiction_bound):
        return False, _("备案的确认和移出须由市科技局工作人员办理。")
    return OK


def can_lg_reserve_move(user, move: str, *, jurisdiction_id, entry=None, year: int | None = None) -> Decision:
    """Whether ``user`` may make ``move`` on the reserve entry ``entry`` (None: not yet proposed).

    The actor (``can_lg_reserve_act``), the enterprise's county (``jurisdiction_id``: a county acts for
    its own enterprises only), this year's reserve only for a proposal, the entry's state
    (``workflow.MOVES``), and nobody decides on an entry they proposed.
    """
    allowed, reason = can_lg_reserve_act(user, move)
    if not allowed:
        return allowed, reason
    if not user_may_use_jurisdiction(user, jurisdiction_id):
        return False, lg_reserve_scope_reason()
    if move == Move.PROPOSE and year != today().year:
        return False, _("只能推荐本年度（%(year)d年）的备案企业。") % {"year": today().year}
    state = move_state_reason(entry.status if entry else None, move)
    if state:
        return False, state
    if not MOVES[move].county and entry.proposed_by_id == user.pk:
        return False, _("不能确认或移出本人推荐的企业。")
    return OK


def lg_reserve_moves(user, entry) -> list[str]:
    """The moves ``user`` may make on ``entry`` now (what its page offers)."""
    return [
        move
        for move in MOVES
        if can_lg_reserve_move(
            user, move, jurisdiction_id=entry.enterprise.jurisdiction_id, entry=entry, year=entry.year
        )[0]
    ]
