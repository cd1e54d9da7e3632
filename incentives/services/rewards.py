"""The reward's workflow: the county submits with its documents, the tech bureau reviews, and a reward
becomes PAID when finance has paid every line.

Each move locks the reward (and its funding lines), checks who may act (``permissions``: the right and
the reward's jurisdiction) and whether the move is legal (``workflow``), records a ``RewardDecision``
row and an audit entry, and tells the people concerned after commit (``notifications``).
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log, audit_log_many
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import CITY_LEVEL, ensure_allowed, guard
from anyang_hte.core.roles import Right, is_firm_user, person

from .. import balances, documents, notifications, permissions
from ..models import FundingLine, Reward, RewardDecision, RewardDocument
from ..workflow import ensure_transition
from ._common import lock_reward, record_move, required_reason, set_line_status
from .appropriations import balance_enforce

S = Reward.Status
L = FundingLine.Status


# --- the county submits -------------------------------------------------------------------------


def missing_for_submission(reward: Reward) -> list[str]:
    """What the county still has to provide before submitting (document kinds, bank details)."""
    missing = []
    kinds = set(reward.documents.values_list("kind", flat=True))
    for kind in (RewardDocument.Kind.CERTIFICATE, RewardDocument.Kind.BANK):
        if kind not in kinds:
            missing.append(str(kind.label))
    enterprise = reward.enterprise
    if not enterprise.bank_name.strip():
        missing.append(_("企业开户银行"))
    if not enterprise.bank_account.strip():
        missing.append(_("企业银行账号"))
    return missing


@transaction.atomic
def reward_submit(*, reward: Reward, by, comment: str = "") -> Reward:
    reward, _lines = lock_reward(reward)
    ensure_allowed(permissions.can_submit(by, reward))
    ensure_transition(reward, to=S.SUBMITTED)
    missing = missing_for_submission(reward)
    if missing:
        raise DomainError(_("申报前请先补充：%(items)s。") % {"items": "、".join(missing)})
    before = record_move(reward, S.SUBMITTED, by=by, comment=comment)
    reward.submitted_by, reward.submitted_at = by, timezone.now()
    reward.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit_log(reward, "incentives.reward.submitted", by=by, data={"from": before, "comment": comment})
    notifications.notify_submitted(reward)
    return reward


@transaction.atomic
def reward_document_add(*, reward: Reward, kind: str, upload, by) -> RewardDocument:
    reward, _lines = lock_reward(reward)
    ensure_allowed(permissions.can_edit_documents(by, reward))
    if kind not in RewardDocument.Kind.values:
        raise DomainError(_("未知的材料类型。"), field="kind")
    ext = documents.check_upload(upload)
    document = RewardDocument(
        reward=reward,
        kind=kind,
        original_name=documents.original_name(upload),
        size=upload.size,
        uploaded_by=by,
    )
    # Written last, after every check; a failure from here on removes the file again.
    document.file.save(documents.stored_name(ext), upload, save=False)
    try:
        document.save()
        audit_log(
            reward,
            "incentives.reward.document_added",
            by=by,
            data={"document": document.pk, "kind": kind, "name": document.original_name},
        )
        if is_firm_user(by):
            notifications.notify_firm_document(reward, document)
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def reward_document_remove(*, document: RewardDocument, by) -> None:
    reward, _lines = lock_reward(document.reward)
    document = RewardDocument.objects.select_related("reward").get(pk=document.pk, reward=reward)
    document.reward = reward
    ensure_allowed(permissions.can_remove_document(by, document))
    storage, name = document.file.storage, document.file.name
    data = {"document": document.pk, "kind": document.kind, "name": document.original_name}
    document.delete()
    audit_log(reward, "incentives.reward.document_removed", by=by, data=data)
    transaction.on_commit(lambda: storage.delete(name) if name else None)


# --- the tech bureau reviews ---------------------------------------------------------------------


@transaction.atomic
def reward_return(*, reward: Reward, by, reason: str) -> Reward:
    reason = required_reason(reason, _("退回时请说明原因。"))
    reward, _lines = lock_reward(reward)
    ensure_allowed(permissions.can_review(by, reward))
    ensure_transition(reward, to=S.RETURNED)
    before = record_move(reward, S.RETURNED, by=by, comment=reason)
    reward.save(update_fields=["status", "updated_at"])
    audit_log(reward, "incentives.reward.returned", by=by, data={"from": before, "reason": reason})
    notifications.notify_returned(reward)
    return reward


@transaction.atomic
def reward_reject(*, reward: Reward, by, reason: str) -> Reward:
    reason = required_reason(reason, _("不予奖励时请说明原因。"))
    reward, lines = lock_reward(reward)
    ensure_allowed(permissions.can_review(by, reward))
    ensure_transition(reward, to=S.REJECTED)
    for line in lines:
        if line.status != L.CANCELLED:
            set_line_status(line, L.CANCELLED)
            line.save(update_fields=["status"])
    before = record_move(reward, S.REJECTED, by=by, comment=reason)
    reward.save(update_fields=["status", "updated_at"])
    audit_log(reward, "incentives.reward.rejected", by=by, data={"from": before, "reason": reason})
    notifications.notify_rejected(reward)
    return reward


def _ensure_complete(reward: Reward) -> None:
    """Approval needs what submission needed: the papers and the bank details (they may have gone since)."""
    missing = missing_for_submission(reward)
    if missing:
        raise DomainError(
            _("申报材料不全，不能批准：缺少%(items)s。请退回县区补充。") % {"items": "、".join(missing)}
        )


@transaction.atomic
def reward_approve(*, reward: Reward, by, comment: str = "", override_reason: str = "") -> Reward:
    """SUBMITTED → APPROVED: the funding lines become payable.

    Each line counts against its year's appropriation of its source (``balances``): beyond the balance
    the approval is refused with the figures, unless ``override_reason`` records why it goes ahead.
    """
    reward, lines = lock_reward(reward)
    # can_review refuses a reviewer approving what they submitted (four eyes; the reward_four_eyes
    # constraint backs it in the database).
    ensure_allowed(permissions.can_review(by, reward))
    ensure_transition(reward, to=S.APPROVED)
    _ensure_complete(reward)
    pending = [line for line in lines if line.status == L.PENDING]
    needs = balances.needs_of_lines([line.pk for line in pending])
    overrides = balance_enforce(needs, batching=False, by=by, override_reason=override_reason, reward=reward)
    approved = []
    for line in pending:
        set_line_status(line, L.APPROVED)
        line.save(update_fields=["status"])
        approved.append(line)
    note = comment
    if overrides:
        note = "；".join(
            part for part in (comment, _("超出专项经费余额批准：%(r)s") % {"r": overrides[0].reason}) if part
        )
    before = record_move(reward, S.APPROVED, by=by, comment=note)
    reward.approved_by, reward.approved_at = by, timezone.now()
    reward.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit_log(
        reward,
        "incentives.reward.approved",
        by=by,
        data={
            "from": before,
            "comment": comment,
            "lines": [line.pk for line in approved],
            "overrides": [override.pk for override in overrides],
        },
    )
    notifications.notify_approved(reward)
    if approved:
        notifications.notify_lines_ready(approved)
    return reward


@dataclass(frozen=True)
class ApprovalResult:
    """One reward of a bulk approval: approved, or refused with the service's reason."""

    reward: Reward
    approved: bool
    reason: str = ""


