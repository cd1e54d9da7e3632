"""Who is told what when a reward or its money moves. Called by the workflow and payout services.

Reviewers hear of submissions; the reward's county officials hear that it was returned, approved,
rejected or paid; finance officers hear that lines are ready to batch (city lines: the city's
finance officers; county lines: that county's). The messages are stored text, written in the
portal's default language whoever triggered them.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from anyang_hte.core.models import Notification, User
from anyang_hte.core.money import wan_rounded
from anyang_hte.core.notifications import Message, notify, notify_many
from anyang_hte.core.roles import Role

from .funding import PayingOffice, office_paying
from .models import FundingLine, FundingSource, Reward, RewardDecision

CHUNK = 500


def _url(name: str, *args) -> str:
    """The page's address, or "" while that page does not exist yet (the message then has no link)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def wan(amount) -> str:
    """Yuan as 万元 with two decimals: 150000 → "15.00"."""
    return str(wan_rounded(amount))


def _users(role: str, *, jurisdiction_id: int | None = None) -> QuerySet[User]:
    users = User.objects.filter(is_active=True, role=role)
    if jurisdiction_id is not None:
        users = users.filter(jurisdiction_id=jurisdiction_id)
    return users.order_by("pk")


def _county_officials(jurisdiction_id: int) -> QuerySet[User]:
    return _users(Role.COUNTY_OFFICIAL, jurisdiction_id=jurisdiction_id)


def _reward_url(reward: Reward) -> str:
    return _url("incentives:reward_detail", reward.pk)


def _firm_users(enterprise_id: int) -> QuerySet[User]:
    """The firm's own users (企业用户): they follow their rewards on the firm's pages."""
    return _users(Role.ENTERPRISE).filter(enterprise_id=enterprise_id)


def _notify_firm(reward: Reward, *, title: str, body: str) -> list[Notification]:
    return notify(
        users=_firm_users(reward.enterprise_id),
        title=title % {"rule": reward.rule.name},
        body=body,
        url=_url("firms:rewards"),
    )


def notify_firm_document(reward: Reward, document) -> list[Notification]:
    """The firm uploaded a paper of its reward: its county checks it before submitting."""
    with translation.override(settings.LANGUAGE_CODE):
        return notify(
            users=_county_officials(reward.jurisdiction_id),
            title=_("企业已上传奖励材料：%(enterprise)s") % {"enterprise": reward.enterprise.name},
            body=_("%(facts)s\n企业上传了“%(kind)s”：%(name)s")
            % {
                "facts": _reward_facts(reward),
                "kind": document.get_kind_display(),
                "name": document.original_name,
            },
            url=_reward_url(reward),
        )


def _latest_comment(reward: Reward, to_status: str) -> str:
    decision = (
        RewardDecision.objects.filter(reward=reward, to_status=to_status).order_by("-at", "-id").first()
    )
    return decision.comment.strip() if decision else ""


def _reward_facts(reward: Reward) -> str:
    return _("%(enterprise)s（%(jurisdiction)s）· %(rule)s · %(amount)s万元") % {
        "enterprise": reward.enterprise.name,
        "jurisdiction": reward.jurisdiction.name,
        "rule": reward.rule.name,
        "amount": wan(reward.amount),
    }


def notify_submitted(reward: Reward) -> list[Notification]:
    with translation.override(settings.LANGUAGE_CODE):
        return notify(
            users=_users(Role.TECH_REVIEWER),
            title=_("奖励申报待审核：%(enterprise)s") % {"enterprise": reward.enterprise.name},
            body=_("%(facts)s\n%(jurisdiction)s已提交申报，请审核。")
            % {"facts": _reward_facts(reward), "jurisdiction": reward.jurisdiction.name},
            url=_reward_url(reward),
        )


def _notify_county_of_decision(reward: Reward, *, title: str, status: str, label: str) -> list[Notification]:
    body = _reward_facts(reward)
    comment = _latest_comment(reward, status)
    if comment:
        body += "\n" + _("%(label)s：%(comment)s") % {"label": label, "comment": comment}
    return notify(
        users=_county_officials(reward.jurisdiction_id),
        title=title % {"enterprise": reward.enterprise.name},
        body=body,
        url=_reward_url(reward),
    )


def notify_returned(reward: Reward) -> list[Notification]:
    with translation.override(settings.LANGUAGE_CODE):
        return _notify_county_of_decision(
            reward,
            title=_("奖励申报被退回：%(enterprise)s"),
            status=Reward.Status.RETURNED,
            label=_("退回原因"),
        )


def notify_approved(reward: Reward) -> list[Notification]:
    with translation.override(settings.LANGUAGE_CODE):
        sent = _notify_county_of_decision(
            reward,
            title=_("奖励申报已批准：%(enterprise)s"),
            status=Reward.Status.APPROVED,
            label=_("审核意见"),
        )
        return sent + _notify_firm(
            reward,
            title=_("您的奖励已获批准：%(rule)s"),
            body=_("%(facts)s\n市科技局已批准，等待财政部门拨付。") % {"facts": _reward_facts(reward)},
        )


