"""Who may act on a reward or a batch now: plain functions returning ``(allowed, reason)``.

Pages use the reason to say why a button is absent; the services call the same functions and raise
``DomainError(reason)`` when not allowed. Each looks at the role, the scope and the object's *state*:
a move the workflow table (``workflow.TRANSITIONS``) does not allow from the reward's status is refused
with a plain line saying what the reward is waiting for (``waiting_for``), so a page offers only the
moves that are legal now. The services still check the move itself (``workflow.ensure_transition``).
"""

from django.utils.translation import gettext as _

from anyang_hte.core.roles import Right, has_right, is_firm_user
from anyang_hte.core.scope import firm_enterprise_id, user_may_use_jurisdiction

from .funding import can_pay
from .models import PayoutBatch, Reward
from .workflow import TRANSITIONS

__all__ = [
    "can_edit_documents",
    "can_issue_batch_documents",
    "can_lock_batch",
    "can_pay_batch",
    "can_manage_rules",
    "can_pay",
    "can_remove_document",
    "can_review",
    "can_submit",
    "waiting_for",
]

EDITABLE_STATUSES = frozenset({Reward.Status.GENERATED, Reward.Status.RETURNED})

Decision = tuple[bool, str]
OK: Decision = (True, "")
S = Reward.Status


def waiting_for(reward: Reward) -> str:
    """A plain line on where the reward stands and whose move it is (shown where no action is offered)."""
    lines = {
        S.GENERATED: _("待申报：等待县区科技部门上传材料并提交市科技局审核。"),
        S.SUBMITTED: _("已提交，等待市科技局审核。"),
        S.RETURNED: _("已退回：等待县区修改后重新提交。"),
        S.APPROVED: _("已批准，等待财政拨付。"),
        S.REJECTED: _("已决定不予奖励，办理结束。"),
        S.PAID: _("已全部拨付，办理结束。"),
        S.CANCELLED: _("奖励已取消，办理结束。"),
    }
    return str(lines.get(reward.status, reward.get_status_display()))


def _legal(reward: Reward, to: str) -> Decision:
    """The workflow table's answer for a move from the reward's current status, in plain words."""
    if to in TRANSITIONS.get(reward.status, set()):
        return OK
    return False, waiting_for(reward)


def _county_office(user, reward: Reward) -> Decision:
    if not has_right(user, Right.REWARD_SUBMIT):
        return False, _("只有县区科技部门可以申报奖励。")
    if not user_may_use_jurisdiction(user, reward.jurisdiction_id):
        return False, _("只能申报本县区企业的奖励。")
    return OK


def can_submit(user, reward: Reward) -> Decision:
    """Only the county office of the reward's jurisdiction submits it, while it waits to be submitted
    (待申报) or was returned (已退回)."""
    allowed, reason = _county_office(user, reward)
    if not allowed:
        return allowed, reason
    return _legal(reward, S.SUBMITTED)


def can_edit_documents(user, reward: Reward) -> Decision:
    """The county office of the reward's jurisdiction, or the firm itself (企业用户 of the reward's own
    enterprise: the certificate scan and the bank confirmation are the firm's papers), while the reward
    can still be changed. Submitting to the bureau stays the county's."""
    if is_firm_user(user):
        if not has_right(user, Right.FIRM_SELF) or firm_enterprise_id(user) != reward.enterprise_id:
            return False, _("企业用户只能为本企业的奖励上传材料。")
    else:
        allowed, reason = _county_office(user, reward)
        if not allowed:
            return allowed, reason
    if reward.status not in EDITABLE_STATUSES:
        return False, _("只有“待申报”或“已退回”的奖励可以修改申报材料，当前状态为“%(s)s”。") % {
            "s": reward.get_status_display()
        }
    return OK


def can_remove_document(user, document) -> Decision:
    """Who may edit the reward's documents; a firm user only what it uploaded itself."""
    allowed, reason = can_edit_documents(user, document.reward)
    if allowed and is_firm_user(user) and document.uploaded_by_id != user.pk:
        return False, _("企业用户只能删除本企业自己上传的材料，县区上传的材料请联系县区科技部门。")
    return allowed, reason


def can_review(user, reward: Reward) -> Decision:
    """Only tech bureau reviewers approve, return or reject, only a submitted reward (待审核), and never
    what they submitted themselves."""
    if not has_right(user, Right.REWARD_REVIEW):
        return False, _("只有市科技局审核员可以审核奖励。")
    allowed, reason = _legal(reward, S.APPROVED)
    if not allowed:
        return allowed, reason
    if reward.submitted_by_id is not None and reward.submitted_by_id == user.pk:
        return False, _("不能批准本人提交的申报。")
    return OK


# --- payout batches -------------------------------------------------------------------------------


def _batch_owner(user, batch: PayoutBatch) -> Decision:
    return can_pay(user, source=batch.source, jurisdiction_id=batch.jurisdiction_id)


def can_lock_batch(user, batch: PayoutBatch, *, line_count: int) -> Decision:
    """The paying office locks its own draft batch once it holds at least one line."""
    allowed, reason = _batch_owner(user, batch)
    if not allowed:
        return allowed, reason
    if batch.status != PayoutBatch.Status.DRAFT:
        return False, _batch_waiting_for(batch)
    if not line_count:
        return False, _("批次中还没有资金明细，编入后才能锁定。")
    return OK


def can_pay_batch(user, batch: PayoutBatch) -> Decision:
    """The paying office records payment of its own locked batch (a draft must be locked first)."""
    allowed, reason = _batch_owner(user, batch)
    if not allowed:
        return allowed, reason
    if batch.status != PayoutBatch.Status.LOCKED:
        return False, _batch_waiting_for(batch)
    return OK


def can_issue_batch_documents(user, batch: PayoutBatch) -> Decision:
    """The paying office issues its own batch's reward notice and payout sheet (PDF, with a 文号) once the
    batch is locked: what a draft lists may still change."""
    allowed, reason = _batch_owner(user, batch)
    if not allowed:
        return allowed, reason
    if batch.status == PayoutBatch.Status.DRAFT:
        return False, _("请先锁定批次再印发奖励通知和拨付表：锁定后批次内容不再变化。")
    return OK


def _batch_waiting_for(batch: PayoutBatch) -> str:
    lines = {
        PayoutBatch.Status.DRAFT: _("编制中：锁定批次后才能导出拨付清单和登记拨付。"),
        PayoutBatch.Status.LOCKED: _("已锁定，等待登记拨付。"),
        PayoutBatch.Status.PAID: _("已全部拨付，办理结束。"),
    }
    return str(lines.get(batch.status, batch.get_status_display()))


def can_manage_rules(user) -> Decision:
    if not has_right(user, Right.RULE_MANAGE):
        return False, _("只有系统管理员可以维护奖励规则。")
    return OK