@transaction.atomic
def rewards_approve(*, rewards, by, comment: str = "") -> list[ApprovalResult]:
    """Approve several submitted rewards at once, each on its own (``reward_approve`` per reward, in its
    own savepoint): a reward that is refused (its papers, four eyes, its status, or anything else
    ``reward_approve`` checks) stays as it was and is reported with the reason; the others are approved.
    """
    # every reward is checked again by ``reward_approve`` (right, four eyes, status, papers)
    guard(by, Right.REWARD_REVIEW, jurisdiction_id=CITY_LEVEL, reason=_("只有市科技局审核员可以审核奖励。"))
    chosen = list(rewards)
    if not chosen:
        raise DomainError(_("请先勾选要批准的奖励。"))
    results = []
    for reward in sorted(chosen, key=lambda r: r.pk):  # rows locked in primary-key order: no deadlocks
        try:
            with transaction.atomic():
                approved = reward_approve(reward=reward, by=by, comment=comment)
        except DomainError as exc:
            results.append(ApprovalResult(reward=reward, approved=False, reason=exc.message))
        else:
            reward.status = approved.status  # the caller's object (with its related rows) kept for display
            results.append(ApprovalResult(reward=reward, approved=True))
    return results


# --- paid: every line paid ------------------------------------------------------------------------


@transaction.atomic
def reward_mark_paid_if_complete(*, reward: Reward, by) -> Reward:
    """APPROVED → PAID once every line that is not cancelled has been paid (the payout service calls
    this after recording payments). Does nothing otherwise."""
    rewards_mark_paid_if_complete(reward_ids=[reward.pk], by=by)
    return Reward.objects.get(pk=reward.pk)


@transaction.atomic
def rewards_mark_paid_if_complete(*, reward_ids, by) -> int:
    """The same for many rewards at once (a whole batch paid): a few queries, not a few per reward.

    ``by`` is the finance officer who recorded the payments; every reward must be in their scope.
    Returns how many rewards became PAID.
    """
    # every reward's scope is checked below (``for_user``)
    guard(by, Right.PAYOUT_MANAGE, jurisdiction_id=CITY_LEVEL, reason=_("只有财政部门可以登记拨付。"))
    reward_ids = set(reward_ids)
    rewards = list(Reward.objects.for_user(by).select_for_update().filter(pk__in=reward_ids).order_by("pk"))
    if len(rewards) != len(reward_ids):
        raise DomainError(_("有奖励不在您的拨付范围内。"))
    ids = [reward.pk for reward in rewards]
    live: dict[int, list] = {}
    for reward_id, line_id, status in (
        FundingLine.objects.filter(reward_id__in=ids)
        .exclude(status=L.CANCELLED)
        .values_list("reward_id", "pk", "status")
    ):
        live.setdefault(reward_id, []).append((line_id, status))
    complete = [
        reward
        for reward in rewards
        if reward.status == S.APPROVED
        and live.get(reward.pk)
        and all(st == L.PAID for _pk, st in live[reward.pk])
    ]
    if not complete:
        return 0
    for reward in complete:
        ensure_transition(reward, to=S.PAID)
    Reward.objects.filter(pk__in=[r.pk for r in complete]).update(status=S.PAID, updated_at=timezone.now())
    comment = _("各资金明细均已拨付。")
    RewardDecision.objects.bulk_create(
        [
            RewardDecision(
                reward=reward,
                from_status=S.APPROVED,
                to_status=S.PAID,
                by=person(by),
                role=getattr(by, "role", "") or "",
                comment=comment,
            )
            for reward in complete
        ],
        batch_size=500,
    )
    audit_log_many(
        complete,
        "incentives.reward.paid",
        by=by,
        data_for=lambda reward: {"from": S.APPROVED, "lines": [pk for pk, _st in live[reward.pk]]},
    )
    return len(complete)
