"""The incentives engine: a recorded qualification meets the reward rules and produces rewards, once.

A rule matches a qualification when its trigger kind is the qualification's kind, its effective period
(``effective_from`` .. ``effective_to``, open-ended when unset) contains the grant date, and, for a
first-time-only rule, the enterprise held no earlier qualification of that kind (revoked or expired
ones count: re-certification is not new). One reward per enterprise per rule: the engine checks first
and the ``reward_once_per_rule`` constraint settles a race (the loser's insert fails in a savepoint
and is ignored), so running it again changes nothing.
"""

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Min, Q

from anyang_hte.core.audit import audit_log
from enterprises.models import Qualification

from .models import FundingLine, FundingSource, Reward, RewardRule


def rules_in_force(kind: str, on: datetime.date) -> list[RewardRule]:
    """The rules triggered by ``kind`` whose effective period contains ``on``."""
    return list(
        RewardRule.objects.filter(trigger_kind=kind, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("effective_from", "code")
    )


def rule_matches(rule: RewardRule, qualification: Qualification, *, earliest_grant: datetime.date) -> bool:
    """Whether ``rule`` rewards ``qualification``; ``earliest_grant`` is the enterprise's first grant
    of that kind (any qualification, revoked or expired included)."""
    if rule.trigger_kind != qualification.kind or qualification.revoked_on:
        return False
    granted = qualification.granted_on
    if granted < rule.effective_from or (rule.effective_to and granted > rule.effective_to):
        return False
    return not (rule.first_time_only and earliest_grant < granted)


def _create_reward(*, rule: RewardRule, qualification: Qualification, by) -> Reward | None:
    """Create the reward and its funding lines; ``None`` when another transaction got there first."""
    enterprise = qualification.enterprise
    try:
        with transaction.atomic():  # a savepoint: the unique constraint may refuse the insert
            reward = Reward.objects.create(
                enterprise=enterprise,
                jurisdiction_id=enterprise.jurisdiction_id,
                rule=rule,
                qualification=qualification,
                amount=rule.total_amount,
                status=Reward.Status.GENERATED,
            )
    except IntegrityError:
        if Reward.objects.filter(enterprise_id=enterprise.pk, rule=rule).exists():
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
        },
    )
    return reward


@transaction.atomic
def rewards_for_qualification(*, qualification: Qualification, by) -> list[Reward]:
    """Run the rules against one qualification; returns the rewards it newly created."""
    if qualification.revoked_on:
        return []
    rules = rules_in_force(qualification.kind, qualification.granted_on)
    if not rules:
        return []
    enterprise_id = qualification.enterprise_id
    earliest = Qualification.objects.filter(enterprise_id=enterprise_id, kind=qualification.kind).aggregate(
        first=Min("granted_on")
    )["first"]
    earliest = min(earliest or qualification.granted_on, qualification.granted_on)
    already = set(
        Reward.objects.filter(enterprise_id=enterprise_id, rule__in=rules).values_list("rule_id", flat=True)
    )
    created = []
    for rule in rules:
        if rule.pk in already or not rule_matches(rule, qualification, earliest_grant=earliest):
            continue
        reward = _create_reward(rule=rule, qualification=qualification, by=by)
        if reward is not None:
            created.append(reward)
    return created


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def rewards_run_all(*, by=None, chunk_size: int = 500) -> int:
    """Run the engine over every qualification of a trigger kind; returns the number of new rewards.

    Idempotent. Works enterprise by enterprise in chunks (a few queries per chunk, one short
    transaction per chunk), oldest grant first, so the earliest matching qualification is the one a
    rule rewards.
    """
    rules = list(RewardRule.objects.all())
    kinds = {rule.trigger_kind for rule in rules}
    if not kinds:
        return 0
    enterprise_ids = list(
        Qualification.objects.filter(kind__in=kinds, revoked_on__isnull=True)
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
    existing = set(
        Reward.objects.filter(enterprise_id__in=enterprise_ids).values_list("enterprise_id", "rule_id")
    )
    earliest: dict[tuple[int, str], datetime.date] = {}
    for q in quals:  # ordered by grant date: the first seen is the earliest
        earliest.setdefault((q.enterprise_id, q.kind), q.granted_on)
    created = 0
    for q in quals:
        for rule in rules:
            key = (q.enterprise_id, rule.pk)
            if key in existing:
                continue
            if not rule_matches(rule, q, earliest_grant=earliest[(q.enterprise_id, q.kind)]):
                continue
            if _create_reward(rule=rule, qualification=q, by=by) is not None:
                created += 1
            existing.add(key)
    return created
