"""Reads of 公示 before payment: which rewards may be paid on a day, a line's 公示 state for the batch
page, and the public pages' lists.

A reward's lines may be paid on ``paid_on`` when the reward was published (``PublicityEntry``), its
notice period has ended (``paid_on`` after ``Publicity.ends_on``: the period ends at the end of that day)
and no objection on it is open. :func:`holds` answers this for many rewards in a few queries per chunk,
so the payment of a ten-thousand-line batch checks it in bulk.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Publicity, PublicityEntry, PublicityObjection

CHUNK = 900
ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Hold:
    """Why a reward's lines cannot be paid on a day (``kind``: unpublished, period, objection)."""

    kind: str
    reason: str
    field: str | None = None


def _day(day: datetime.date) -> str:
    return date_format(day, "Y-m-d")


def holds(reward_ids: Iterable[int], *, paid_on: datetime.date) -> dict[int, Hold]:
    """For each reward that may not be paid on ``paid_on``, why; rewards that may be paid are absent."""
    ids = sorted(set(reward_ids))
    ends: dict[int, datetime.date] = {}
    objections: dict[int, datetime.date] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        ends.update(
            PublicityEntry.objects.filter(reward_id__in=chunk).values_list("reward_id", "publicity__ends_on")
        )
        for reward_id, received_on in PublicityObjection.objects.filter(
            entry__reward_id__in=chunk, status=PublicityObjection.Status.OPEN
        ).values_list("entry__reward_id", "received_on"):
            objections.setdefault(reward_id, received_on)
    out = {}
    for reward_id in ids:
        if reward_id not in ends:
            out[reward_id] = Hold("unpublished", _("奖励尚未公示，须经公示且公示期满后方可拨付"))
        elif reward_id in objections:
            out[reward_id] = Hold(
                "objection",
                _("奖励有未处理的公示异议（%(d)s 收到），异议处理完毕前不能拨付")
                % {"d": _day(objections[reward_id])},
            )
        elif paid_on <= ends[reward_id]:
            end = ends[reward_id]
            out[reward_id] = Hold(
                "period",
                _("奖励公示期至 %(end)s 结束，%(next)s 起方可拨付（拨付日期须晚于公示结束日期）")
                % {"end": _day(end), "next": _day(end + ONE_DAY)},
                field="paid_on",
            )
    return out


@dataclass(frozen=True)
class LineState:
    """A batch line's 公示 state for the batch page."""

    label: str
    css: str
    payable: bool
    reason: str = ""


def line_states(lines: list, *, today: datetime.date) -> dict[int, LineState]:
    """Per line (the batch page's), its 公示 state today: 未公示, 公示中 (until …), 有异议, 公示期满."""
    reward_ids = {line.reward_id for line in lines}
    held = holds(reward_ids, paid_on=today)
    ends = dict(
        PublicityEntry.objects.filter(reward_id__in=reward_ids).values_list("reward_id", "publicity__ends_on")
    )
    out = {}
    for line in lines:
        hold = held.get(line.reward_id)
        if hold is None:
            state = LineState(_("公示期满"), "text-bg-success", True)
        elif hold.kind == "unpublished":
            state = LineState(_("未公示"), "text-bg-secondary", False, hold.reason)
        elif hold.kind == "objection":
            state = LineState(_("有异议"), "text-bg-danger", False, hold.reason)
        else:
            label = _("公示中（至 %(end)s）") % {"end": _day(ends[line.reward_id])}
            state = LineState(label, "text-bg-warning", False, hold.reason)
        out[line.pk] = state
    return out


def reward_state(reward, *, today: datetime.date) -> LineState:
    """The reward's 公示 state today (its detail page), as a batch line's."""

    return line_states([SimpleNamespace(pk=0, reward_id=reward.pk)], today=today)[0]


def publicities_for_staff() -> QuerySet:
    """Every publicity, newest first, with its counts (entries, open objections): one query."""
    return Publicity.objects.select_related("batch", "published_by").annotate(
        entry_count=Count("entries", distinct=True),
        open_objections=Count(
            "entries__objections",
            filter=Q(entries__objections__status=PublicityObjection.Status.OPEN),
            distinct=True,
        ),
    )


def publicity_entries(publicity: Publicity) -> QuerySet:
    """The entries in their published order, with the reward's status and the objections (staff page)."""
    return (
        publicity.entries.select_related("reward")
        .prefetch_related(
            Prefetch(
                "objections",
                queryset=PublicityObjection.objects.select_related("recorded_by", "resolved_by"),
            )
        )
        .order_by("position")
    )


def public_publicities(*, today: datetime.date) -> tuple[list, list]:
    """The public list: (current, past). Current = its period has not ended (the latest ending first)."""
    rows = list(
        Publicity.objects.annotate(entry_count=Count("entries")).order_by("-ends_on", "-published_at", "-id")
    )
    current = [p for p in rows if p.ends_on >= today]
    past = [p for p in rows if p.ends_on < today]
    return current, past


def public_entries(publicity: Publicity) -> list:
    """The entries as the public page shows them (snapshot fields only, and whether it was withdrawn)."""
    return list(
        publicity.entries.order_by("position").values(
            "position", "enterprise_name", "jurisdiction_name", "rule_name", "amount", "reward__status"
        )
    )
