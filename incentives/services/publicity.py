"""公示 before payment: the tech bureau publishes approved rewards for a notice period, records the
objections it receives, and decides them; finance pays a reward's lines only after its period.

- :func:`publicity_publish_batch`: the rewards of a payout batch's lines (those not yet published);
- :func:`publicity_publish_round`: an approval round, the approved rewards not yet published that were
  approved on the days given (or the reviewer's own selection of them);
- :func:`objection_record`: an objection received (by phone, letter, visit) to one entry. It may be
  recorded from the day of publication while the period runs and after it, for as long as none of the
  reward's money has been paid: until then an objection can still stop the money, so it is heard;
  once money has moved, a complaint is a matter for revocation and recovery (追回), not for the 公示;
- :func:`objection_resolve`: upheld, the reward is rejected with the reason (APPROVED → REJECTED, its
  unpaid lines cancelled; a line in a draft batch leaves the batch; a line in a locked batch stays
  linked to it but cancelled, as when a qualification is revoked: the sheet handed to the bank listed
  it, a locked batch is never unlocked, and a cancelled line is never paid nor counted in the batch's
  total); dismissed, the reward goes on and is payable once its period has ended.

The notice period: ``PUBLICITY_NOTICE_WORKING_DAYS`` working days (anyang_hte/core/workdays.py) after
the day of publication; it starts on the first of them and ends at the end of the last (``ends_on``).
The payment services refuse a line whose reward was never published, whose period has not ended on the
payment date, or that has an open objection (:func:`ensure_lines_published`, from ``payouts``).

Only the tech bureau (``Right.REWARD_REVIEW``) publishes and records or decides objections.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core import dates
from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import CITY_LEVEL, guard
from anyang_hte.core.roles import Right
from anyang_hte.core.workdays import add_working_days

from .. import notifications
from ..models import FundingLine, PayoutBatch, Publicity, PublicityEntry, PublicityObjection, Reward
from ..publicity_selectors import holds
from ..workflow import ensure_transition
from ._common import cancel_unpaid_lines, lock_reward, record_move

S = Reward.Status
L = FundingLine.Status
O = PublicityObjection.Status  # noqa: E741
SHOWN = 10  # how many rewards a refusal names


def _ensure_reviewer(by) -> None:
    guard(
        by,
        Right.REWARD_REVIEW,
        jurisdiction_id=CITY_LEVEL,
        reason=_("只有市科技局审核员可以发布公示和处理公示异议。"),
    )


def notice_period(published_on: datetime.date, working_days: int | None = None) -> tuple:
    """(starts_on, ends_on, n): the ``n`` working days after ``published_on``."""
    n = settings.PUBLICITY_NOTICE_WORKING_DAYS if working_days is None else working_days
    if n < 1:
        raise DomainError(_("公示期至少为 1 个工作日，请检查 PUBLICITY_NOTICE_WORKING_DAYS 设置。"))
    return add_working_days(published_on, 1), add_working_days(published_on, n), n


def _names(rewards: Iterable[Reward]) -> str:
    rewards = list(rewards)
    shown = "、".join(f"{r.enterprise.name}（{r.rule.name}）" for r in rewards[:SHOWN])
    if len(rewards) > SHOWN:
        shown += _("等 %(n)d 项") % {"n": len(rewards)}
    return shown


def _contact(unit, phone, address) -> tuple[str, str, str]:
    unit = (settings.PUBLICITY_CONTACT_UNIT if unit is None else unit).strip()
    phone = (settings.PUBLICITY_CONTACT_PHONE if phone is None else phone).strip()
    address = (settings.PUBLICITY_CONTACT_ADDRESS if address is None else address).strip()
    if not unit:
        raise DomainError(_("请填写受理异议的单位。"), field="contact_unit")
    if not phone:
        raise DomainError(_("请填写受理异议的联系电话。"), field="contact_phone")
    if len(unit) > 128 or len(phone) > 64 or len(address) > 200:
        raise DomainError(_("联系单位、电话或地址过长。"), field="contact_unit")
    return unit, phone, address


def _publish(
    *,
    rewards: list[Reward],
    title: str,
    by,
    kind: str,
    batch: PayoutBatch | None = None,
    approved_from=None,
    approved_to=None,
    contact_unit=None,
    contact_phone=None,
    contact_address=None,
) -> Publicity:
    """Publish ``rewards`` (locked by the caller, each checked here) in one publicity."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("请填写公示标题。"), field="title")
    if len(title) > 200:
        raise DomainError(_("公示标题过长（最多 200 字）。"), field="title")
    unit, phone, address = _contact(contact_unit, contact_phone, contact_address)
    if not rewards:
        raise DomainError(_("没有可以公示的奖励。"))
    not_approved = [r for r in rewards if r.status != S.APPROVED]
    if not_approved:
        raise DomainError(
            _("只有已批准、尚未拨付的奖励可以公示：%(names)s 不是“已批准”状态。")
            % {"names": _names(not_approved)}
        )
    published = set(PublicityEntry.objects.filter(reward__in=rewards).values_list("reward_id", flat=True))
    if published:
        raise DomainError(
            _("%(names)s 已经公示过，一项奖励只公示一次。")
            % {"names": _names(r for r in rewards if r.pk in published)}
        )
    paid = set(
        FundingLine.objects.filter(reward__in=rewards, status=L.PAID).values_list("reward_id", flat=True)
    )
    if paid:
        raise DomainError(
            _("%(names)s 已有资金拨付，不能再公示。") % {"names": _names(r for r in rewards if r.pk in paid)}
        )
    today = dates.today()
    starts_on, ends_on, n = notice_period(today)
    publicity = Publicity.objects.create(
        title=title,
        kind=kind,
        batch=batch,
        published_on=today,
        approved_from=approved_from,
        approved_to=approved_to,
        starts_on=starts_on,
        ends_on=ends_on,
        working_days=n,
        contact_unit=unit,
        contact_phone=phone,
        contact_address=address,
        published_by=by,
        published_at=timezone.now(),
    )
    ordered = sorted(
        rewards,
        key=lambda r: (r.jurisdiction.sort_order, r.jurisdiction.code, r.enterprise.name, r.rule.name, r.pk),
    )
    try:
        with transaction.atomic():
            PublicityEntry.objects.bulk_create(
                PublicityEntry(
                    publicity=publicity,
                    reward=reward,
                    enterprise_name=reward.enterprise.name,
                    jurisdiction_name=reward.jurisdiction.name,
                    rule_name=reward.rule.name,
                    amount=reward.amount,
                    position=position,
                )
                for position, reward in enumerate(ordered, start=1)
            )
    except IntegrityError:  # published at this moment by someone else (the one-to-one entry.reward)
        raise DomainError(_("其中有奖励刚刚被他人公示，请刷新后重试。")) from None
    audit_log(
        publicity,
        "incentives.publicity.published",
        by=by,
        data={
            "kind": kind,
            "batch": batch.pk if batch else None,
            "approved_from": approved_from.isoformat() if approved_from else None,
            "approved_to": approved_to.isoformat() if approved_to else None,
            "rewards": [r.pk for r in ordered],
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "working_days": n,
        },
    )
    return publicity


