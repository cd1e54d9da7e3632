"""The whole demo, and its assessment part: targets, carriers, training events and counselors.

:func:`seed_demo` seeds every app in layer order (the ledger, its rewards, the assessment); it lives in
the top layer because it is the one place that may name all three. Idempotent: each piece is created
only when its kind of row does not exist yet; deterministic (no randomness beyond the ledger's).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import Role
from enterprises.demo import SeedResult, seed_demo_ledger
from enterprises.models import Enterprise
from incentives.demo import seed_demo_rewards

from . import services
from .models import IncubationCarrier, PolicyCounselor, Target, TrainingEvent
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
