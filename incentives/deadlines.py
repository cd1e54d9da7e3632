"""The time limits of a reward's steps, and which rewards and funding lines are overdue.

Each step has one limit (``anyang_hte.core.models.TimeLimit``, kept in the admin) and one clock:

| reward status | step | clock starts | owner |
|---|---|---|---|
| 待申报 (generated) | the county submits | the reward generated | the county's officials |
| 已退回 (returned) | the county resubmits | the last return | the county's officials |
| 待审核 (submitted) | the bureau reviews | the submission | the bureau's reviewers |
| 已批准 (approved) | finance pays each unpaid line | the approval | the office paying the line |

A line (approved or in a batch, not yet paid) is the finance office's item (``funding.office_paying``
says whose); its reward is counted once as 拨付超期 in the reward list and on the dashboard.
"""

import datetime

from django.db.models import DateTimeField, OuterRef, Q, QuerySet, Subquery

from anyang_hte.core.dates import start_of
from anyang_hte.core.models import TimeLimit
from anyang_hte.core.workdays import Deadlines, DeadlineState

from .models import FundingLine, Reward, RewardDecision

S = Reward.Status
Code = TimeLimit.Code

# the step whose clock runs in each reward status
STEP_OF_STATUS = {
    S.GENERATED: Code.REWARD_SUBMIT,
    S.RETURNED: Code.REWARD_SUBMIT,
    S.SUBMITTED: Code.REWARD_REVIEW,
    S.APPROVED: Code.LINE_PAYMENT,
}
OPEN_LINE = (FundingLine.Status.APPROVED, FundingLine.Status.BATCHED)

# The reward list's 超期 filter: its values and which steps each takes.
OVERDUE_ANY = "any"
OVERDUE_STEPS = {
    OVERDUE_ANY: tuple(dict.fromkeys(STEP_OF_STATUS.values())),
    "submit": (Code.REWARD_SUBMIT,),
    "review": (Code.REWARD_REVIEW,),
    "payment": (Code.LINE_PAYMENT,),
}
STEP_FILTER_VALUE = {Code.REWARD_SUBMIT: "submit", Code.REWARD_REVIEW: "review", Code.LINE_PAYMENT: "payment"}


def with_clock(qs: QuerySet) -> QuerySet:
    """Rewards with ``returned_at``: when the last return happened (the clock of a returned reward)."""
    last_return = (
        RewardDecision.objects.filter(reward=OuterRef("pk"), to_status=S.RETURNED)
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    return qs.annotate(returned_at=Subquery(last_return, output_field=DateTimeField()))


def clock_start(reward: Reward) -> datetime.datetime | None:
    """When the clock of ``reward``'s current step started (None: no step with a limit is open)."""
    if reward.status == S.GENERATED:
        return reward.created_at
    if reward.status == S.RETURNED:
        return getattr(reward, "returned_at", None) or reward.updated_at
    if reward.status == S.SUBMITTED:
        return reward.submitted_at
    if reward.status == S.APPROVED:
        return reward.approved_at
    return None


def reward_state(reward: Reward, deadlines: Deadlines) -> DeadlineState | None:
    step, start = STEP_OF_STATUS.get(reward.status), clock_start(reward)
    if step is None or start is None:
        return None
    return deadlines.state(step, start)


def line_state(line: FundingLine, deadlines: Deadlines) -> DeadlineState | None:
    if line.status not in OPEN_LINE or line.reward.approved_at is None:
        return None
    return deadlines.state(Code.LINE_PAYMENT, line.reward.approved_at)


def overdue_parts(deadlines: Deadlines, steps=OVERDUE_STEPS[OVERDUE_ANY]) -> list[Q]:
    """One condition per reward status whose open step among ``steps`` is overdue (rewards annotated by
    :func:`with_clock`), each "that status, its clock started before the overdue day".

    The day is a range of the stored time (``start_of``), which the status-and-time indexes serve; a
    cast to the local date would read every reward of the status."""
    parts = []
    if Code.REWARD_SUBMIT in steps:
        before = start_of(deadlines.overdue_before(Code.REWARD_SUBMIT))
        parts.append(Q(status=S.GENERATED, created_at__lt=before))
        parts.append(Q(status=S.RETURNED, returned_at__lt=before))
    if Code.REWARD_REVIEW in steps:
        parts.append(
            Q(status=S.SUBMITTED, submitted_at__lt=start_of(deadlines.overdue_before(Code.REWARD_REVIEW)))
        )
    if Code.LINE_PAYMENT in steps:
        parts.append(
            Q(status=S.APPROVED, approved_at__lt=start_of(deadlines.overdue_before(Code.LINE_PAYMENT)))
        )
    return parts


def overdue_q(deadlines: Deadlines, steps=OVERDUE_STEPS[OVERDUE_ANY]) -> Q:
    """Rewards (annotated by :func:`with_clock`) whose open step among ``steps`` is overdue."""
    q = Q(pk__in=[])
    for part in overdue_parts(deadlines, steps):
        q |= part
    return q


def overdue_rewards(qs: QuerySet, deadlines: Deadlines, steps=OVERDUE_STEPS[OVERDUE_ANY]) -> QuerySet:
    return with_clock(qs).filter(overdue_q(deadlines, steps))


def payment_overdue_approved_to(deadlines: Deadlines) -> datetime.date:
    """The last approval date of a line whose payment is overdue today (the line list's 只看超期 is the
    批准日期止 filter at this date, so the batch made from the filtered lines holds exactly those)."""
    return deadlines.overdue_before(Code.LINE_PAYMENT) - datetime.timedelta(days=1)


def overdue_lines(qs: QuerySet, deadlines: Deadlines) -> QuerySet:
    """Unpaid lines (approved or in a batch) whose payment is overdue."""
    return qs.filter(
        status__in=OPEN_LINE, reward__approved_at__lt=start_of(deadlines.overdue_before(Code.LINE_PAYMENT))
    )
