"""What every part of the readiness verdict shares: the three values, a criterion, number formats.

All arithmetic is ``Decimal``. Percentages are shown rounded *down* to two decimals, so a shown value
never claims a threshold the exact value misses; money gaps are rounded *up* to 0.01 万元 and head-count
gaps up to 0.1 person, so adding the shown amount is always enough.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext, gettext_lazy

from anyang_hte.core.money import CENT, wan_rounded

_VERDICT_ONLY = ContextVar("readiness_verdict_only", default=False)


def _(message: str) -> str:
    """``gettext``, except inside :func:`verdict_only`: a bulk refresh keeps the verdict and the score,
    never the words, so it does no catalogue look-up per enterprise (the reasons stay untranslated and
    are dropped; a page that shows them assesses again, translated)."""
    return message if _VERDICT_ONLY.get() else gettext(message)


@contextmanager
def verdict_only() -> Iterator[None]:
    """Assess for the verdict alone (the readiness refresh): no translation work per enterprise."""
    token = _VERDICT_ONLY.set(True)
    try:
        yield
    finally:
        _VERDICT_ONLY.reset(token)


PASS, FAIL, MISSING = "pass", "fail", "missing"
# The words an official reads for each value (符合 / 不符合 / 待补充), everywhere the verdict is shown.
VERDICT_LABELS = {PASS: gettext_lazy("符合"), FAIL: gettext_lazy("不符合"), MISSING: gettext_lazy("待补充")}
DASH = "—"
TENTH = Decimal("0.1")

FIELD_LABELS = {
    "sales_revenue": gettext_lazy("营业收入"),
    "total_income": gettext_lazy("总收入"),
    "rd_expense": gettext_lazy("研发费用"),
    "rd_expense_domestic": gettext_lazy("境内研发费用"),
    "total_costs": gettext_lazy("成本费用总额"),
    "staff_count": gettext_lazy("职工总数"),
    "st_staff_count": gettext_lazy("科技人员数"),
    "hightech_revenue": gettext_lazy("高新技术产品（服务）收入"),
    "total_assets": gettext_lazy("资产总额"),
    "net_assets": gettext_lazy("净资产"),
    "ip_class1_count": gettext_lazy("I类知识产权数"),
    "ip_class2_count": gettext_lazy("II类知识产权数"),
    "conversions_count": gettext_lazy("科技成果转化数"),
}


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    status: str  # PASS | FAIL | MISSING
    actual: str
    required: str
    message: str

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self.status])


def combine(*statuses: str) -> str:
    """Three-valued AND: a failed condition beats an unknown one, an unknown one beats a pass."""
    if FAIL in statuses:
        return FAIL
    if MISSING in statuses:
        return MISSING
    return PASS


def status_of(flag: bool | None) -> str:
    return PASS if flag is True else FAIL if flag is False else MISSING


def flag_of(status: str) -> bool | None:
    return True if status == PASS else False if status == FAIL else None


def pct(ratio: Decimal) -> str:
    """0.0499999 -> '4.99%' (rounded down)."""
    return f"{(ratio * 100).quantize(CENT, rounding=ROUND_FLOOR)}%"


def goal(threshold: Decimal) -> str:
    """Decimal("0.05") -> '5%'."""
    return f"{format((threshold * 100).normalize(), 'f')}%"


def at_least(threshold: Decimal) -> str:
    return f"≥ {goal(threshold)}"


def wan(yuan: Decimal, rounding=ROUND_HALF_UP) -> str:
    return str(wan_rounded(yuan, rounding=rounding))


def wan_up(yuan: Decimal) -> str:
    """A money gap in 万元, rounded up: the shown amount is always enough."""
    return wan(yuan, ROUND_CEILING)


def people(value: Decimal | int) -> str:
    """A head count as the figures hold it (one decimal; whole numbers without one): 95.5, 100."""
    value = Decimal(value)
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


def people_up(value: Decimal) -> str:
    """A head-count gap rounded up to a tenth of a person (the figures are yearly averages)."""
    return people(value.quantize(TENTH, rounding=ROUND_CEILING))


def span(years: list[int]) -> str:
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])


def band(value, bands, default: int = 0) -> int:
    """The score of the first band whose threshold ``value`` reaches (bands from the highest down)."""
    for threshold, score in bands:
        if value >= threshold:
            return score
    return default


def missing_figures(rows: dict, years: list[int], fields: tuple[str, ...]) -> str:
    """'缺少2024年年度数据；2025年营业收入、研发费用', or '' when nothing is missing.

    A year with no figures at all is named as such: it is missing, never skipped.
    """
    parts = []
    for year in years:
        row = rows.get(year)
        if row is None:
            parts.append(_("%(year)s年年度数据") % {"year": year})
            continue
        absent = [str(FIELD_LABELS[f]) for f in fields if getattr(row, f) is None]
        if absent:
            parts.append(_("%(year)s年%(fields)s") % {"year": year, "fields": _("、").join(absent)})
    return _("缺少%(items)s") % {"items": _("；").join(parts)} if parts else ""


def value(rows: dict, year: int, field: str):
    row = rows.get(year)
    return None if row is None else getattr(row, field)


def total(rows: dict, years: list[int], field: str) -> Decimal:
    return sum((Decimal(value(rows, y, field)) for y in years), Decimal(0))
