"""The whole demo, and its assessment part: targets, the statistics bureau's published value-added
(synthetic figures), carriers, training events and counselors.

:func:`seed_demo` seeds every app in layer order (the ledger, its rewards, the assessment); it lives in
the top layer because it is the one place that may name all three. Idempotent: each piece is created
only when its kind of row does not exist yet; deterministic (no randomness beyond the ledger's).
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.money import wan_to_yuan
from anyang_hte.core.roles import Role
from enterprises.demo import SeedResult, seed_demo_ledger
from enterprises.models import Enterprise
from incentives.demo import seed_demo_rewards

from . import services
from .models import IncubationCarrier, PolicyCounselor, PublishedValueAdded, Target, TrainingEvent
from .registers import services as registers

CARRIERS = [
    # name, kind, level, jurisdiction code, recognised on
    ("安阳市高新区科技企业孵化器", "incubator", "national", "410571", datetime.date(2016, 11, 1)),
    ("安阳工学院大学科技园", "university_park", "provincial", "410571", datetime.date(2019, 6, 12)),
    ("安阳师范学院众创空间", "maker_space", "provincial", "410502", datetime.date(2018, 9, 20)),
    ("林州市红旗渠科技企业孵化器", "incubator", "provincial", "410581", datetime.date(2020, 4, 8)),
    ("汤阴县创客空间", "maker_space", "city", "410523", datetime.date(2021, 3, 15)),
    ("滑县农业科技孵化器", "incubator", "city", "410526", datetime.date(2022, 5, 30)),
    ("殷都区文创众创空间", "maker_space", "city", "410505", datetime.date(2023, 7, 1)),
    ("示范区电子商务孵化基地", "incubator", "city", "410599", datetime.date(2024, 10, 18)),
]
TRAINING_TOPICS = ["高新技术企业认定政策解读", "研发费用归集与辅助账实务", "知识产权布局与申请"]


@transaction.atomic
def seed_demo(*, per_jurisdiction: int = 30, today: datetime.date | None = None) -> SeedResult:
    """Demo accounts, the ledger, rewards in flight and the assessment registers, in one transaction."""
    result = seed_demo_ledger(per_jurisdiction=per_jurisdiction, today=today)
    seed_demo_rewards(result.accounts)
    seed_demo_assessment(result.accounts)
    return result


def seed_demo_assessment(accounts) -> None:
    reviewer = next(u for u in accounts if u.role == Role.TECH_REVIEWER)
    year = timezone.localdate().year
    if not Target.objects.filter(year=year).exists():
        services.targets_spread(year=year, indicator="new_hte", city_total=80, by=reviewer)
        services.targets_spread(year=year, indicator="valid_hte", city_total=120, by=reviewer)
    if not IncubationCarrier.objects.exists():
        codes = dict(Jurisdiction.objects.values_list("code", "pk"))
        for name, kind, level, code, recognised_on in CARRIERS:
            registers.carrier_create(
                name=name,
                kind=kind,
                level=level,
                jurisdiction=Jurisdiction.objects.get(pk=codes[code]),
                recognised_on=recognised_on,
                by=reviewer,
            )
    if not TrainingEvent.objects.exists():
        _training(accounts, year)
    if not PublishedValueAdded.objects.exists():
        _published_value_added(reviewer, year)


# Synthetic statistics (not Anyang's real figures): the city's above-scale industrial value-added in
# 亿元 and the high-tech industry's share of it, per year. A year's figures are published the next year.
CITY_FIGURES = {
    2017: (760, "28.6"),
    2018: (790, "31.2"),
    2019: (815, "34.5"),
    2020: (802, "37.1"),
    2021: (858, "40.3"),
    2022: (880, "41.6"),
    2023: (905, "42.8"),
    2024: (931, "43.5"),
    2025: (960, "44.1"),
}
# Each jurisdiction's part of the city's industrial value-added (per cent) and its share's offset.
COUNTY_FIGURES = {
    "410502": (9, -6), "410503": (7, -4), "410505": (11, -2), "410506": (10, 1), "410522": (12, -9),
    "410523": (8, 3), "410526": (9, -11), "410527": (6, -8), "410581": (16, 2), "410571": (9, 14),
    "410599": (3, 4),
}  # fmt: skip
WAN_PER_YI = 10_000


def _published_value_added(reviewer, year: int) -> None:
    """The city's and every jurisdiction's published figures up to last year, in whole 万元; 示范区's
    last year's 高新技术产业增加值 is left unpublished (the pages say which figure is missing)."""
    jurisdictions = {j.code: j for j in Jurisdiction.objects.all()}
    for y, (industrial_yi, share) in CITY_FIGURES.items():
        if y >= year:
            continue
        city_industrial = Decimal(industrial_yi * WAN_PER_YI)
        services.published_value_added_set(
            jurisdiction=None,
            year=y,
            hightech_value_added=wan_to_yuan((city_industrial * Decimal(share) / 100).quantize(Decimal(1))),
            industrial_value_added=wan_to_yuan(city_industrial),
            source=f"{y}年安阳市国民经济和社会发展统计公报",
            by=reviewer,
        )
        for code, (part, offset) in COUNTY_FIGURES.items():
            juris = jurisdictions[code]
            # the counties' figures do not add up to the city's: each is its own publication
            industrial = (city_industrial * part / 100 * Decimal("1.013")).quantize(Decimal(1))
            hightech = (industrial * (Decimal(share) + offset) / 100).quantize(Decimal(1))
            services.published_value_added_set(
                jurisdiction=juris,
                year=y,
                hightech_value_added=None if code == "410599" and y == year - 1 else wan_to_yuan(hightech),
                industrial_value_added=wan_to_yuan(industrial),
                source=f"{y}年{juris.name}国民经济和社会发展统计公报",
                by=reviewer,
            )


