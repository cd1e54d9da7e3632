"""Overdue items (超期事项) across the apps: the dashboard's counts per kind and county, and who is reminded.

Four kinds, each a time limit (``anyang_hte.core.models.TimeLimit``) of one step, its items, their
owner and the queue filtered to them:

- 申报超期: rewards 待申报 or 已退回; the county's officials; 奖励兑现 ``?overdue=submit``;
- 审核超期: rewards 待审核; the bureau's reviewers; 奖励兑现 ``?status=submitted&overdue=review``;
- 拨付超期: rewards 已批准 (per unpaid line); the finance office paying the line; 奖励兑现
  ``?overdue=payment`` (the finance office's own queue: 待拨付资金 ``?overdue=1``);
- 填报确认超期: firm submissions 待县区确认; the county's officials; 企业填报 ``?status=submitted&overdue=1``.

Counts go through the models' scopes (``for_user``), so a county sees its own items only. The daily
reminder (``services.deadline_reminders_send``) tells each owner of an overdue item once a day.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.expressions import CountRows
from anyang_hte.core.models import Jurisdiction, TimeLimit, User
from anyang_hte.core.roles import Right, Role, has_right
from anyang_hte.core.scope import scope_enterprises
from anyang_hte.core.workdays import Deadlines
from enterprises.deadlines import overdue_submissions, submission_state
from enterprises.models import FirmSubmission
from incentives import deadlines as reward_limits
from incentives.funding import FundingSource, office_paying
from incentives.models import FundingLine, Reward

Code = TimeLimit.Code
MAX_LISTED = 20  # items named in one reminder; the rest are counted


@dataclass(frozen=True)
class Kind:
    code: str  # the TimeLimit's code
    key: str  # the URL word and template key
    label: str
    owner: str
    right: str  # what the viewer needs to open the queue


KINDS = (
    Kind(
        Code.REWARD_SUBMIT,
        "submit",
        gettext_lazy("申报超期"),
        gettext_lazy("县区科技部门"),
        Right.REWARD_VIEW,
    ),
    Kind(Code.REWARD_REVIEW, "review", gettext_lazy("审核超期"), gettext_lazy("市科技局"), Right.REWARD_VIEW),
    Kind(Code.LINE_PAYMENT, "payment", gettext_lazy("拨付超期"), gettext_lazy("财政部门"), Right.REWARD_VIEW),
    Kind(
        Code.SUBMISSION_CONFIRM,
        "confirm",
        gettext_lazy("填报确认超期"),
        gettext_lazy("县区科技部门"),
        Right.LEDGER_EDIT,
    ),
)
KIND_BY_CODE = {k.code: k for k in KINDS}


def queue_url(kind: Kind, jurisdiction_id: int | None = None, *, for_user=None) -> str:
    """The queue of ``kind`` filtered to its overdue items (of one county, for a city-wide viewer)."""
    params = {}
    if kind.code == Code.SUBMISSION_CONFIRM:
        path, params = reverse("enterprises:submissions"), {"status": FirmSubmission.Status.SUBMITTED}
        params["overdue"] = "1"
    else:
        path = reverse("incentives:reward_list")
        if kind.code == Code.REWARD_REVIEW:
            params["status"] = Reward.Status.SUBMITTED
        params["overdue"] = kind.key
    if jurisdiction_id and not (for_user is not None and for_user.is_jurisdiction_bound):
        params["jurisdiction"] = jurisdiction_id
    return f"{path}?{urlencode(params)}"


def _rewards(user, deadlines: Deadlines, code: str):
    return reward_limits.overdue_rewards(Reward.objects.for_user(user), deadlines, (code,))


def _reward_parts(user, deadlines: Deadlines, code: str):
    """The overdue rewards of the step ``code`` in ``user``'s scope, one queryset per reward status: each
    is counted on its own (an index range), which a count of their OR would not be."""
    mine = reward_limits.with_clock(Reward.objects.for_user(user))
    return [mine.filter(part) for part in reward_limits.overdue_parts(deadlines, (code,))]


def _submissions(user, deadlines: Deadlines):
    qs = FirmSubmission.objects.all()
    return overdue_submissions(scope_enterprises(qs, user, enterprise_field="enterprise_id"), deadlines)


# A county's count of one kind stops here ("1000+"): the panel is a call to act, the queue behind the
# number lists every item; counting stops so that the dashboard reads at most this many index entries
# per county and kind, however many items are overdue (a province's backlog included).
OVERDUE_COUNT_CAP = 1000


def _counts(user, deadlines: Deadlines, jurisdiction_ids: Iterable[int]) -> dict[str, dict[int, int]]:
    """{kind code: {jurisdiction id: overdue items}} within ``user``'s scope: per county and reward status
    a count that stops past ``OVERDUE_COUNT_CAP`` (a value over it means "more than the cap"), one query per
    reward status (a capped count per county in it), each reading only the county column of the
    status-county-time indexes."""
    ids = list(jurisdiction_ids)
    counts: dict[str, dict[int, int]] = {}
    for kind in KINDS:
        if kind.code == Code.SUBMISSION_CONFIRM:
            parts = [(_submissions(user, deadlines), "enterprise__jurisdiction_id")]
        else:
            parts = [(qs, "jurisdiction_id") for qs in _reward_parts(user, deadlines, kind.code)]
        counted = counts[kind.code] = dict.fromkeys(ids, 0)
        for qs, field in parts:
            capped = qs.filter(**{field: OuterRef("pk")}).order_by().values(field)[: OVERDUE_COUNT_CAP + 1]
            rows = (
                Jurisdiction.objects.filter(pk__in=ids).annotate(n=CountRows(capped)).values_list("pk", "n")
            )
            for pk, n in rows.order_by():
                counted[pk] = min(OVERDUE_COUNT_CAP + 1, counted[pk] + n)
    return counts


def _cell(n: int) -> tuple[int, bool]:
    """(the number shown, whether it is "more than")."""
    return (OVERDUE_COUNT_CAP, True) if n > OVERDUE_COUNT_CAP else (n, False)


def overdue_table(
    user, deadlines: Deadlines | None = None, *, jurisdictions: Iterable[Jurisdiction] | None = None
):
    """The dashboard's 超期事项: a row per county (those given, else every county in scope), a cell per
    kind with its count and the link to the filtered queue (when ``user`` may open it), and the totals."""
    deadlines = deadlines or Deadlines.load()
    if jurisdictions is None:
        jurisdictions = Jurisdiction.objects.all()
        if user.is_jurisdiction_bound:
            jurisdictions = jurisdictions.filter(pk=user.jurisdiction_id)
    jurisdictions = list(jurisdictions)
    counts = _counts(user, deadlines, [j.pk for j in jurisdictions])
    rows = []
    for juris in jurisdictions:
        cells = []
        for kind in KINDS:
            n, more = _cell(counts[kind.code].get(juris.pk, 0))
            url = queue_url(kind, juris.pk, for_user=user) if n and has_right(user, kind.right) else ""
            cells.append({"kind": kind, "n": n, "more": more, "url": url})
        rows.append(
            {
                "jurisdiction": juris,
                "cells": cells,
                "total": sum(c["n"] for c in cells),
                "more": any(c["more"] for c in cells),
            }
        )
    totals = []
    for i, kind in enumerate(KINDS):
        n = sum(r["cells"][i]["n"] for r in rows)
        url = queue_url(kind, for_user=user) if n and has_right(user, kind.right) else ""
        totals.append({"kind": kind, "n": n, "more": any(r["cells"][i]["more"] for r in rows), "url": url})
    return {
        "kinds": KINDS,
        "rows": rows,
        "totals": totals,
        "total": sum(t["n"] for t in totals),
        "more": any(t["more"] for t in totals),
        "cap": OVERDUE_COUNT_CAP,
        "limits": [{"kind": kind, "limit": deadlines.limits[kind.code]} for kind in KINDS],
        "today": deadlines.today,
    }


# --- the daily reminder ------------------------------------------------------------------------


@dataclass
class Reminder:
    user: User
    kind: Kind
    items: list[str]
    url: str


def _describe(name: str, what: str, label: str) -> str:
    return f"{name} · {what} · {label}"


def reminders_due(deadlines: Deadlines, *, by) -> list[Reminder]:
    """Who has overdue items today, per kind: one reminder per (user, kind) listing them. ``by`` (the
    daily task, or the bureau running it by hand) reads every county's items; each owner is told only
    of their own."""
    system = by
    found: dict[tuple[int, str], Reminder] = {}

    def add(users, kind: Kind, item: str, url: str):
        for user in users:
            reminder = found.setdefault((user.pk, kind.code), Reminder(user, kind, [], url))
            reminder.items.append(item)

    officials = _users_by_jurisdiction(Role.COUNTY_OFFICIAL)
    reviewers = list(User.objects.filter(role=Role.TECH_REVIEWER, is_active=True).order_by("pk"))
    city_finance = list(User.objects.filter(role=Role.CITY_FINANCE, is_active=True).order_by("pk"))
    county_finance = _users_by_jurisdiction(Role.COUNTY_FINANCE)

    submit, review = KIND_BY_CODE[Code.REWARD_SUBMIT], KIND_BY_CODE[Code.REWARD_REVIEW]
    for code, kind in ((Code.REWARD_SUBMIT, submit), (Code.REWARD_REVIEW, review)):
        rewards = _rewards(system, deadlines, code).select_related("enterprise", "rule").order_by("pk")
        for reward in rewards:
            state = reward_limits.reward_state(reward, deadlines)
            item = _describe(reward.enterprise.name, reward.rule.name, state.label)
            users = officials.get(reward.jurisdiction_id, []) if code == Code.REWARD_SUBMIT else reviewers
            add(users, kind, item, queue_url(kind))

    payment = KIND_BY_CODE[Code.LINE_PAYMENT]
    lines = reward_limits.overdue_lines(FundingLine.objects.all(), deadlines).select_related(
        "reward__enterprise", "reward__rule"
    )
    for line in lines.order_by("pk"):
        office = office_paying(source=line.source, jurisdiction_id=line.jurisdiction_id)
        users = (
            city_finance
            if office.source == FundingSource.CITY
            else county_finance.get(line.jurisdiction_id, [])
        )
        state = reward_limits.line_state(line, deadlines)
        what = f"{line.reward.rule.name}（{line.get_source_display()}）"
        add(
            users,
            payment,
            _describe(line.reward.enterprise.name, what, state.label),
            reverse("incentives:line_list") + "?overdue=1",
        )

    confirm = KIND_BY_CODE[Code.SUBMISSION_CONFIRM]
    for submission in _submissions(system, deadlines).select_related("enterprise").order_by("pk"):
        state = submission_state(submission, deadlines)
        what = submission.get_kind_display() + (f"（{submission.year}）" if submission.year else "")
        add(
            officials.get(submission.enterprise.jurisdiction_id, []),
            confirm,
            _describe(submission.enterprise.name, what, state.label),
            queue_url(confirm),
        )
    return sorted(found.values(), key=lambda r: (r.user.pk, [k.code for k in KINDS].index(r.kind.code)))


def reminder_text(reminder: Reminder) -> tuple[str, str]:
    """The reminder's title and body."""
    n = len(reminder.items)
    title = _("超期提醒：%(n)d 项%(kind)s") % {"n": n, "kind": reminder.kind.label}
    listed = reminder.items[:MAX_LISTED]
    lines = [_("以下事项已超过办理时限，请尽快办理：")] + [f"· {item}" for item in listed]
    if n > len(listed):
        lines.append(_("……等共 %(n)d 项。") % {"n": n})
    lines.append(_("办理完毕后不再提醒；未办理的，每天提醒一次。"))
    return title, "\n".join(lines)


def _users_by_jurisdiction(role: str) -> dict[int, list[User]]:
    users: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(role=role, is_active=True, jurisdiction__isnull=False).order_by("pk"):
        users[user.jurisdiction_id].append(user)
    return users
