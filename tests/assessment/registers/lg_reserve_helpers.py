"""Enterprises for the Little Giant reserve tests: a candidate of this year by default, any condition off."""

import datetime
from decimal import Decimal

from django.utils import timezone

from assessment.registers.models import LittleGiantReserveDecision, LittleGiantReserveEntry
from enterprises.models import QualificationKind, TechField
from tests.factories import EnterpriseFactory, FiguresFactory, QualificationFactory, jurisdiction

WF, LZ = "410502", "410581"  # 文峰区, 林州市
THIS_YEAR = timezone.localdate().year


def registration(enterprise, *, year: int = THIS_YEAR, granted_on=None, **extra):
    """A tech-SME registration of ``year``: valid to the year's end, as the ledger records it."""
    granted_on = granted_on or datetime.date(year, 1, 1)
    return QualificationFactory(
        enterprise=enterprise,
        kind=QualificationKind.TECH_SME,
        granted_on=granted_on,
        expires_on=datetime.date(granted_on.year, 12, 31),
        number=f"{granted_on.year}4105020{enterprise.pk:05d}",
        **extra,
    )


def make_firm(
    code: str = WF,
    *,
    name: str | None = None,
    year: int = THIS_YEAR,
    field: str = TechField.ELECTRONIC_INFO,
    sales: Decimal | None = Decimal("10000000.00"),
    rd: Decimal | None = Decimal("300000.00"),
    ip1: int | None = 0,
    ip2: int | None = 1,
    registered: bool = True,
    figures: bool = True,
):
    """An enterprise of ``code`` that meets every condition of ``year`` unless told otherwise."""
    extra = {"name": name} if name else {}
    enterprise = EnterpriseFactory(jurisdiction=jurisdiction(code), tech_field=field, **extra)
    if registered:
        registration(enterprise, year=year)
    if figures:
        FiguresFactory(
            enterprise=enterprise,
            year=year - 1,
            sales_revenue=sales,
            rd_expense=rd,
            rd_expense_domestic=rd,
            ip_class1_count=ip1,
            ip_class2_count=ip2,
        )
    return enterprise


def make_entry(
    enterprise, *, by, status=LittleGiantReserveEntry.Status.PROPOSED, year: int = THIS_YEAR, **kw
):
    """An entry made without the services (for pages and guards): its proposal recorded as a decision."""
    now = timezone.now()
    kw.setdefault("was_candidate", True)
    entry = LittleGiantReserveEntry.objects.create(
        enterprise=enterprise, year=year, status=status, proposed_by=by, proposed_at=now, **kw
    )
    LittleGiantReserveDecision.objects.create(
        entry=entry, from_status="", to_status=LittleGiantReserveEntry.Status.PROPOSED, by=by, at=now
    )
    return entry