def _locked_rewards(ids: Iterable[int], by) -> list[Reward]:
    return list(
        Reward.objects.for_user(by)
        .select_for_update(of=("self",))
        .select_related("enterprise", "rule", "jurisdiction")
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
    )


@transaction.atomic
def publicity_publish_batch(
    *, batch: PayoutBatch, by, title: str = "", contact_unit=None, contact_phone=None, contact_address=None
) -> Publicity:
    """Publish the rewards of a batch's lines that are not published yet (another batch may have
    published the other share of a reward already)."""
    _ensure_reviewer(by)
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == PayoutBatch.Status.PAID:
        raise DomainError(_("批次“%(name)s”已全部拨付，不能再公示。") % {"name": batch.name})
    ids = set(batch.lines.filter(status=L.BATCHED).values_list("reward_id", flat=True))
    if not ids:
        raise DomainError(_("批次“%(name)s”中没有待拨付的资金明细，无需公示。") % {"name": batch.name})
    already = set(PublicityEntry.objects.filter(reward_id__in=ids).values_list("reward_id", flat=True))
    if already == ids:
        raise DomainError(
            _("批次“%(name)s”中的 %(n)d 项奖励均已公示过，无需再次公示。")
            % {"name": batch.name, "n": len(ids)}
        )
    rewards = _locked_rewards(ids - already, by)
    default = _("关于%(name)s拟奖励名单的公示") % {"name": batch.name}
    return _publish(
        rewards=rewards,
        title=title or default,
        by=by,
        kind=Publicity.Kind.BATCH,
        batch=batch,
        contact_unit=contact_unit,
        contact_phone=contact_phone,
        contact_address=contact_address,
    )


