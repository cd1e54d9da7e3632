"""Which finance office pays which funding line: the one place that says it.

A reward's money is split into funding lines, one per source: the city's share (市级财政) is paid by city
finance (市财政局), a county's share (县区财政) by that county's own finance office (县区财政局). Payout
batches hold lines of one source (and, for county money, one county). The line list, the batch pages,
the scoped querysets and the payout services all ask :func:`paying_office`; nothing else decides it.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.roles import Right, Role, has_right


class FundingSource(models.TextChoices):
    CITY = "city", gettext_lazy("市级财政")
    COUNTY = "county", gettext_lazy("县区财政")


@dataclass(frozen=True)
class PayingOffice:
    """The money a finance officer pays: ``source``, and for county money, its jurisdiction."""

    source: str
    jurisdiction_id: int | None

    @property
    def role(self) -> str:
        """The finance office's role: 市财政局 for the city's money, 县区财政局 for a county's."""
        return Role.CITY_FINANCE if self.source == FundingSource.CITY else Role.COUNTY_FINANCE

    def lookup(self) -> dict:
        """Filter arguments for funding lines or batches of this office (both have the two fields)."""
        if self.source == FundingSource.CITY:
            return {"source": FundingSource.CITY}
        return {"source": FundingSource.COUNTY, "jurisdiction_id": self.jurisdiction_id}

    def pays(self, *, source: str, jurisdiction_id) -> bool:
        if source != self.source:
            return False
        return source == FundingSource.CITY or jurisdiction_id == self.jurisdiction_id


def office_paying(*, source: str, jurisdiction_id) -> PayingOffice:
    """The office that pays a line of ``source`` belonging to ``jurisdiction_id``."""
    return PayingOffice(source, None if source == FundingSource.CITY else jurisdiction_id)


def paying_office(user) -> PayingOffice | None:
    """City finance pays the city's lines, a county's finance its own county's lines; nobody else pays."""
    if not has_right(user, Right.PAYOUT_MANAGE):
        return None
    if user.role == Role.CITY_FINANCE:
        return office_paying(source=FundingSource.CITY, jurisdiction_id=None)
    if user.role == Role.COUNTY_FINANCE and user.jurisdiction_id:
        return office_paying(source=FundingSource.COUNTY, jurisdiction_id=user.jurisdiction_id)
    return None


def can_pay(user, *, source: str, jurisdiction_id) -> tuple[bool, str]:
    """Whether ``user`` batches and pays money of ``source`` (of ``jurisdiction_id`` for county money)."""
    if source not in FundingSource.values:
        return False, _("未知的资金来源：%(source)s") % {"source": source}
    office = paying_office(user)
    if office is None:
        return False, _("只有财政部门可以编制拨付批次和登记拨付。")
    if office.pays(source=source, jurisdiction_id=jurisdiction_id):
        return True, ""
    if source == FundingSource.CITY:
        return False, _("市级财政资金只能由市财政局编制批次和登记拨付。")
    if office.source == FundingSource.CITY:
        return False, _("县区财政资金只能由所在县区财政局编制批次和登记拨付。")
    return False, _("只能处理本县区财政承担的资金。")