def _training(accounts, year: int) -> None:
    """Two training events and a counselor in each county that has a demo account."""
    today = timezone.localdate()
    for official in (u for u in accounts if u.role == Role.COUNTY_OFFICIAL):
        ledger = list(Enterprise.objects.filter(jurisdiction=official.jurisdiction).order_by("pk")[:12])
        for index, topic in enumerate(TRAINING_TOPICS[:2]):
            held_on = min(today, datetime.date(year, 3 + 3 * index, 15))
            registers.training_event_create(
                held_on=held_on,
                jurisdiction=official.jurisdiction,
                topic=topic,
                enterprises=ledger[index * 6 : index * 6 + 6],
                by=official,
            )
        if not PolicyCounselor.objects.filter(jurisdiction=official.jurisdiction).exists():
            registers.counselor_create(
                name=f"{official.jurisdiction.short_name or official.jurisdiction.name}政策辅导员",
                unit=f"{official.jurisdiction.name}科技局",
                jurisdiction=official.jurisdiction,
                enterprises=ledger[:8],
                by=official,
            )


# How far back the demo sets the clocks of a few items, so the walk-through shows them overdue.
DEMO_OVERDUE = {"review": 30, "payment": 45, "confirm": 12}  # calendar days


def seed_demo_deadlines(*, code: str = "410502") -> int:
    """Make a few of ``code``'s demo items overdue (超期事项): its oldest reward waiting for review, its
    oldest approved reward waiting for payment, and its oldest firm submission waiting for the county.

    Their clocks (the submission, approval and firm-submission times, and the matching sign-off rows)
    are moved back by ``DEMO_OVERDUE`` days before today: demo data only, written directly, as no
    service moves a timestamp. Run again, it sets the same items to the same distance from today.
    Returns the number of items made overdue.
    """
    from enterprises.models import FirmSubmission
    from incentives.models import Reward, RewardDecision

    now = timezone.now()
    done = 0
    for status, days in (
        (Reward.Status.SUBMITTED, DEMO_OVERDUE["review"]),
        (Reward.Status.APPROVED, DEMO_OVERDUE["payment"]),
    ):
        reward = Reward.objects.filter(jurisdiction__code=code, status=status).order_by("pk").first()
        if reward is None:
            continue
        at = now - datetime.timedelta(days=days)
        # an approved reward was submitted a few days before its approval
        submitted = at if status == Reward.Status.SUBMITTED else at - datetime.timedelta(days=3)
        Reward.objects.filter(pk=reward.pk).update(
            submitted_at=submitted, **({"approved_at": at} if status == Reward.Status.APPROVED else {})
        )
        decisions = RewardDecision.objects.filter(reward=reward)
        decisions.filter(to_status=Reward.Status.SUBMITTED).update(at=submitted)
        decisions.filter(to_status=Reward.Status.APPROVED).update(at=at)
        done += 1
    submission = (
        FirmSubmission.objects.filter(
            enterprise__jurisdiction__code=code, status=FirmSubmission.Status.SUBMITTED
        )
        .order_by("pk")
        .first()
    )
    if submission is not None:
        at = now - datetime.timedelta(days=DEMO_OVERDUE["confirm"])
        FirmSubmission.objects.filter(pk=submission.pk).update(submitted_at=at)
        done += 1
    return done
