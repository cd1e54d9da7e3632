"""The incentives engine: a recorded qualification meets the reward rules and produces rewards, once;
a revoked one takes them back (unpaid money cancelled, paid money recovered).

Both run when ``enterprises`` announces a qualification (``enterprises.signals``, received in
``incentives/receivers.py``) with the same ``by`` who recorded or revoked it, inside that transaction;
the guard here asks ``by`` for the right to record qualifications in the enterprise's jurisdiction.

Which qualification earns what (``rule_matches``):

- a rule matches a qualification when its trigger kind is the qualification's kind and its effective
  period (``effective_from`` .. ``effective_to``, open-ended when unset) contains the grant date;
- a revoked qualification earns nothing;
- a qualification the firm brought when it moved to Anyang (``granted_elsewhere``) earns nothing from
  any rule: the city's rewards are for cultivation in Anyang, not for a certificate won elsewhere. It is
  still a grant of its kind, so it makes a later grant in Anyang not "first";
- a first-time-only rule (``RewardRule.first_time_only``, ticked by default and for HTE_NEW) rewards only
  the enterprise's first-ever qualification of the trigger kind: any earlier grant of that kind, expired,
  revoked or brought from elsewhere, makes a later one not new (重新认定 is not 新认定), and it never pays
  one enterprise twice;
- a rule that is not first-time-only rewards every qualification of the trigger kind granted within its
  period once: a re-certification after a lapse earns it again.

Once, and races. Every reward names its qualification, and the ``reward_once_per_qualification``
constraint (rule, qualification) makes running the engine again change nothing: the engine checks
first, and an insert a constraint refuses fails in a savepoint and is ignored (the surrounding
transaction carries on).

A first-time-only rule must also never pay one enterprise twice, and there two *different*
qualifications can race: two first grants of one enterprise recorded at once would each see no earlier
grant in its own snapshot and each earn the reward. The database closes that race: the reward copies its
rule's ``first_time_only``, and the partial constraint ``reward_first_time_once_per_enterprise`` makes
(enterprise, rule) unique where it is set. The second insert waits for the first transaction and fails
once it commits; the outcome is that of one recording after the other (whichever commits first is the
grant rewarded, as when two certificates are entered out of order), and it holds for every path that
writes rewards: a recording, ``rewards_run_all``, the official-list import. Recordings through
``enterprises.services.qualification_record`` do not even get that far: it holds the enterprise's row
``select_for_update`` for its whole transaction, so a second recording waits and then sees the first's
grant and reward. The engine takes no lock of its own: a lock would only choose between the same
outcomes, ``rewards_run_all`` locking whole chunks could deadlock with an official-list import (which
locks enterprises in file order), and a constraint cannot be forgotten by a future writer.
"""

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anyang_hte.core.audit import audit_log
from anyang_hte.core.guards import ALL_JURISDICTIONS, guard
from anyang_hte.core.roles import Right, person
from anyang_hte.core.system_text import SystemText
from enterprises.models import Qualification

from ..models import FundingLine, FundingSource, Payment, Recovery, Reward, RewardRule
from ..workflow import ensure_transition
from ._common import cancel_unpaid_lines, lock_reward, record_move

S = Reward.Status
L = FundingLine.Status

# Written into the cancelled reward's sign-off row (stored in Chinese, shown in the reader's language).
REVOKED = SystemText(gettext_noop("资质已于 %(d)s 撤销：%(r)s"))


