"""Who may act on a reward: plain functions returning ``(allowed, reason)``.

Pages use the reason to say why a button is absent; the services call the same functions and raise
``DomainError(reason)`` when not allowed. Whether the reward's *state* allows a move is the workflow
table's business (``workflow.ensure_transition``), except for document editing, which depends on it.
"""

from django.utils.translation import gettext as _

from anyang_hte.core.roles import Right, has_right, is_firm_user
from anyang_hte.core.scope import firm_enterprise_id, user_may_use_jurisdiction

from .funding import can_pay
from .models import Reward

__all__ = [
    "can_edit_documents",
    "can_manage_rules",
    "can_pay",
    "can_remove_document",
    "can_review",
    "can_submit",
]

EDITABLE_STATUSES = frozenset({Reward.Status.GENERATED, Reward.Status.RETURNED})

Decision = tuple[bool, str]
OK: Decision = (True, "")


def can_submit(user, reward: Reward) -> Decision:
    """Only the county office of the reward's jurisdiction submits it."""
    if not has_right(user, Right.REWARD_SUBMIT):
        return False, _("只有县区科技部门可以申报奖励。")
    if not user_may_use_jurisdiction(user, reward.jurisdiction_id):
        return False, _("只能申报本县区企业的奖励。")
    return OK


def can_edit_documents(user, reward: Reward) -> Decision:
    """The county office of the reward's jurisdiction, or the firm itself (企业用户 of the reward's own
    enterprise: the certificate scan and the bank confirmation are the firm's papers), while the reward
    can still be changed. Submitting to the bureau stays the county's."""
    if is_firm_user(user):
        if not has_right(user, Right.FIRM_SELF) or firm_enterprise_id(user) != reward.enterprise_id:
            return False, _("企业用户只能为本企业的奖励上传材料。")
    else:
        allowed, reason = can_submit(user, reward)
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
    """Only tech bureau reviewers approve, return or reject; never what they submitted themselves."""
    if not has_right(user, Right.REWARD_REVIEW):
        return False, _("只有市科技局审核员可以审核奖励。")
    if reward.submitted_by_id is not None and reward.submitted_by_id == user.pk:
        return False, _("不能批准本人提交的申报。")
    return OK


def can_manage_rules(user) -> Decision:
    if not has_right(user, Right.RULE_MANAGE):
        return False, _("只有系统管理员可以维护奖励规则。")
    return OK
