"""Demo rewards for walk-throughs: the engine over the demo ledger, this year's and last year's
专项经费, and a few applications in flight.

Called by ``seed_demo`` after the ledger is in place. Idempotent: the engine creates each reward once,
each appropriation is recorded once, and only rewards still untouched (generated, no documents) are
moved along.
"""

import datetime
from decimal import ROUND_CEILING, Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from anyang_hte.core import dates
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import Role, SystemActor
from anyang_hte.core.workdays import add_working_days

from . import balances, services
from .models import Appropriation, FundingSource, Publicity, Reward, RewardDocument

DEMO_PDF = b"%PDF-1.4\n% demo document of the Anyang HTE portal\n%%EOF\n"
SUBMITTED_PER_COUNTY = 3
APPROVED_PER_COUNTY = 1


def seed_demo_rewards(accounts) -> int:
    """Generate the rules' rewards, then submit a few per demo county and approve some."""
    created = services.rewards_run_all(by=SystemActor("command seed_demo"))
    seed_demo_appropriations(accounts)
    reviewer = next(u for u in accounts if u.role == Role.TECH_REVIEWER)
    for official in (u for u in accounts if u.role == Role.COUNTY_OFFICIAL):
        fresh = list(
            Reward.objects.filter(
                jurisdiction=official.jurisdiction, status=Reward.Status.GENERATED, documents__isnull=True
            )
            .exclude(enterprise__bank_account="")
            .order_by("pk")[:SUBMITTED_PER_COUNTY]
        )
        already = Reward.objects.filter(jurisdiction=official.jurisdiction).exclude(
            status=Reward.Status.GENERATED
        )
        if already.exists():
            continue  # moved along on an earlier run
        for index, reward in enumerate(fresh):
            for kind, name in (
                (RewardDocument.Kind.CERTIFICATE, "证书扫描件.pdf"),
                (RewardDocument.Kind.BANK, "银行账户确认书.pdf"),
            ):
                upload = ContentFile(DEMO_PDF, name=name)
                services.reward_document_add(reward=reward, kind=kind, upload=upload, by=official)
            services.reward_submit(reward=reward, by=official, comment="演示申报")
            if index < APPROVED_PER_COUNTY:
                try:
                    services.reward_approve(reward=reward, by=reviewer, comment="材料齐全，同意")
                except services.BalanceShortError:
                    pass  # its year's money is short (or not recorded): it waits, as in real life
    seed_demo_publicity(accounts)
    return created


def seed_demo_publicity(accounts) -> Publicity | None:
    """公示 of the demo's approved rewards, held in the past: published through the service, then dated
    back so that its notice period ended yesterday and finance can pay them in a walk-through (the
    public page /gongshi/ lists it). Only rewards not yet published; None when there are none."""
    reviewer = next(u for u in accounts if u.role == Role.TECH_REVIEWER)
    pending = list(
        Reward.objects.filter(status=Reward.Status.APPROVED, publicity_entry__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if not pending:
        return None
    day = dates.today()
    publicity = services.publicity_publish_round(
        approved_from=datetime.date(2017, 12, 29),  # the policy's first day
        approved_to=day,
        rewards=pending,
        title="关于安阳市高新技术企业培育奖励拟奖励名单的公示（演示）",
        by=reviewer,
    )
    # dated back: published n + 1 working days ago, so its period (n working days) ended before today
    n = publicity.working_days
    published_on = add_working_days(day, -(n + 1))
    Publicity.objects.filter(pk=publicity.pk).update(
        published_on=published_on,
        starts_on=add_working_days(published_on, 1),
        ends_on=add_working_days(published_on, n),
        published_at=timezone.make_aware(datetime.datetime.combine(published_on, datetime.time(9))),
    )
    publicity.refresh_from_db()
    return publicity


# 专项经费 as a share of what the year's rewards commit: most have room, 北关区 and 滑县 are tight (they
# cannot approve everything without a 追加 or an override), the city has a little room.
CITY_SHARE = Decimal("1.10")
COUNTY_SHARE = Decimal("1.30")
TIGHT_SHARE = {"410503": Decimal("0.50"), "410526": Decimal("0.80")}
FLOOR = Decimal("300000.00")  # every fund gets at least 30 万元, enough for one new-HTE share
WAN = Decimal("10000")


def _whole_wan(yuan: Decimal) -> Decimal:
    return ((yuan / WAN).to_integral_value(rounding=ROUND_CEILING) * WAN).quantize(Decimal("0.01"))


def seed_demo_appropriations(accounts, *, today: datetime.date | None = None) -> int:
    """Record this year's and last year's 专项经费 for the city and every county (sized on what the
    demo's rewards commit, some tight), and one 追加 of last year's city money. The demo's older rewards
    (certificates back to 2020) get their years' money too, exactly what they commit. Returns how many
    appropriations were recorded (0 on a second run)."""
    reviewer = next(u for u in accounts if u.role == Role.TECH_REVIEWER)
    year = (today or timezone.localdate()).year
    first = Reward.objects.order_by("qualification__granted_on").values_list(
        "qualification__granted_on", flat=True
    )
    first_year = min(first[0].year, year - 1) if first else year - 1
    recorded = 0
    for budget_year in range(first_year, year + 1):
        statuses = balances.fund_statuses(year=budget_year)
        recent = budget_year >= year - 1
        funds = [(FundingSource.CITY, None, CITY_SHARE if recent else Decimal("1"))] + [
            (
                FundingSource.COUNTY,
                county,
                TIGHT_SHARE.get(county.code, COUNTY_SHARE) if recent else Decimal("1"),
            )
            for county in Jurisdiction.objects.order_by("sort_order", "code")
        ]
        for number, (source, county, share) in enumerate(funds, start=1):
            if Appropriation.objects.filter(year=budget_year, source=source, jurisdiction=county).exists():
                continue
            fund = balances.Fund.of(
                year=budget_year, source=source, jurisdiction_id=county.pk if county else None
            )
            committed = statuses[fund].committed if fund in statuses else Decimal("0")
            payer = "安财" if county is None else (county.short_name or county.name)[:2] + "财"
            services.appropriation_record(
                year=budget_year,
                source=source,
                jurisdiction=county,
                amount=max(_whole_wan(committed * share), FLOOR),
                document=f"{payer}预〔{budget_year}〕{number}号",
                issued_on=datetime.date(budget_year, 2, 20),
                notes="高新技术企业培育奖励专项经费（演示）",
                by=reviewer,
            )
            recorded += 1
    last_city = Appropriation.objects.filter(year=year - 1, source=FundingSource.CITY).first()
    if last_city is not None and not last_city.adjustments.exists():
        services.appropriation_adjust(
            appropriation=last_city,
            amount=Decimal("600000.00"),
            document=f"安财预〔{year - 1}〕88号",
            issued_on=datetime.date(year - 1, 9, 10),
            reason="年中追加：新认定企业多于年初预计",
            by=reviewer,
        )
    return recorded