def round_candidates(*, approved_from: datetime.date, approved_to: datetime.date, by):
    """The approved rewards approved on these days (inclusive, local dates) and not yet published."""
    return (
        Reward.objects.for_user(by)
        .filter(
            status=S.APPROVED,
            approved_at__gte=dates.start_of(approved_from),
            approved_at__lt=dates.start_of(approved_to + datetime.timedelta(days=1)),
            publicity_entry__isnull=True,
        )
        .exclude(lines__status=L.PAID)
        .distinct()
    )


@transaction.atomic
def publicity_publish_round(
    *,
    approved_from: datetime.date,
    approved_to: datetime.date,
    by,
    title: str = "",
    rewards: Iterable | None = None,
    contact_unit=None,
    contact_phone=None,
    contact_address=None,
) -> Publicity:
    """Publish an approval round: every approved reward approved on these days and not yet published,
    or ``rewards`` (the reviewer's selection; each must be approved and not yet published)."""
    _ensure_reviewer(by)
    if not isinstance(approved_from, datetime.date):
        raise DomainError(_("请填写批准日期起。"), field="approved_from")
    if not isinstance(approved_to, datetime.date):
        raise DomainError(_("请填写批准日期止。"), field="approved_to")
    if approved_to < approved_from:
        raise DomainError(_("批准日期止不能早于批准日期起。"), field="approved_to")
    if approved_to > dates.today():
        raise DomainError(_("批准日期止不能晚于今天。"), field="approved_to")
    if rewards is None:
        ids = list(
            round_candidates(approved_from=approved_from, approved_to=approved_to, by=by).values_list(
                "pk", flat=True
            )
        )
        if not ids:
            raise DomainError(
                _("%(a)s 至 %(b)s 期间批准的奖励中没有尚未公示的。")
                % {"a": approved_from.isoformat(), "b": approved_to.isoformat()},
                field="approved_from",
            )
    else:
        ids = [r.pk if isinstance(r, Reward) else int(r) for r in rewards]
        if not ids:
            raise DomainError(_("请选择要公示的奖励。"))
    locked = _locked_rewards(ids, by)
    if len(locked) != len(set(ids)):
        raise DomainError(_("有奖励不存在或不在您的范围内。"))
    default = _("关于%(a)s至%(b)s批准的拟奖励名单的公示") % {
        "a": approved_from.isoformat(),
        "b": approved_to.isoformat(),
    }
    return _publish(
        rewards=locked,
        title=title or default,
        by=by,
        kind=Publicity.Kind.ROUND,
        approved_from=approved_from,
        approved_to=approved_to,
        contact_unit=contact_unit,
        contact_phone=contact_phone,
        contact_address=contact_address,
    )


# --- objections ------------------------------------------------------------------------------------


@transaction.atomic
def objection_record(
    *, entry: PublicityEntry, received_on: datetime.date, content: str, by, objector: str = ""
) -> PublicityObjection:
    """An objection to one entry, received on ``received_on``; it holds the reward's lines until it is
    decided. Refused once any of the reward's money has been paid (see the module's docstring)."""
    _ensure_reviewer(by)
    content = (content or "").strip()
    objector = (objector or "").strip()
    if not content:
        raise DomainError(_("请填写异议内容。"), field="content")
    if len(objector) > 128:
        raise DomainError(_("异议人过长（最多 128 字）。"), field="objector")
    if not isinstance(received_on, datetime.date) or isinstance(received_on, datetime.datetime):
        raise DomainError(_("请填写收到异议的日期。"), field="received_on")
    entry = PublicityEntry.objects.select_related("publicity").get(pk=entry.pk)
    reward, lines = lock_reward(entry.reward)
    published_on = entry.publicity.published_on
    if received_on < published_on:
        raise DomainError(
            _("收到日期不能早于公示发布日期（%(d)s）。") % {"d": published_on.isoformat()},
            field="received_on",
        )
    if received_on > dates.today():
        raise DomainError(_("收到日期不能晚于今天。"), field="received_on")
    if any(line.status == L.PAID for line in lines):
        raise DomainError(
            _("该奖励已有资金拨付，公示异议不能再登记；如需撤销奖励，请按撤销资质和追回程序办理。")
        )
    if reward.status != S.APPROVED:
        raise DomainError(
            _("该奖励当前状态为“%(s)s”，不在待拨付中，无需登记异议。") % {"s": reward.get_status_display()}
        )
    objection = PublicityObjection.objects.create(
        entry=entry, received_on=received_on, objector=objector, content=content, recorded_by=by
    )
    audit_log(
        objection,
        "incentives.publicity.objection_recorded",
        by=by,
        data={
            "publicity": entry.publicity_id,
            "reward": reward.pk,
            "received_on": received_on.isoformat(),
            "objector": objector,
            "content": content,
            "after_period": received_on > entry.publicity.ends_on,
        },
    )
    return objection


