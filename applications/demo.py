"""Demo data for the application round: ``seed_rounds()`` after the ledger and the accounts are seeded.

    from applications.demo import seed_rounds
    seed_rounds()  # or seed_rounds(today=datetime.date(2026, 11, 30))

It needs the demo ledger (``enterprises.demo.seed_demo_ledger``: enterprises in several counties) and
the demo accounts (a 市科技局 reviewer and the county officials, ``ensure_demo_accounts``); it picks
firms that are not certified HTEs, preferring the ones whose verdict is 符合. It writes, idempotently
(nothing when a round of the year exists):

- the **current year's open round**, its dates relative to ``today`` so the demo always has an open
  stage: intentions until today + 14 days, county recommendations until + 28, the city's review until
  + 45; entries at every step (意向, 县区推荐, 县区暂缓, 初审通过, 初审退回, 已撤回), each with its moves;
- **last year's closed round** with outcomes: certified, not certified (专家评审未通过, 公示异议, with
  words), returned per condition and held.

Rows are written directly with their history (moves back-dated), as a round lived through would have
left them; no notification is sent.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from anyang_hte.core.dates import today as portal_today
from anyang_hte.core.models import User
from anyang_hte.core.roles import Role
from enterprises.models import Enterprise, QualificationKind, Stage

from .models import ApplicationRound, RoundEntry, RoundMove

S = RoundEntry.Status

# (path of states after the intention, reason, reasons per condition, outcome reason)
CURRENT = [
    ([], "", {}, ""),
    ([], "", {}, ""),
    ([S.RECOMMENDED], "", {}, ""),
    ([S.RECOMMENDED], "", {}, ""),
    ([S.HELD], "研发费用辅助账尚未建立，建议明年申报", {}, ""),
    ([S.RECOMMENDED, S.PASSED], "", {}, ""),
    ([S.RECOMMENDED, S.PASSED], "", {}, ""),
    (
        [S.RECOMMENDED, S.RETURNED],
        "",
        {"ip": "所列专利与主营产品关联性不足", "rd_ratio": "近三年研发费用占比3.1%，未达4%"},
        "",
    ),
    ([S.WITHDRAWN], "企业决定明年申报", {}, ""),
]
LAST_YEAR = [
    ([S.RECOMMENDED, S.PASSED, S.CERTIFIED], "", {}, ""),
    ([S.RECOMMENDED, S.PASSED, S.CERTIFIED], "", {}, ""),
    ([S.RECOMMENDED, S.PASSED, S.NOT_CERTIFIED], "创新能力评价得分68分", {}, "expert_review"),
    ([S.RECOMMENDED, S.PASSED, S.NOT_CERTIFIED], "公示期间收到知识产权权属异议", {}, "objection"),
    ([S.RECOMMENDED, S.RETURNED], "", {"hightech_revenue": "高新技术产品收入占比52%，未达60%"}, ""),
    ([S.HELD], "科技人员占比不足10%", {}, ""),
]


def _candidates(count: int, exclude: set[int]) -> list[Enterprise]:
    qs = (
        Enterprise.objects.exclude(
            stage__in=[Stage.HTE, Stage.LITTLE_GIANT, Stage.LEADING, Stage.LG_CULTIVATION]
        )
        .exclude(pk__in=exclude)
        .order_by("-hte_ready", "jurisdiction__sort_order", "pk")
    )
    # spread over the counties: take in turn from each
    by_county: dict[int, list[Enterprise]] = {}
    for e in qs[: count * 12]:
        by_county.setdefault(e.jurisdiction_id, []).append(e)
    picked: list[Enterprise] = []
    while len(picked) < count and any(by_county.values()):
        for firms in by_county.values():
            if firms and len(picked) < count:
                picked.append(firms.pop(0))
    return picked


def _certified_in(year: int, count: int, exclude: set[int]) -> list[Enterprise]:
    """Firms the ledger shows certified HTE in ``year``: a round's 认定 entries are theirs, so the round
    and the ledger tell the same story."""
    return list(
        Enterprise.objects.filter(
            qualifications__kind=QualificationKind.HTE,
            qualifications__granted_on__year=year,
            qualifications__granted_elsewhere=False,
            qualifications__revoked_on__isnull=True,
        )
        .exclude(pk__in=exclude)
        .distinct()
        .order_by("jurisdiction__sort_order", "pk")[:count]
    )


def _actor(to: str, enterprise: Enterprise, reviewer):
    if to in (S.PASSED, S.RETURNED, S.CERTIFIED, S.NOT_CERTIFIED):
        return reviewer
    return User.objects.filter(role=Role.COUNTY_OFFICIAL, jurisdiction_id=enterprise.jurisdiction_id).first()


def _seed(round_: ApplicationRound, plan, reviewer, start: datetime.datetime, exclude: set[int]) -> int:
    certified = [row for row in plan if row[0] and row[0][-1] == S.CERTIFIED]
    others = [row for row in plan if not (row[0] and row[0][-1] == S.CERTIFIED)]
    firms = _certified_in(round_.year, len(certified), exclude)
    plan = certified[: len(firms)] + others  # without certificates in the ledger that year: no 认定 rows
    firms += _candidates(len(others), exclude | {e.pk for e in firms})
    for index, (enterprise, (path, reason, reasons, outcome)) in enumerate(zip(firms, plan, strict=False)):
        exclude.add(enterprise.pk)
        county = _actor(S.INTENTION, enterprise, reviewer)
        at = start + datetime.timedelta(hours=index)
        entry = RoundEntry.objects.create(
            round=round_,
            enterprise=enterprise,
            status=path[-1] if path else S.INTENTION,
            declared_by=county,
            declared_at=at,
            on_behalf=True,
            reason=reason,
            reasons=reasons,
            outcome_reason=outcome,
        )
        RoundMove.objects.create(entry=entry, from_status="", to_status=S.INTENTION, by=county, at=at)
        before = S.INTENTION
        for step, to in enumerate(path, start=1):
            last = step == len(path)
            RoundMove.objects.create(
                entry=entry,
                from_status=before,
                to_status=to,
                by=_actor(to, enterprise, reviewer),
                at=at + datetime.timedelta(days=7 * step),
                reason=reason if last else "",
                reasons=reasons if last else {},
                outcome_reason=outcome if last else "",
            )
            before = to
    return len(firms)


@transaction.atomic
def seed_rounds(*, today: datetime.date | None = None, keep_free=()) -> dict[str, int]:
    """The current year's open round and last year's closed one (see the module doc); entries per round.
    ``keep_free``: enterprises left out of both rounds (the demo firm account declares for itself)."""
    today = today or portal_today()
    reviewer = User.objects.filter(role=Role.TECH_REVIEWER).order_by("pk").first()
    seeded: dict[str, int] = {}
    exclude: set[int] = set(keep_free)
    last_year = today.year - 1
    if not ApplicationRound.objects.filter(year=last_year).exists():
        past = ApplicationRound.objects.create(
            year=last_year,
            intention_deadline=datetime.date(last_year, 5, 31),
            recommendation_deadline=datetime.date(last_year, 6, 20),
            review_deadline=datetime.date(last_year, 7, 10),
            status=ApplicationRound.Status.CLOSED,
            opened_by=reviewer,
            opened_at=datetime.datetime(last_year, 4, 1, 9, tzinfo=datetime.UTC),
            closed_by=reviewer,
            closed_at=datetime.datetime(last_year, 12, 20, 17, tzinfo=datetime.UTC),
            note="演示数据：上一年度批次",
        )
        start = datetime.datetime(last_year, 4, 20, 9, tzinfo=datetime.UTC)
        seeded[str(last_year)] = _seed(past, LAST_YEAR, reviewer, start, exclude)
    if not ApplicationRound.objects.filter(year=today.year).exists():
        ApplicationRound.objects.filter(status=ApplicationRound.Status.OPEN).update(
            status=ApplicationRound.Status.CLOSED, closed_at=timezone.now()
        )
        current = ApplicationRound.objects.create(
            year=today.year,
            intention_deadline=today + datetime.timedelta(days=14),
            recommendation_deadline=today + datetime.timedelta(days=28),
            review_deadline=today + datetime.timedelta(days=45),
            opened_by=reviewer,
            opened_at=timezone.now() - datetime.timedelta(days=30),
            note="演示数据：各截止日期相对今天设定，始终处于意向登记阶段",
        )
        start = timezone.now() - datetime.timedelta(days=28)
        seeded[str(today.year)] = _seed(current, CURRENT, reviewer, start, exclude)
    return seeded