def notify_rejected(reward: Reward) -> list[Notification]:
    with translation.override(settings.LANGUAGE_CODE):
        sent = _notify_county_of_decision(
            reward,
            title=_("奖励申报不予奖励：%(enterprise)s"),
            status=Reward.Status.REJECTED,
            label=_("理由"),
        )
        reason = _latest_comment(reward, Reward.Status.REJECTED)
        body = _reward_facts(reward) + ("\n" + _("理由：%(reason)s") % {"reason": reason} if reason else "")
        return sent + _notify_firm(reward, title=_("您的奖励申报未获批准：%(rule)s"), body=body)


def _with_rewards(lines: Iterable[FundingLine]) -> list[FundingLine]:
    """The lines with their reward, enterprise, rule and jurisdiction read in a few queries."""
    related = ("reward__enterprise", "reward__rule", "reward__jurisdiction", "jurisdiction")
    if isinstance(lines, QuerySet):
        return list(lines.select_related(*related).order_by("reward_id", "source"))
    pks = sorted({line.pk for line in lines})
    out = []
    for start in range(0, len(pks), CHUNK):
        out.extend(
            FundingLine.objects.filter(pk__in=pks[start : start + CHUNK])
            .select_related(*related)
            .order_by("reward_id", "source")
        )
    return out


class _Recipients:
    """Users per (role, jurisdiction), each group read once however many messages go to it."""

    def __init__(self):
        self._cache: dict[tuple[str, int | None], list[User]] = {}

    def __call__(self, role: str, jurisdiction_id: int | None = None) -> list[User]:
        key = (role, jurisdiction_id)
        if key not in self._cache:
            self._cache[key] = list(_users(role, jurisdiction_id=jurisdiction_id))
        return self._cache[key]

    def load_firms(self, enterprise_ids) -> None:
        """Read the firm users of all ``enterprise_ids`` at once (a few queries, not one per reward)."""
        ids = sorted(set(enterprise_ids))
        self._firms: dict[int, list[User]] = defaultdict(list)
        for start in range(0, len(ids), CHUNK):
            for user in _users(Role.ENTERPRISE).filter(enterprise_id__in=ids[start : start + CHUNK]):
                self._firms[user.enterprise_id].append(user)

    def firm(self, enterprise_id: int) -> list[User]:
        return self._firms.get(enterprise_id, [])


def notify_paid(lines: Iterable[FundingLine]) -> list[Notification]:
    """One message per reward to the county officials of each paid line's jurisdiction."""
    by_reward: dict[int, list[FundingLine]] = defaultdict(list)
    for line in _with_rewards(lines):
        by_reward[line.reward_id].append(line)
    recipients = _Recipients()
    recipients.load_firms(group[0].reward.enterprise_id for group in by_reward.values())
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for reward_lines in by_reward.values():
            reward = reward_lines[0].reward
            shares = "；".join(
                _("%(share)s %(amount)s万元")
                % {"share": line.get_source_display(), "amount": wan(line.amount)}
                for line in reward_lines
            )
            body = _("%(facts)s\n已拨付：%(shares)s") % {"facts": _reward_facts(reward), "shares": shares}
            users = {
                u.pk: u
                for line in reward_lines
                for u in recipients(Role.COUNTY_OFFICIAL, line.jurisdiction_id)
            }
            messages.append(
                Message(
                    users=users.values(),
                    title=_("奖励资金已拨付：%(enterprise)s") % {"enterprise": reward.enterprise.name},
                    body=body,
                    url=_reward_url(reward),
                )
            )
            messages.append(
                Message(
                    users=recipients.firm(reward.enterprise_id),
                    title=_("您的奖励资金已拨付：%(rule)s") % {"rule": reward.rule.name},
                    body=body,
                    url=_url("firms:rewards"),
                )
            )
        return notify_many(messages)


def notify_lines_ready(lines: Iterable[FundingLine]) -> list[Notification]:
    """Tell finance that lines wait to be batched: city lines the city, county lines their county."""
    groups: dict[PayingOffice, list[FundingLine]] = defaultdict(list)
    for line in _with_rewards(lines):
        groups[office_paying(source=line.source, jurisdiction_id=line.jurisdiction_id)].append(line)
    recipients = _Recipients()
    url = _url("incentives:line_list")
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for office, group in groups.items():
            users = recipients(office.role, office.jurisdiction_id)
            payer = _("市级财政") if office.source == FundingSource.CITY else group[0].jurisdiction.name
            total = sum((line.amount for line in group), Decimal("0"))
            summary = _("%(n)s笔资金待编入拨付批次，共%(total)s万元") % {"n": len(group), "total": wan(total)}
            rows = "\n".join(
                _("%(enterprise)s · %(rule)s · %(amount)s万元")
                % {
                    "enterprise": line.reward.enterprise.name,
                    "rule": line.reward.rule.name,
                    "amount": wan(line.amount),
                }
                for line in group[:20]
            )
            more = len(group) - 20
            if more > 0:
                rows += "\n" + _("……另有%(n)s笔") % {"n": more}
            messages.append(
                Message(
                    users=users,
                    title=summary,
                    body=_("%(payer)s：%(summary)s。\n%(rows)s")
                    % {"payer": payer, "summary": summary, "rows": rows},
                    url=url,
                )
            )
        return notify_many(messages)
