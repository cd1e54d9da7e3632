import datetime
from decimal import Decimal

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from anyang_hte.core.models import Jurisdiction, User
from anyang_hte.core.roles import Role, two_factor_required
from enterprises.identifiers import credit_code_with_check_digit
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    LedgerMilestone,
    Qualification,
    ServiceVisit,
    TechField,
)
from enterprises.pinyin import name_initials

# Characters allowed in the organisation-code part of a credit code.
_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_credit_code(n: int, region: str = "410502") -> str:
    """A valid credit code whose organisation part encodes ``n``."""
    digits = []
    for _ in range(9):
        n, r = divmod(n, 31)
        digits.append(_BODY[r])
    return credit_code_with_check_digit("91" + region + "".join(reversed(digits)))


def jurisdiction(code: str = "410502") -> Jurisdiction:
    return Jurisdiction.objects.get(code=code)


def totp_device(user: User) -> TOTPDevice:
    """``user``'s confirmed authenticator (made with a random key when missing); tests read its key to
    compute a code (``anyang_hte.core.two_factor.totp_code(device.key)``)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


class UserFactory(factory.django.DjangoModelFactory):
    """A portal user. One who must pass a second factor (a money role, an administrator, staff) gets a
    confirmed authenticator, as after enrolment; ``two_factor=False`` leaves it out (a first log-in that
    enrols), ``two_factor=True`` gives one to anyone (an opted-in county official or firm user)."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    role = Role.COUNTY_OFFICIAL
    jurisdiction = factory.LazyAttribute(
        lambda o: jurisdiction() if o.role in (Role.COUNTY_OFFICIAL, Role.COUNTY_FINANCE) else None
    )
    password = factory.django.Password("pass-1234-word")

    @factory.post_generation
    def two_factor(obj, create, extracted, **kwargs):
        wanted = two_factor_required(obj) if extracted is None else extracted
        if create and wanted:
            totp_device(obj)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"安阳测试科技有限公司{n}")
    name_initials = factory.LazyAttribute(lambda o: name_initials(o.name))
    credit_code = factory.Sequence(lambda n: make_credit_code(n + 1000))
    jurisdiction = factory.LazyFunction(jurisdiction)
    tech_field = TechField.ELECTRONIC_INFO
    registered_on = datetime.date(2015, 3, 5)


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification

    enterprise = factory.SubFactory(EnterpriseFactory)
    kind = "hte"
    granted_on = datetime.date(2024, 11, 30)
    number = factory.Sequence(lambda n: f"GR2024410{n:05d}")


class FiguresFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualFigures

    enterprise = factory.SubFactory(EnterpriseFactory)
    year = 2025
    sales_revenue = Decimal("30000000.00")
    total_income = Decimal("30000000.00")
    rd_expense = Decimal("1800000.00")
    rd_expense_domestic = Decimal("1800000.00")
    total_costs = Decimal("25000000.00")
    staff_count = 100
    st_staff_count = 20
    hightech_revenue = Decimal("24000000.00")
    total_assets = Decimal("50000000.00")
    net_assets = Decimal("30000000.00")
    ip_class1_count = 1
    ip_class2_count = 5
    conversions_count = 3
    industrial_value_added = Decimal("8000000.00")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerMilestone

    enterprise = factory.SubFactory(EnterpriseFactory)
    title = factory.Sequence(lambda n: f"完成研发费用辅助账{n}")
    due_on = datetime.date(2026, 6, 30)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceVisit

    enterprise = factory.SubFactory(EnterpriseFactory)
    visited_on = datetime.date(2026, 3, 1)
    visitors = "张三"
    problems = "研发费用归集不规范"
    actions = "安排政策辅导员上门"


def rolled_up(*years: int) -> None:
    """Roll up ``years`` now, as the nightly job does: the assessment pages read snapshots only."""
    from anyang_hte.core.roles import SystemActor
    from assessment import services

    for year in years:
        services.rollup_year_sync(year=year, by=SystemActor("test rollup"))
