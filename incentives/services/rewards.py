"""Every write on rewards and rules: submit, review, documents, revocation, rule maintenance.

Each move locks the reward (and its funding lines), checks who may act (``permissions``) and whether
the move is legal (``workflow``), records a ``RewardDecision`` row and an audit entry, and tells the
people concerned after commit (``notifications``).
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log, audit_log_many
from anyang_hte.core.errors import DomainError

from . import documents, permissions
from .models import (
    FundingLine,
    Payment,
    PayoutBatch,
    Recovery,
    Reward,
    RewardDecision,
    RewardDocument,
    RewardRule,
)
from .workflow import ensure_line_transition, ensure_transition

S = Reward.Status
L = FundingLine.Status

RULE_FIELDS = frozenset(
    {
        "code",
        "name",
        "trigger_kind",
        "city_amount",
        "county_amount",
        "first_time_only",
        "effective_from",
        "effective_to",
        "policy_document",
        "notes",
    }
)


# --- helpers ------------------------------------------------------------------------------------


def _allow(decision: tuple[bool, str]) -> None:
    allowed, reason = decision
    if not allowed:
        raise DomainError(reason)


def _lock(reward: Reward) -> tuple[Reward, list[FundingLine]]:
    locked = Reward.objects.select_for_update().get(pk=reward.pk)
    lines = list(FundingLine.objects.select_for_update().filter(reward=locked).order_by("pk"))
    return locked, lines


def _move(reward: Reward, to: str, *, by, comment: str = "") -> str:
    """Change the reward's status (already checked) and record the sign-off row."""
    before = reward.status
    reward.status = to
    RewardDecision.objects.create(
        reward=reward,
        from_status=before,
        to_status=to,
        by=by if getattr(by, "pk", None) else None,
        role=getattr(by, "role", "") or "",
        comment=comment,
    )
    return before


def _set_line_status(line: FundingLine, to: str) -> None:
    ensure_line_transition(line, to=to)
    line.status = to


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(message, field="reason")
    return text


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
    reward, _lines = _lock(reward)
    _allow(permissions.can_submit(by, reward))
    ensure_transition(reward, to=S.SUBMITTED)
    missing = missing_for_submission(reward)
    if missing:
        raise DomainError(_("申报前请先补充：%(items)s。") % {"items": "、".join(missing)})
    before = _move(reward, S.SUBMITTED, by=by, comment=comment)
    reward.submitted_by, reward.submitted_at = by, timezone.now()
    reward.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit_log(reward, "incentives.reward.submitted", by=by, data={"from": before, "comment": comment})
    from . import notifications

    notifications.notify_submitted(reward)
    return reward


@transaction.atomic
def reward_document_add(*, reward: Reward, kind: str, upload, by) -> RewardDocument:
    reward, _lines = _lock(reward)
    _allow(permissions.can_edit_documents(by, reward))
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
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def reward_document_remove(*, document: RewardDocument, by) -> None:
    reward, _lines = _lock(document.reward)
    _allow(permissions.can_edit_documents(by, reward))
    document = RewardDocument.objects.get(pk=document.pk, reward=reward)
    storage, name = document.file.storage, document.file.name
    data = {"document": document.pk, "kind": document.kind, "name": document.original_name}
    document.delete()
    audit_log(reward, "incentives.reward.document_removed", by=by, data=data)
    transaction.on_commit(lambda: storage.delete(name) if name else None)


# --- the tech bureau reviews ---------------------------------------------------------------------


@transaction.atomic
def reward_return(*, reward: Reward, by, reason: str) -> Reward:
    reason = _required(reason, _("退回时请说明原因。"))
    reward, _lines = _lock(reward)
    _allow(permissions.can_review(by, reward))
    ensure_transition(reward, to=S.RETURNED)
    before = _move(reward, S.RETURNED, by=by, comment=reason)
    reward.save(update_fields=["status", "updated_at"])
    audit_log(reward, "incentives.reward.returned", by=by, data={"from": before, "reason": reason})
    from . import notifications

    notifications.notify_returned(reward)
    return reward


