"""Reads of the money: the budget view (committed, approved, paid, recovered) and a batch's lines.

The budget year is the year of the qualification that triggered the reward (``granted_on``): the
policy promises money for a certification *in a year*, so a reward generated in January for a
certificate granted the previous December counts in the year of the certificate. It does not move when
an application is resubmitted, approved or paid later, so a year's commitment is stable.

Amounts per group (all ``Decimal``, computed by the database in one grouped query):

- committed: every funding line that is not cancelled (cancelled lines are left out of every row);
- approved: lines approved by a reviewer (APPROVED, BATCHED or PAID);
- paid: what the payments recorded (``Payment.amount``), paid lines only;
- recovered / recovery_open: recoveries (追回) done and still open, by their amount.

Scope: county finance and county officials see their own jurisdiction's lines (both the city's and
the county's share of their enterprises' rewards); city finance, reviewers and administrators see all.
"""

from decimal import Decimal

from django.db.models import Case, Count, DecimalField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.exporters import CellValue, ListExporter
from anyang_hte.core.scope import firm_enterprise_id

from .models import MONEY, FundingLine, FundingSource, PayoutBatch, Recovery, Reward
from .reference import rule_display_name

Line = FundingLine.Status
ZERO = Decimal("0.00")
GROUP_KEYS = ("rule", "source", "jurisdiction", "year")
AMOUNT_KEYS = ("committed", "approved", "paid", "recovered", "recovery_open")


def reward_totals(rewards: QuerySet) -> dict:
    """The reward list's totals row: how many rewards match and their amount, over *every* matching row
    (not the page's, not the count cap's). COUNT(*) and SUM(amount) read only the jurisdiction, the status
    and the amount, which the index ``reward_juris_status_amount`` carries: an index-only scan."""
    return rewards.order_by().aggregate(n=Count("*"), amount=Sum("amount"))


# The values() fields behind each grouping key, in display order.
_GROUP_FIELDS = {
    "rule": ("reward__rule_id", "reward__rule__code", "reward__rule__name"),
    "source": ("source",),
    "jurisdiction": (
        "jurisdiction_id",
        "jurisdiction__code",
        "jurisdiction__name",
        "jurisdiction__sort_order",
    ),
    "year": ("year",),
}
_ORDER_FIELDS = {
    "rule": ("reward__rule__code",),
    "source": ("source",),
    "jurisdiction": ("jurisdiction__sort_order", "jurisdiction__code"),
    "year": ("year",),
}


def _money(expression) -> Coalesce:
    out = DecimalField(**MONEY)
    return Coalesce(Sum(expression, output_field=out), Value(ZERO), output_field=out)


def _when(condition: Q, amount: str) -> Case:
    return Case(When(condition, then=amount), default=None, output_field=DecimalField(**MONEY))


def _aggregates() -> dict:
    return {
        "committed": _money("amount"),
        "approved": _money(_when(Q(status__in=[Line.APPROVED, Line.BATCHED, Line.PAID]), "amount")),
        "paid": _money(_when(Q(status=Line.PAID), "payment__amount")),
        "recovered": _money(
            _when(Q(payment__recovery__status=Recovery.Status.RECOVERED), "payment__recovery__amount")
        ),
        "recovery_open": _money(
            _when(Q(payment__recovery__status=Recovery.Status.OPEN), "payment__recovery__amount")
        ),
        "lines": Count("pk"),
    }


def budget_lines(user, *, year: int | None = None) -> QuerySet:
    """The funding lines the user's budget view covers (scoped, fail-closed), cancelled ones left out.

    A cancelled line was never paid (a paid line cannot be cancelled), so it adds to no amount.
    """
    qs = FundingLine.objects.for_user(user).exclude(status=Line.CANCELLED)
    if year is not None:
        qs = qs.filter(reward__qualification__granted_on__year=year)
    return qs


def budget_summary(user, *, year: int | None = None, group_by=GROUP_KEYS) -> list[dict]:
    """One dict per group (in ``group_by`` order), then a totals row with ``is_total`` set.

    Each row has the group's keys (``rule_code``/``rule_name``, ``source``/``source_label``,
    ``jurisdiction_code``/``jurisdiction_name``, ``year``), the amounts in ``AMOUNT_KEYS`` and ``lines``
    (the number of lines). Two queries, whatever the number of lines.
    """
    group_by = tuple(group_by)
    unknown = set(group_by) - set(GROUP_KEYS)
    if unknown:
        raise ValueError(f"unknown budget grouping: {sorted(unknown)}")
    qs = budget_lines(user, year=year)
    if "year" in group_by:
        qs = qs.annotate(year=ExtractYear("reward__qualification__granted_on"))
    fields = [f for key in group_by for f in _GROUP_FIELDS[key]]
    order = [f for key in group_by for f in _ORDER_FIELDS[key]]
    aggregates = _aggregates()
    rows = []
    if group_by:
        grouped = qs.order_by().values(*fields).annotate(**aggregates).order_by(*order)
        rows = [_row(values, group_by) for values in grouped]
    totals = _with_amounts({"is_total": True, "label": _("合计")}, qs.aggregate(**aggregates))
    for key in group_by:
        totals.update(dict.fromkeys(_row_keys(key)))
    rows.append(totals)
    return rows


def _row_keys(key: str) -> tuple[str, ...]:
    return {
        "rule": ("rule_code", "rule_name"),
        "source": ("source", "source_label"),
        "jurisdiction": ("jurisdiction_code", "jurisdiction_name"),
        "year": ("year",),
    }[key]