@transaction.atomic
def objection_resolve(*, objection: PublicityObjection, upheld: bool, reason: str, by) -> PublicityObjection:
    """Decide an open objection. Upheld: the reward is rejected with ``reason`` (its unpaid lines
    cancelled; the entry's other open objections are decided with it). Dismissed: the reward goes on."""
    _ensure_reviewer(by)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写处理理由。"), field="reason")
    objection = PublicityObjection.objects.select_for_update().get(pk=objection.pk)
    if objection.status != O.OPEN:
        raise DomainError(_("该异议已处理（%(s)s），不能重复处理。") % {"s": objection.get_status_display()})
    entry = PublicityEntry.objects.get(pk=objection.entry_id)
    reward, lines = lock_reward(entry.reward)
    now = timezone.now()
    if not upheld:
        objection.status, objection.resolution = O.DISMISSED, reason
        objection.resolved_by, objection.resolved_at = by, now
        objection.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        audit_log(
            objection,
            "incentives.publicity.objection_dismissed",
            by=by,
            data={"reward": reward.pk, "reason": reason},
        )
        return objection
    if any(line.status == L.PAID for line in lines):  # an open objection holds payment: not expected
        raise DomainError(_("该奖励已有资金拨付，不能再据异议不予奖励；请按追回程序办理。"))
    ensure_transition(reward, to=S.REJECTED)
    batches = {line.batch_id for line in lines if line.batch_id and line.status == L.BATCHED}
    from .payouts import ensure_not_paying  # payouts imports this module (its payment guard)

    for batch in PayoutBatch.objects.filter(pk__in=batches).order_by("pk"):
        ensure_not_paying(batch)
    comment = _("公示异议成立：%(r)s") % {"r": reason}
    cancelled = cancel_unpaid_lines(lines, by=by, reason=comment)
    before = record_move(reward, S.REJECTED, by=by, comment=comment)
    reward.save(update_fields=["status", "updated_at"])
    others = list(
        PublicityObjection.objects.select_for_update()
        .filter(entry=entry, status=O.OPEN)
        .exclude(pk=objection.pk)
        .order_by("pk")
    )
    for item in [objection, *others]:
        item.status, item.resolved_by, item.resolved_at = O.UPHELD, by, now
        along = _("与同一条目的异议一并成立：%(r)s") % {"r": reason}
        item.resolution = reason if item.pk == objection.pk else along
        item.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    audit_log(
        objection,
        "incentives.publicity.objection_upheld",
        by=by,
        data={"reward": reward.pk, "reason": reason, "also": [o.pk for o in others]},
    )
    audit_log(
        reward,
        "incentives.reward.rejected",
        by=by,
        data={"from": before, "reason": comment, "objection": objection.pk, "lines": cancelled},
    )
    notifications.notify_rejected(reward)
    return objection


# --- the payment guard -----------------------------------------------------------------------------


def ensure_lines_published(lines: list[FundingLine], *, paid_on: datetime.date) -> None:
    """Refuse paying ``lines`` on ``paid_on`` when any one's reward was never published, its notice
    period has not ended by then, or an objection on it is open; the reason names the first such line
    (its enterprise, the day the period ends or the objection) and how many more there are."""
    held = holds({line.reward_id for line in lines}, paid_on=paid_on)
    if not held:
        return
    stopped = [line for line in lines if line.reward_id in held]
    first = stopped[0]
    name = Reward.objects.filter(pk=first.reward_id).values_list("enterprise__name", flat=True).first()
    hold = held[first.reward_id]
    message = _("资金明细 %(line)s（%(firm)s）不能拨付：%(reason)s。") % {
        "line": first.pk,
        "firm": name,
        "reason": hold.reason,
    }
    if len(stopped) > 1:
        message += _("另有 %(n)d 笔资金明细同样不能拨付，请在批次页查看各笔的公示状态。") % {
            "n": len(stopped) - 1
        }
    raise DomainError(message, field=hold.field)
