"""专项经费 against the money it covers: which balance counts. The one place that says it.

A *fund* is one year's appropriation of one funding source: the city's (市级财政), or one county's or
zone's own (县区财政, per jurisdiction). Its year is the budget year of ``selectors``: the year of the
qualification that triggered the reward, so a reward counts against the same year's money whenever it
is approved or paid.

For each fund (all ``Decimal`` yuan):

- appropriated: the appropriation plus its adjustments (追加 +, 调减 −); 0 while none is recorded;
- committed: its funding lines that are not cancelled (pending ones included);
- approved: lines a reviewer approved (待拨付, 已入批次, 已拨付);
- in_batches: lines in a payout batch or paid;
- paid: what the payments recorded;
- **balance = appropriated − approved**: what a reviewer may still approve;
- **payable = appropriated − in_batches**: what finance may still put into batches (it differs from
  the balance only when approvals went beyond the appropriation by an override, or it was reduced).

Approving a reward whose share exceeds its fund's balance, or batching lines beyond the fund's payable
amount, is refused with the figures unless the one acting records an override with a reason
(``services.appropriations.balance_enforce``). A fund with no appropriation recorded counts as 0 and the
refusal says so (尚未录入): money is spent only once the bureau has recorded where it comes from.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext as _

from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.money import format_wan
from anyang_hte.core.roles import is_city_wide, is_system

from .models import MONEY, Appropriation, AppropriationAdjustment, FundingLine, FundingSource

Line = FundingLine.Status
ZERO = Decimal("0.00")
YEAR = "reward__qualification__granted_on"


@dataclass(frozen=True, order=True)
class Fund:
    year: int
    source: str
    jurisdiction_id: int | None = None

    @classmethod
    def of(cls, *, year: int, source: str, jurisdiction_id) -> "Fund":
        return cls(int(year), source, None if source == FundingSource.CITY else jurisdiction_id)


@dataclass
class FundStatus:
    fund: Fund
    jurisdiction_name: str = ""
    jurisdiction_sort: int = 0
    appropriation: Appropriation | None = None
    original: Decimal = ZERO
    adjusted: Decimal = ZERO
    committed: Decimal = ZERO
    approved: Decimal = ZERO
    in_batches: Decimal = ZERO
    paid: Decimal = ZERO
    lines: int = 0
    adjustments: int = field(default=0)

    @property
    def year(self) -> int:
        return self.fund.year

    @property
    def source(self) -> str:
        return self.fund.source

    @property
    def recorded(self) -> bool:
        return self.appropriation is not None

    @property
    def appropriated(self) -> Decimal:
        return self.original + self.adjusted

    @property
    def balance(self) -> Decimal:
        return self.appropriated - self.approved

    @property
    def payable(self) -> Decimal:
        return self.appropriated - self.in_batches

    @property
    def waiting(self) -> Decimal:
        """Approved, not yet in a batch."""
        return self.approved - self.in_batches

    @property
    def batch_short(self) -> bool:
        """Batching every approved line still waiting would go beyond the payable amount."""
        return self.waiting > self.payable

    @property
    def payer(self) -> str:
        return _("市级") if self.source == FundingSource.CITY else self.jurisdiction_name

    @property
    def label(self) -> str:
        """2026年市级专项经费 / 2026年文峰区专项经费."""
        return _("%(year)s年%(payer)s专项经费") % {"year": self.year, "payer": self.payer}


def _money(expression, condition: Q | None = None) -> Coalesce:
    out = DecimalField(**MONEY)
    return Coalesce(Sum(expression, filter=condition, output_field=out), ZERO, output_field=out)


def _q(value) -> Decimal:
    return Decimal(value or 0).quantize(ZERO)


def _fund_filter(funds: Iterable[Fund], *, year: str, jurisdiction: str) -> Q:
    q = Q(pk__in=[])
    for fund in funds:
        part = Q(**{year: fund.year, "source": fund.source})
        if fund.source == FundingSource.COUNTY:
            part &= Q(**{jurisdiction: fund.jurisdiction_id})
        q |= part
    return q


def fund_statuses(funds: Iterable[Fund] | None = None, *, year: int | None = None) -> dict[Fund, FundStatus]:
    """The figures of ``funds`` (or, with ``funds=None``, of every fund with an appropriation or a line,
    optionally of one ``year``), unscoped: callers decide which funds a user sees. Four queries."""
    wanted = None if funds is None else set(funds)
    if wanted is not None and not wanted:
        return {}
    appropriations = Appropriation.objects.select_related("jurisdiction")
    lines = FundingLine.objects.exclude(status=Line.CANCELLED)
    if wanted is not None:
        appropriations = appropriations.filter(
            _fund_filter(wanted, year="year", jurisdiction="jurisdiction_id")
        )
        lines = lines.filter(_fund_filter(wanted, year=f"{YEAR}__year", jurisdiction="jurisdiction_id"))
    elif year is not None:
        appropriations = appropriations.filter(year=year)
        lines = lines.filter(**{f"{YEAR}__year": year})
    statuses: dict[Fund, FundStatus] = {}

    def status(fund: Fund) -> FundStatus:
        if fund not in statuses:
            statuses[fund] = FundStatus(fund)
        return statuses[fund]

    adjusted = {
        pk: (total, n)
        for pk, total, n in AppropriationAdjustment.objects.filter(appropriation__in=appropriations)
        .values("appropriation_id")
        .annotate(total=_money("amount"), n=Count("pk"))
        .values_list("appropriation_id", "total", "n")
    }
    for appropriation in appropriations:
        st = status(
            Fund.of(
                year=appropriation.year,
                source=appropriation.source,
                jurisdiction_id=appropriation.jurisdiction_id,
            )
        )
        st.appropriation, st.original = appropriation, _q(appropriation.amount)
        total, count = adjusted.get(appropriation.pk, (ZERO, 0))
        st.adjusted, st.adjustments = _q(total), count
    approved = Q(status__in=[Line.APPROVED, Line.BATCHED, Line.PAID])
    grouped = (
        lines.annotate(year=ExtractYear(YEAR))
        .order_by()
        .values("year", "source", "jurisdiction_id")
        .annotate(
            committed=_money("amount"),
            approved=_money("amount", approved),
            in_batches=_money("amount", Q(status__in=[Line.BATCHED, Line.PAID])),
            paid=_money("payment__amount", Q(status=Line.PAID)),
            n=Count("pk"),
        )
    )
    for row in grouped:
        st = status(Fund.of(year=row["year"], source=row["source"], jurisdiction_id=row["jurisdiction_id"]))
        st.committed += _q(row["committed"])
        st.approved += _q(row["approved"])
        st.in_batches += _q(row["in_batches"])
        st.paid += _q(row["paid"])
        st.lines += row["n"]
    if wanted is not None:
        for fund in wanted:
            status(fund)
    ids = {fund.jurisdiction_id for fund in statuses if fund.jurisdiction_id}
    names = {j.pk: j for j in Jurisdiction.objects.filter(pk__in=ids)}
    for fund, st in statuses.items():
        if fund.jurisdiction_id in names:
            st.jurisdiction_name = names[fund.jurisdiction_id].name
            st.jurisdiction_sort = names[fund.jurisdiction_id].sort_order
    return statuses


def _sort_key(st: FundStatus):
    return (-st.year, st.source != FundingSource.CITY, st.jurisdiction_sort, st.jurisdiction_name)


def may_see_fund(user, fund: Fund) -> bool:
    """City-wide offices see every fund; a county office its own county's; nobody else any."""
    if is_system(user) or is_city_wide(user):
        return True
    own = getattr(user, "jurisdiction_id", None)
    return bool(
        getattr(user, "is_jurisdiction_bound", False)
        and own
        and fund.source == FundingSource.COUNTY
        and fund.jurisdiction_id == own
    )