@transaction.atomic
def reward_reject(*, reward: Reward, by, reason: str) -> Reward:
    reason = _required(reason, _("不予奖励时请说明原因。"))
    reward, lines = _lock(reward)
    _allow(permissions.can_review(by, reward))
    ensure_transition(reward, to=S.REJECTED)
    for line in lines:
        if line.status != L.CANCELLED:
            _set_line_status(line, L.CANCELLED)
            line.save(update_fields=["status"])
    before = _move(reward, S.REJECTED, by=by, comment=reason)
    reward.save(update_fields=["status", "updated_at"])
    audit_log(reward, "incentives.reward.rejected", by=by, data={"from": before, "reason": reason})
    from . import notifications

    notifications.notify_rejected(reward)
    return reward


@transaction.atomic
def reward_approve(*, reward: Reward, by, comment: str = "") -> Reward:
    reward, lines = _lock(reward)
    # can_review refuses a reviewer approving what they submitted (four eyes; the reward_four_eyes
    # constraint backs it in the database).
    _allow(permissions.can_review(by, reward))
    ensure_transition(reward, to=S.APPROVED)
    approved = []
    for line in lines:
        if line.status == L.PENDING:
            _set_line_status(line, L.APPROVED)
            line.save(update_fields=["status"])
            approved.append(line)
    before = _move(reward, S.APPROVED, by=by, comment=comment)
    reward.approved_by, reward.approved_at = by, timezone.now()
    reward.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit_log(
        reward,
        "incentives.reward.approved",
        by=by,
        data={"from": before, "comment": comment, "lines": [line.pk for line in approved]},
    )
    from . import notifications

    notifications.notify_approved(reward)
    if approved:
        notifications.notify_lines_ready(approved)
    return reward


# --- payment and revocation ----------------------------------------------------------------------


@transaction.atomic
def reward_mark_paid_if_complete(*, reward: Reward, by=None) -> Reward:
    """APPROVED → PAID once every line that is not cancelled has been paid (the payout service calls
    this after recording payments). Does nothing otherwise."""
    rewards_mark_paid_if_complete(reward_ids=[reward.pk], by=by)
    return Reward.objects.get(pk=reward.pk)


@transaction.atomic
def rewards_mark_paid_if_complete(*, reward_ids, by=None) -> int:
    """The same for many rewards at once (a whole batch paid): a few queries, not a few per reward.

    Returns how many rewards became PAID.
    """
    rewards = list(Reward.objects.select_for_update().filter(pk__in=list(reward_ids)).order_by("pk"))
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
                by=by if getattr(by, "pk", None) else None,
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


def _cancel_unpaid_lines(lines: list[FundingLine], *, by, reason: str) -> list[dict]:
    """Cancel every line not paid yet. A line in a draft batch leaves the batch; a line in a locked
    batch stays linked to it (the sheet handed to the bank listed it) but is cancelled, and batch
    totals count only lines that are not cancelled."""
    done = []
    batches = {
        b.pk: b for b in PayoutBatch.objects.filter(pk__in={line.batch_id for line in lines if line.batch_id})
    }
    for line in lines:
        if line.status in (L.PAID, L.CANCELLED):
            continue
        batch = batches.get(line.batch_id)
        _set_line_status(line, L.CANCELLED)
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


@transaction.atomic
def rewards_on_qualification_revoked(*, qualification, by) -> list[Recovery]:
    """A revoked qualification: an unpaid reward is cancelled; money already paid is not touched but
    a Recovery (追回) is opened for each payment. Returns the recoveries opened."""
    reason = _("资质已于 %(d)s 撤销：%(r)s") % {
        "d": qualification.revoked_on or timezone.localdate(),
        "r": qualification.revoke_reason or "",
    }
    recoveries = []
    reward_ids = list(qualification.rewards.order_by("pk").values_list("pk", flat=True))
    for reward_id in reward_ids:
        reward, lines = _lock(Reward(pk=reward_id))
        if reward.status in (S.CANCELLED, S.REJECTED):
            continue
        paid = [line for line in lines if line.status == L.PAID]
        cancelled = _cancel_unpaid_lines(lines, by=by, reason=reason)
        if not paid:
            ensure_transition(reward, to=S.CANCELLED)
            before = _move(reward, S.CANCELLED, by=by, comment=reason)
            reward.save(update_fields=["status", "updated_at"])
            audit_log(
                reward,
                "incentives.reward.cancelled",
                by=by,
                data={"from": before, "reason": reason, "lines": cancelled},
            )
            continue
        payments = Payment.objects.filter(line__in=paid).select_related("line").order_by("pk")
        opened = []
        for payment in payments:
            if Recovery.objects.filter(payment=payment).exists():
                continue
            recovery = Recovery.objects.create(
                payment=payment,
                amount=payment.amount,
                reason=reason[:255],
                opened_by=by if getattr(by, "pk", None) else None,
            )
            audit_log(
                recovery,
                "incentives.recovery.opened",
                by=by,
                data={
                    "reward": reward.pk,
                    "payment": payment.pk,
                    "line": payment.line_id,
                    "amount": str(payment.amount),
                    "reason": reason,
                },
            )
            opened.append(recovery)
        recoveries.extend(opened)
        audit_log(
            reward,
            "incentives.reward.qualification_revoked",
            by=by,
            data={
                "status": reward.status,
                "reason": reason,
                "recoveries": [r.pk for r in opened],
                "lines_cancelled": cancelled,
            },
        )
    return recoveries


