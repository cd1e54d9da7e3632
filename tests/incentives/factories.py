"""Factories for the incentives tables; other test modules import these."""

import datetime
from decimal import Decimal

import factory

from anyang_hte.core.roles import Role
from incentives.models import (
    Appropriation,
    FundingLine,
    FundingSource,
    Payment,
    PayoutBatch,
    Recovery,
    Reward,
    RewardDocument,
    RewardRule,
)
from tests.factories import EnterpriseFactory, QualificationFactory, UserFactory


class RewardRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardRule
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"RULE{n:04d}")
    name = factory.Sequence(lambda n: f"测试奖励事项{n}")
    trigger_kind = "hte"
    city_amount = Decimal("150000.00")
    county_amount = Decimal("150000.00")
    first_time_only = True
    effective_from = datetime.date(2017, 12, 29)
    effective_to = None
    policy_document = "安政办〔2017〕100号"


def hte_rule() -> RewardRule:
    """The seeded 新认定高新技术企业奖励 rule (present after migrate / the conftest fixture)."""
    return RewardRule.objects.get(code="HTE_NEW")


class RewardFactory(factory.django.DjangoModelFactory):
    """A reward without lines by default; use ``RewardWithLinesFactory`` for city/county lines."""

    class Meta:
        model = Reward

    enterprise = factory.SubFactory(EnterpriseFactory)
    jurisdiction = factory.LazyAttribute(lambda o: o.enterprise.jurisdiction)
    rule = factory.LazyFunction(hte_rule)
    qualification = factory.SubFactory(
        QualificationFactory,
        enterprise=factory.SelfAttribute("..enterprise"),
        kind=factory.SelfAttribute("..rule.trigger_kind"),
    )
    amount = factory.LazyAttribute(lambda o: o.rule.city_amount + o.rule.county_amount)
    first_time_only = factory.LazyAttribute(lambda o: o.rule.first_time_only)  # as the engine copies it
    status = Reward.Status.GENERATED


class RewardWithLinesFactory(RewardFactory):
    """A reward with its funding lines (city and/or county share), lines in a status matching it."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def lines(obj, create, extracted, **kwargs):
        if not create:
            return
        status = kwargs.get("status")
        if status is None:
            status = (
                FundingLine.Status.APPROVED
                if obj.status in (Reward.Status.APPROVED, Reward.Status.PAID)
                else FundingLine.Status.CANCELLED
                if obj.status in (Reward.Status.CANCELLED, Reward.Status.REJECTED)
                else FundingLine.Status.PENDING
            )
        for source, amount in (
            (FundingSource.CITY, obj.rule.city_amount),
            (FundingSource.COUNTY, obj.rule.county_amount),
        ):
            if amount > 0:
                FundingLine.objects.create(
                    reward=obj, source=source, jurisdiction=obj.jurisdiction, amount=amount, status=status
                )


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLine

    reward = factory.SubFactory(RewardFactory, status=Reward.Status.APPROVED)
    source = FundingSource.CITY
    jurisdiction = factory.LazyAttribute(lambda o: o.reward.jurisdiction)
    amount = factory.LazyAttribute(
        lambda o: o.reward.rule.city_amount if o.source == FundingSource.CITY else o.reward.rule.county_amount
    )
    status = FundingLine.Status.APPROVED
    batch = None


class PayoutBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayoutBatch

    name = factory.Sequence(lambda n: f"2026年第{n + 1}批拨付")
    source = FundingSource.CITY
    jurisdiction = None
    status = PayoutBatch.Status.DRAFT
    created_by = factory.SubFactory(UserFactory, role=Role.CITY_FINANCE, jurisdiction=None)


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment of ``line``; the line should be BATCHED in a batch — set ``line`` explicitly or
    use the default (an approved-reward city line in a locked batch, marked PAID)."""

    class Meta:
        model = Payment

    line = factory.SubFactory(
        FundingLineFactory,
        status=FundingLine.Status.PAID,
        batch=factory.SubFactory(PayoutBatchFactory, status=PayoutBatch.Status.LOCKED),
    )
    amount = factory.LazyAttribute(lambda o: o.line.amount)
    paid_on = datetime.date(2026, 3, 15)
    reference = factory.Sequence(lambda n: f"ZF2026{n:06d}")
    recorded_by = factory.SubFactory(UserFactory, role=Role.CITY_FINANCE, jurisdiction=None)


class RecoveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recovery

    payment = factory.SubFactory(PaymentFactory)
    amount = factory.LazyAttribute(lambda o: o.payment.amount)
    reason = "资质撤销，追回奖励资金"


class RewardDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardDocument

    reward = factory.SubFactory(RewardFactory)
    kind = RewardDocument.Kind.CERTIFICATE
    file = factory.django.FileField(filename="doc.pdf", data=b"%PDF-1.4\n%test\n")
    original_name = "证书.pdf"
    size = 15
    uploaded_by = factory.SubFactory(UserFactory, role=Role.COUNTY_OFFICIAL)


class AppropriationFactory(factory.django.DjangoModelFactory):
    """A year's 专项经费 (the city's by default; pass ``source="county"`` and a ``jurisdiction``)."""

    class Meta:
        model = Appropriation

    year = 2024
    source = FundingSource.CITY
    jurisdiction = None
    amount = Decimal("1000000.00")
    document = factory.Sequence(lambda n: f"安财预〔2024〕{n + 1}号")
    issued_on = datetime.date(2024, 1, 15)
    recorded_by = factory.SubFactory(
        UserFactory, username="budget_reviewer", role=Role.TECH_REVIEWER, jurisdiction=None
    )


GENEROUS = Decimal("100000000.00")  # 1 亿元: more than any test approves


def fund_generously(years=(2023, 2024, 2025, 2026), amount: Decimal = GENEROUS) -> None:
    """Appropriations of every source (the city's and each county's) for ``years``, so large that no
    test meets the balance check unless it means to (tests of approving and batching do this first)."""
    from anyang_hte.core.models import Jurisdiction

    for year in years:
        AppropriationFactory(year=year, amount=amount, issued_on=datetime.date(year, 1, 15))
        for county in Jurisdiction.objects.all():
            AppropriationFactory(
                year=year,
                source=FundingSource.COUNTY,
                jurisdiction=county,
                amount=amount,
                issued_on=datetime.date(year, 1, 15),
            )


def with_papers(reward, *, uploaded_by=None):
    """``reward`` with what approving needs besides the money: its enterprise's bank details and the
    certificate scan and bank confirmation (uploaded by ``uploaded_by``, else its submitter)."""
    from enterprises.models import Enterprise

    Enterprise.objects.filter(pk=reward.enterprise_id, bank_account="").update(
        bank_name="中国银行安阳分行", bank_account="6217000012345678"
    )
    who = uploaded_by or reward.submitted_by
    for kind in ("certificate", "bank"):
        RewardDocumentFactory(reward=reward, kind=kind, **({"uploaded_by": who} if who else {}))
    reward.enterprise.refresh_from_db()
    return reward


PUBLICITY_ENDED_ON = datetime.date(2026, 1, 9)  # before every payment date the tests use (2026-03-…)


def publicized(rewards=(), *, batch=None, ends_on: datetime.date = PUBLICITY_ENDED_ON, by=None):
    """公示 done: ``rewards`` (and the rewards of ``batch``'s lines) published in one publicity whose
    notice period ended on ``ends_on``, so their lines may be paid after it. Rewards already published
    are left as they are. Returns the publicity (None when there was nothing new to publish).

    Written directly, as a record of a 公示 held in the past (the service publishes from today)."""
    from django.utils import timezone

    from incentives.models import Publicity, PublicityEntry

    ids = {r.pk if isinstance(r, Reward) else int(r) for r in rewards}
    if batch is not None:
        ids |= set(batch.lines.values_list("reward_id", flat=True))
    ids -= set(PublicityEntry.objects.filter(reward_id__in=ids).values_list("reward_id", flat=True))
    if not ids:
        return None
    publisher = by or UserFactory(username="publicity_reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    publicity = Publicity.objects.create(
        title="测试拟奖励名单公示",
        kind=Publicity.Kind.ROUND,
        published_on=ends_on - datetime.timedelta(days=7),
        starts_on=ends_on - datetime.timedelta(days=6),
        ends_on=ends_on,
        working_days=5,
        contact_unit="安阳市科学技术局",
        contact_phone="0372-1234567",
        published_by=publisher,
        published_at=timezone.make_aware(
            datetime.datetime.combine(ends_on - datetime.timedelta(days=7), datetime.time(9))
        ),
    )
    rewards = (
        Reward.objects.filter(pk__in=ids).select_related("enterprise", "rule", "jurisdiction").order_by("pk")
    )
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
        for position, reward in enumerate(rewards, start=1)
    )
    return publicity
