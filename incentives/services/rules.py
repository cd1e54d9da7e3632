"""Reward rules kept as data: open a rule, edit it until it has produced rewards, then close it (an
end date) and open a new one. Only administrators (``RULE_MANAGE``) do this, in the admin site."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError, full_clean
from anyang_hte.core.guards import ensure_allowed
from anyang_hte.core.roles import person

from .. import permissions
from ..models import RewardRule

# What a rule is made of, in the order the admin's form shows it.
RULE_FIELDS = (
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
)


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(RULE_FIELDS)
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
    ensure_allowed(permissions.can_manage_rules(by))
    _check_fields(fields)
    rule = RewardRule(**fields)
    full_clean(rule, exclude=["closed_by"])
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
    ensure_allowed(permissions.can_manage_rules(by))
    _check_fields(fields)
    rule = RewardRule.objects.select_for_update().get(pk=rule.pk)
    if rule.rewards.exists():
        raise DomainError(_("已产生奖励的规则不能修改，请关闭后新建。"))
    changed = [f for f, v in fields.items() if getattr(rule, f) != v]
    if not changed:
        return rule
    for f in changed:
        setattr(rule, f, fields[f])
    full_clean(rule, exclude=["closed_by"])
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
    ensure_allowed(permissions.can_manage_rules(by))
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
    rule.closed_at, rule.closed_by = timezone.now(), person(by)
    rule.save(update_fields=["effective_to", "closed_at", "closed_by"])
    audit_log(
        rule,
        "incentives.rule.closed",
        by=by,
        data={"effective_to": effective_to.isoformat(), "before": before.isoformat() if before else None},
    )
    return rule