# --- rules ----------------------------------------------------------------------------------------


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - RULE_FIELDS
    if unknown:
        raise TypeError(f"unknown rule fields: {sorted(unknown)}")


def _ensure_no_overlap(rule: RewardRule) -> None:
    others = RewardRule.objects.select_for_update().filter(trigger_kind=rule.trigger_kind)
    if rule.pk:
        others = others.exclude(pk=rule.pk)
    if rule.effective_to:
        others = others.filter(effective_from__lte=rule.effective_to)
    for other in others:
        if other.effective_to is None or other.effective_to >= rule.effective_from:
            raise DomainError(
                _("与规则“%(name)s”（%(code)s，%(start)s 起%(end)s）的有效期重叠，请先关闭该规则。")
                % {
                    "name": other.name,
                    "code": other.code,
                    "start": other.effective_from,
                    "end": _("至 %(d)s") % {"d": other.effective_to} if other.effective_to else "",
                },
                field="effective_from",
            )


@transaction.atomic
def rule_open(*, by, **fields) -> RewardRule:
    _allow(permissions.can_manage_rules(by))
    _check_fields(fields)
    rule = RewardRule(**fields)
    rule.full_clean(exclude=["closed_by"])
    _ensure_no_overlap(rule)
    rule.save()
    audit_log(
        rule,
        "incentives.rule.opened",
        by=by,
        data={k: str(v) if v is not None else None for k, v in sorted(fields.items())},
    )
    return rule


@transaction.atomic
def rule_update(*, rule: RewardRule, by, **fields) -> RewardRule:
    _allow(permissions.can_manage_rules(by))
    _check_fields(fields)
    rule = RewardRule.objects.select_for_update().get(pk=rule.pk)
    if rule.rewards.exists():
        raise DomainError(_("已产生奖励的规则不能修改，请关闭后新建。"))
    changed = [f for f, v in fields.items() if getattr(rule, f) != v]
    if not changed:
        return rule
    for f in changed:
        setattr(rule, f, fields[f])
    rule.full_clean(exclude=["closed_by"])
    _ensure_no_overlap(rule)
    rule.save()
    audit_log(
        rule,
        "incentives.rule.updated",
        by=by,
        data={f: str(fields[f]) if fields[f] is not None else None for f in sorted(changed)},
    )
    return rule


@transaction.atomic
def rule_close(*, rule: RewardRule, effective_to: datetime.date, by) -> RewardRule:
    """End a rule's period: qualifications granted after ``effective_to`` get nothing from it."""
    _allow(permissions.can_manage_rules(by))
    rule = RewardRule.objects.select_for_update().get(pk=rule.pk)
    if rule.closed_at:
        raise DomainError(
            _("该规则已于 %(d)s 关闭。") % {"d": f"{timezone.localtime(rule.closed_at):%Y-%m-%d}"}
        )
    if effective_to < rule.effective_from:
        raise DomainError(_("截止日期不能早于生效日期。"), field="effective_to")
    late = rule.rewards.filter(qualification__granted_on__gt=effective_to).count()
    if late:
        raise DomainError(
            _("已有 %(n)s 笔奖励的认定日期晚于 %(d)s，截止日期不能早于这些认定日期。")
            % {"n": late, "d": effective_to},
            field="effective_to",
        )
    before = rule.effective_to
    rule.effective_to = effective_to
    _ensure_no_overlap(rule)
    rule.closed_at, rule.closed_by = timezone.now(), by if getattr(by, "pk", None) else None
    rule.save(update_fields=["effective_to", "closed_at", "closed_by"])
    audit_log(
        rule,
        "incentives.rule.closed",
        by=by,
        data={"effective_to": effective_to.isoformat(), "before": before.isoformat() if before else None},
    )
    return rule