def _row(values: dict, group_by: tuple[str, ...]) -> dict:
    row = {"is_total": False, "label": ""}
    if "rule" in group_by:
        row["rule_code"] = values["reward__rule__code"]
        row["rule_name"] = rule_display_name(values["reward__rule__code"], values["reward__rule__name"])
    if "source" in group_by:
        row["source"], row["source_label"] = values["source"], str(FundingSource(values["source"]).label)
    if "jurisdiction" in group_by:
        row["jurisdiction_code"] = values["jurisdiction__code"]
        row["jurisdiction_name"] = values["jurisdiction__name"]
    if "year" in group_by:
        row["year"] = values["year"]
    return _with_amounts(row, values)


def _with_amounts(row: dict, values: dict) -> dict:
    # SQLite hands back Decimal("150000") for a sum of 150000.00s: show two decimals on every backend.
    for key in AMOUNT_KEYS:
        row[key] = Decimal(values[key]).quantize(ZERO)
    row["lines"] = values["lines"]
    return row


class BudgetExporter(ListExporter):
    """The budget summary as xlsx/csv, in 元 with two decimals; the totals row last."""

    filename = gettext_lazy("奖励资金统计")
    title = gettext_lazy("奖励资金统计")

    _GROUP_HEADERS = {
        "year": (gettext_lazy("年度"), ("year",)),
        "rule": (gettext_lazy("奖励事项"), ("rule_name",)),
        "source": (gettext_lazy("资金来源"), ("source_label",)),
        "jurisdiction": (gettext_lazy("县区"), ("jurisdiction_name",)),
    }
    _AMOUNT_HEADERS = {
        "committed": gettext_lazy("已承诺(元)"),
        "approved": gettext_lazy("已批准(元)"),
        "paid": gettext_lazy("已拨付(元)"),
        "recovered": gettext_lazy("已追回(元)"),
        "recovery_open": gettext_lazy("待追回(元)"),
    }

    def __init__(self, rows: list[dict], *, group_by=GROUP_KEYS, year: int | None = None):
        self.rows = rows
        self.group_by = tuple(group_by)
        self.filename = str(self.filename) + (f"_{year}" if year else "")
        self.title = str(self.title) + (_("（%(year)s年度）") % {"year": year} if year else "")
        self.headers = [str(self._GROUP_HEADERS[k][0]) for k in self.group_by]
        self.headers += [str(h) for h in self._AMOUNT_HEADERS.values()] + [_("笔数")]

    def iter_rows(self):
        for row in self.rows:
            cells: list[CellValue] = []
            for index, key in enumerate(self.group_by):
                if row.get("is_total"):
                    cells.append(str(row["label"]) if index == 0 else None)
                else:
                    cells.append(row[self._GROUP_HEADERS[key][1][0]])
            cells += [row[key] for key in AMOUNT_KEYS]
            cells.append(row["lines"])
            yield cells

    def column_widths(self) -> list[float]:
        widths = {"year": 8.0, "rule": 28.0, "source": 12.0, "jurisdiction": 22.0}
        return [widths[k] for k in self.group_by] + [16.0] * len(AMOUNT_KEYS) + [8.0]


# --- batches -----------------------------------------------------------------------------------


def batch_lines(batch: PayoutBatch) -> QuerySet:
    """The lines a batch pays (cancelled lines left out), ready for a sheet: no query per row.

    Ordered by county, then enterprise name, then line, so the sheet reads like the ledger.
    """
    return (
        FundingLine.objects.filter(batch=batch)
        .exclude(status=Line.CANCELLED)
        .select_related("reward__enterprise", "reward__rule", "jurisdiction", "payment")
        .order_by("jurisdiction__sort_order", "jurisdiction__code", "reward__enterprise__name", "pk")
    )


def batch_total(batch: PayoutBatch) -> Decimal:
    """The sum of the batch's lines (cancelled lines left out), exact."""
    total = (
        FundingLine.objects.filter(batch=batch)
        .exclude(status=Line.CANCELLED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return ZERO if total is None else Decimal(total).quantize(ZERO)


def batch_summary(batch: PayoutBatch) -> dict:
    """Count, total, and what is paid of a batch, in one query."""
    values = (
        FundingLine.objects.filter(batch=batch)
        .exclude(status=Line.CANCELLED)
        .aggregate(
            count=Count("pk"),
            total=_money("amount"),
            paid=_money(_when(Q(status=Line.PAID), "payment__amount")),
            paid_count=Count("pk", filter=Q(status=Line.PAID)),
        )
    )
    for key in ("total", "paid"):
        values[key] = Decimal(values[key]).quantize(ZERO)
    values["unpaid"] = values["total"] - values["paid"]
    return values


# --- the firm's own rewards (企业端) ------------------------------------------------------------


def firm_rewards(user) -> QuerySet:
    """The rewards of the firm user's own enterprise, with their shares, payments and papers; nothing for
    anyone else (the scope fails closed)."""
    enterprise_id = firm_enterprise_id(user)
    if enterprise_id is None:
        return Reward.objects.none()
    return (
        Reward.objects.filter(enterprise_id=enterprise_id)
        .select_related("rule", "qualification", "jurisdiction")
        .prefetch_related("lines__payment", "lines__jurisdiction", "documents", "decisions")
        .order_by("-created_at", "-id")
    )