def visible_statuses(
    user, *, funds: Iterable[Fund] | None = None, year: int | None = None, source: str | None = None
) -> list[FundStatus]:
    """The funds ``user`` may see (of ``funds``, or all of ``year``), sorted: newest year first, the
    city's before the counties' in their usual order."""
    if funds is not None:
        funds = [fund for fund in funds if may_see_fund(user, fund)]
    rows = [st for st in fund_statuses(funds, year=year).values() if may_see_fund(user, st.fund)]
    if source:
        rows = [st for st in rows if st.source == source]
    return sorted(rows, key=_sort_key)


def totals(rows: list[FundStatus]) -> dict:
    keys = ("original", "adjusted", "appropriated", "committed", "approved", "in_batches", "paid", "balance")
    return {key: sum((getattr(st, key) for st in rows), ZERO) for key in keys}


# --- what a move needs ---------------------------------------------------------------------------


def needs_of_lines(line_ids: Iterable[int]) -> dict[Fund, Decimal]:
    """The money the lines ``line_ids`` take, per fund (one query)."""
    ids = list(line_ids)
    needs: dict[Fund, Decimal] = {}
    if not ids:
        return needs
    rows = (
        FundingLine.objects.filter(pk__in=ids)
        .annotate(year=ExtractYear(YEAR))
        .values_list("year", "source", "jurisdiction_id", "amount")
    )
    for year, source, jurisdiction_id, amount in rows:
        fund = Fund.of(year=year, source=source, jurisdiction_id=jurisdiction_id)
        needs[fund] = needs.get(fund, ZERO) + _q(amount)
    return needs


@dataclass(frozen=True)
class Shortfall:
    status: FundStatus
    room: Decimal  # the balance (approval) or the payable amount (batch) left
    needed: Decimal


def shortfalls(needs: dict[Fund, Decimal], *, batching: bool) -> list[Shortfall]:
    """The funds whose balance (or, ``batching``, payable amount) is below what ``needs`` takes."""
    statuses = fund_statuses(needs)
    out = []
    for fund in sorted(needs):
        st = statuses[fund]
        room = st.payable if batching else st.balance
        if needs[fund] > room:
            out.append(Shortfall(st, room, needs[fund]))
    return out


def shortfall_message(shorts: list[Shortfall], *, batching: bool) -> str:
    """ "2026年市级专项经费余额 12.00 万元，本次需 15.00 万元。" for each fund that falls short."""
    parts = []
    for short in shorts:
        values = {
            "fund": short.status.label,
            "balance": format_wan(short.room),
            "needed": format_wan(short.needed),
        }
        if not short.status.recorded:
            parts.append(_("尚未录入%(fund)s，本次需 %(needed)s 万元。") % values)
        elif batching:
            parts.append(
                _("%(fund)s可编入批次的余额 %(balance)s 万元（专项经费减已编入批次和已拨付），") % values
                + _("本次需 %(needed)s 万元。") % values
            )
        else:
            parts.append(_("%(fund)s余额 %(balance)s 万元，本次需 %(needed)s 万元。") % values)
    return "".join(parts)