def rules_in_force(kind: str, on: datetime.date) -> list[RewardRule]:
    """The rules triggered by ``kind`` whose effective period contains ``on``."""
    return list(
        RewardRule.objects.filter(trigger_kind=kind, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("effective_from", "code")
    )


def rule_matches(rule: RewardRule, qualification: Qualification, *, earliest_grant: datetime.date) -> bool:
    """Whether ``rule`` rewards ``qualification``; ``earliest_grant`` is the enterprise's first grant
    of that kind (any qualification, revoked, expired or brought from elsewhere included)."""
    if rule.trigger_kind != qualification.kind or qualification.revoked_on or qualification.granted_elsewhere:
        return False
    granted = qualification.granted_on
    if granted < rule.effective_from or (rule.effective_to and granted > rule.effective_to):
        return False
    return not (rule.first_time_only and earliest_grant < granted)


def _due(
    qualifications: list[Qualification],
    *,
    rules: list[RewardRule],
    rewarded: Iterable[tuple[int, int, int]],
    only: int | None = None,
) -> list[tuple[Qualification, RewardRule]]:
    """The (qualification, rule) pairs that earn a reward not created yet.

    ``qualifications``: every qualification of the rules' kinds of the enterprises concerned, ordered by
    enterprise, kind, grant date; ``rewarded``: their existing rewards as (enterprise, rule,
    qualification) ids, whatever their status; ``only``: consider just this qualification (the others
    still tell which grant came first).
    """
    rewarded = list(rewarded)
    by_qualification = {(rule_id, q_id) for _e, rule_id, q_id in rewarded}
    by_enterprise = {(e_id, rule_id) for e_id, rule_id, _q in rewarded}
    earliest: dict[tuple[int, str], datetime.date] = {}
    for q in qualifications:  # ordered by grant date: the first seen is the earliest
        earliest.setdefault((q.enterprise_id, q.kind), q.granted_on)
    due = []
    for q in qualifications:
        if only is not None and q.pk != only:
            continue
        for rule in rules:
            if (rule.pk, q.pk) in by_qualification:
                continue
            if rule.first_time_only and (q.enterprise_id, rule.pk) in by_enterprise:
                continue  # never twice to one enterprise (a grant recorded out of order, say)
            if not rule_matches(rule, q, earliest_grant=earliest[(q.enterprise_id, q.kind)]):
                continue
            due.append((q, rule))
            by_qualification.add((rule.pk, q.pk))
            by_enterprise.add((q.enterprise_id, rule.pk))
    return due


def rewards_for_new_grants(
    *, kind: str, granted_on: datetime.date, enterprise_ids: Iterable[int], chunk_size: int = 500
) -> dict[int, list[RewardRule]]:
    """A dry run of the engine, writing nothing: enterprise id → the rules that would reward a grant of
    ``kind`` on ``granted_on`` if it were recorded now (the official-list preview shows this money).

    Decides exactly as a recording does (``_due`` on the enterprise's grants of that kind, the new one
    included, and its existing rewards). The enterprises must hold no grant of ``kind`` on that date
    (recording one there would be refused, and the preview reports it as already recorded).
    """
    rules = rules_in_force(kind, granted_on)
    ids = sorted(set(enterprise_ids))
    due: dict[int, list[RewardRule]] = {}
    if not rules:
        return due
    for chunk in _chunks(ids, chunk_size):
        held: dict[int, list[Qualification]] = {}
        for q in Qualification.objects.filter(enterprise_id__in=chunk, kind=kind).order_by(
            "enterprise_id", "granted_on", "pk"
        ):
            held.setdefault(q.enterprise_id, []).append(q)
        rewarded: dict[int, list[tuple[int, int, int]]] = {}
        for row in Reward.objects.filter(enterprise_id__in=chunk, rule__in=rules).values_list(
            "enterprise_id", "rule_id", "qualification_id"
        ):
            rewarded.setdefault(row[0], []).append(row)
        for enterprise_id in chunk:
            # An unsaved grant; a negative pk no stored row has lets ``_due`` tell it from the others.
            new = Qualification(pk=-1, enterprise_id=enterprise_id, kind=kind, granted_on=granted_on)
            quals = sorted([*held.get(enterprise_id, []), new], key=lambda q: (q.granted_on, q.pk))
            pairs = _due(quals, rules=rules, rewarded=rewarded.get(enterprise_id, []), only=new.pk)
            due[enterprise_id] = [rule for _q, rule in pairs]
    return due


def _create_reward(*, rule: RewardRule, qualification: Qualification, by) -> Reward | None:
    """Create the reward and its funding lines; ``None`` when another transaction got there first."""
    enterprise = qualification.enterprise
    try:
        with transaction.atomic():  # a savepoint: a unique constraint may refuse the insert
            reward = Reward.objects.create(
                enterprise=enterprise,
                jurisdiction_id=enterprise.jurisdiction_id,
                rule=rule,
                qualification=qualification,
                amount=rule.total_amount,
                first_time_only=rule.first_time_only,
                status=Reward.Status.GENERATED,
            )
    except IntegrityError:
        taken = Q(qualification=qualification)
        if rule.first_time_only:
            taken |= Q(enterprise_id=enterprise.pk, first_time_only=True)
        if Reward.objects.filter(taken, rule=rule).exists():
            return None
        raise
    shares = ((FundingSource.CITY, rule.city_amount), (FundingSource.COUNTY, rule.county_amount))
    FundingLine.objects.bulk_create(
        FundingLine(
            reward=reward,
            source=source,
            jurisdiction_id=enterprise.jurisdiction_id,
            amount=amount,
            status=FundingLine.Status.PENDING,
        )
        for source, amount in shares
        if amount > 0
    )
    audit_log(
        reward,
        "incentives.reward.generated",
        by=by,
        data={
            "rule": rule.code,
            "qualification": qualification.pk,
            "granted_on": qualification.granted_on.isoformat(),
            "amount": str(reward.amount),
            "city_amount": str(rule.city_amount),
            "county_amount": str(rule.county_amount),
            "first_time_only": rule.first_time_only,
        },
    )
    return reward


def _guard(by, qualification: Qualification) -> None:
    guard(
        by,
        Right.QUALIFICATION_EDIT,
        jurisdiction_id=qualification.enterprise.jurisdiction_id,
        reason=_("只有登记资质的部门可以生成或撤回奖励。"),
    )


@transaction.atomic
def rewards_for_qualification(*, qualification: Qualification, by) -> list[Reward]:
    """Run the rules against one qualification; returns the rewards it newly created."""
    _guard(by, qualification)
    if qualification.revoked_on or qualification.granted_elsewhere:
        return []
    rules = rules_in_force(qualification.kind, qualification.granted_on)
    if not rules:
        return []
    enterprise_id = qualification.enterprise_id
    quals = list(
        Qualification.objects.filter(enterprise_id=enterprise_id, kind=qualification.kind)
        .select_related("enterprise")
        .order_by("granted_on", "pk")
    )
    rewarded = Reward.objects.filter(enterprise_id=enterprise_id, rule__in=rules).values_list(
        "enterprise_id", "rule_id", "qualification_id"
    )
    created = []
    for q, rule in _due(quals, rules=rules, rewarded=rewarded, only=qualification.pk):
        reward = _create_reward(rule=rule, qualification=q, by=by)
        if reward is not None:
            created.append(reward)
    return created


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def rewards_run_all(*, by, chunk_size: int = 500) -> int:
    """Run the engine over every qualification of a trigger kind; returns the number of new rewards.

    It runs over every jurisdiction, so ``by`` must hold the right city-wide (the ``run_reward_engine``
    command acts as the system). Idempotent, and decides as a recording does (``_due``). Works enterprise
    by enterprise in chunks (a few queries per chunk, one short transaction per chunk), oldest grant
    first.
    """
    guard(
        by,
        Right.QUALIFICATION_EDIT,
        jurisdiction_id=ALL_JURISDICTIONS,
        reason=_("只有登记资质的部门可以生成奖励。"),
        scope_reason=_("全市奖励重算只能由市科技局或系统执行。"),
    )
    rules = list(RewardRule.objects.all())
    kinds = {rule.trigger_kind for rule in rules}
    if not kinds:
        return 0
    enterprise_ids = list(
        Qualification.objects.filter(kind__in=kinds, revoked_on__isnull=True, granted_elsewhere=False)
        .order_by("enterprise_id")
        .values_list("enterprise_id", flat=True)
        .distinct()
    )
    created = 0
    for chunk in _chunks(enterprise_ids, chunk_size):
        created += _run_chunk(chunk, rules=rules, kinds=kinds, by=by)
    return created


@transaction.atomic
def _run_chunk(enterprise_ids: list[int], *, rules: list[RewardRule], kinds: set[str], by) -> int:
    quals = list(
        Qualification.objects.filter(enterprise_id__in=enterprise_ids, kind__in=kinds)
        .select_related("enterprise")
        .order_by("enterprise_id", "kind", "granted_on", "pk")
    )
    rewarded = Reward.objects.filter(enterprise_id__in=enterprise_ids).values_list(
        "enterprise_id", "rule_id", "qualification_id"
    )
    created = 0
    for q, rule in _due(quals, rules=rules, rewarded=rewarded):
        if _create_reward(rule=rule, qualification=q, by=by) is not None:
            created += 1
    return created


# --- a qualification revoked -----------------------------------------------------------------------


@transaction.atomic
def rewards_on_qualification_revoked(*, qualification, by) -> list[Recovery]:
    """A revoked qualification: an unpaid reward is cancelled; money already paid is not touched but
    a Recovery (追回) is opened for each payment. Returns the recoveries opened."""
    _guard(by, qualification)
    reason = REVOKED.stored(
        d=qualification.revoked_on or timezone.localdate(), r=qualification.revoke_reason or ""
    )
    recoveries = []
    reward_ids = list(qualification.rewards.order_by("pk").values_list("pk", flat=True))
    for reward_id in reward_ids:
        reward, lines = lock_reward(Reward(pk=reward_id))
        if reward.status in (S.CANCELLED, S.REJECTED):
            continue
        paid = [line for line in lines if line.status == L.PAID]
        cancelled = cancel_unpaid_lines(lines, by=by, reason=reason)
        if not paid:
            ensure_transition(reward, to=S.CANCELLED)
            before = record_move(reward, S.CANCELLED, by=by, comment=reason)
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
                opened_by=person(by),
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
