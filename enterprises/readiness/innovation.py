"""The innovation-capability evaluation (创新能力评价), 工作指引 国科发火〔2016〕195号.

Four indicators, 100 points, passed strictly above 70 (so at least 71, points being whole):

- 知识产权 (30): 技术的先进程度 8, 对主要产品（服务）在技术上发挥核心支持作用 8, 知识产权数量 8,
  知识产权获得方式 6, and 2 more for taking part in drafting a standard, the indicator capped at 30;
- 科技成果转化能力 (30): by the yearly average number of conversions over the judged years;
- 研究开发组织管理水平 (20): four items of 6, 6, 4 and 4 points;
- 企业成长性 (20): 净资产增长率 10 and 销售收入增长率 10, computed from the figures.

Where the rules set a band (the number of IP items, the conversions, the growth rates, whether any IP
was developed in house), the assessor picks whole points inside it; the bands come from the facts, so
:func:`innovation_bands` is asked both when the points are saved and when the verdict is drawn (the
figures behind a band may change after the scoring: the evaluation then waits to be scored again).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..models import InnovationAssessment
from .common import FAIL, MISSING, PASS, Criterion, _, missing_figures, pct, span, value
from .facts import Facts, judged_years
from .ip import usable_ip

PASS_SCORE = 71  # "70分以上（不含70分）"
IP_CAP = 30
STANDARD_BONUS = 2

# (threshold, lowest, highest) from the top band down; a value below the last band scores 0.
CONVERSION_BANDS = ((5, 25, 30), (4, 19, 24), (3, 13, 18), (2, 7, 12), (1, 1, 6))
GROWTH_BANDS = (
    (Decimal("0.35"), 9, 10),
    (Decimal("0.25"), 7, 8),
    (Decimal("0.15"), 5, 6),
    (Decimal("0.05"), 3, 4),
)
GROWTH_POSITIVE = (1, 2)  # a rate above 0 below 5 %
QUALITATIVE_BANDS = gettext_lazy("高 7–8 · 较高 5–6 · 一般 3–4 · 较低 1–2 · 无 0")

# Items whose points the assessor chooses freely up to their maximum.
FREE_ITEMS = {
    "ip_advancement": 8,
    "ip_core_support": 8,
    "rd_management": 6,
    "rd_institution": 6,
    "conversion_system": 4,
    "talent": 4,
}
POINT_FIELDS = (
    "ip_advancement",
    "ip_core_support",
    "ip_quantity",
    "ip_acquisition",
    "conversion",
    "rd_management",
    "rd_institution",
    "conversion_system",
    "talent",
    "net_asset_growth",
    "sales_growth",
)


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    basis: str  # why this band, in words

    def contains(self, points: int) -> bool:
        return self.low <= points <= self.high

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


@dataclass
class InnovationBands:
    """For each item, the band the facts allow, or why it cannot be told yet (``unknown``)."""

    year: int
    years: list[int]
    bands: dict[str, Band] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    has_ip: bool | None = None
    needs_self_developed: bool = False  # no IP register: the assessor says how the IP was obtained

    def errors(self, points: dict) -> dict[str, str]:
        """``{field: reason}`` for every point outside its band, or whose band cannot be told."""
        errors = {}
        for name in POINT_FIELDS:
            given = points.get(name)
            if given is None:
                errors[name] = _("请填写得分。")
            elif name in self.unknown:
                errors[name] = self.unknown[name]
            elif not self.bands[name].contains(given):
                errors[name] = _("应在%(band)s分之间（%(basis)s）。") % {
                    "band": self.bands[name],
                    "basis": self.bands[name].basis,
                }
        return errors


def growth_rate(values: list[Decimal]) -> tuple[Decimal | None, str]:
    """The growth rate the 工作指引 gives for the judged years' year-end values, and how it was taken.

    Three years: ½ × (year2 ÷ year1 + year3 ÷ year2) − 1; year 1 at 0: from years 2 and 3 only; year 2
    at 0: no rate (scores 0). Two years: year2 ÷ year1 − 1. One year: no rate (scores 0).
    """
    if len(values) < 2:
        return None, _("经营不足两个会计年度，无法计算增长率，按0分计")
    if len(values) == 2:
        first, second = values
        if first == 0:
            return None, _("第一年为0，无法计算增长率，按0分计")
        return second / first - 1, _("按两个年度计算")
    first, second, third = values[-3:]
    if second == 0:
        return None, _("第二年为0，按0分计")
    if first == 0:
        return third / second - 1, _("第一年为0，按后两年计算")
    return (second / first + third / second) / 2 - 1, _("按三个年度计算")


def growth_band(rate: Decimal | None) -> tuple[int, int]:
    if rate is None or rate <= 0:
        return 0, 0
    for threshold, low, high in GROWTH_BANDS:
        if rate >= threshold:
            return low, high
    return GROWTH_POSITIVE


def _growth(bands: InnovationBands, facts: Facts, name: str, figure: str, title: str) -> None:
    if not bands.years:
        bands.unknown[name] = _("尚无完整会计年度，无法计算%(title)s") % {"title": title}
        return
    missing = missing_figures(facts.rows, bands.years, (figure,))
    if missing:
        bands.unknown[name] = missing
        return
    rate, how = growth_rate([Decimal(value(facts.rows, y, figure)) for y in bands.years])
    low, high = growth_band(rate)
    basis = _("%(span)s年%(title)s%(rate)s，%(how)s") % {
        "span": span(bands.years),
        "title": title,
        "rate": pct(rate) if rate is not None else "—",
        "how": how,
    }
    bands.bands[name] = Band(low, high, basis)


def _conversion(bands: InnovationBands, facts: Facts) -> None:
    years = bands.years
    if not years:
        bands.unknown["conversion"] = _("尚无完整会计年度，无法计算科技成果转化年均数")
        return
    missing = missing_figures(facts.rows, years, ("conversions_count",))
    if missing:
        bands.unknown["conversion"] = missing
        return
    count = sum(value(facts.rows, y, "conversions_count") for y in years)
    average = Decimal(count) / len(years)
    low = high = 0
    for threshold, band_low, band_high in CONVERSION_BANDS:
        if average >= threshold:
            low, high = band_low, band_high
            break
    basis = _("%(span)s年共转化%(n)s项，年均%(avg)s项") % {
        "span": span(years),
        "n": count,
        "avg": format(average.quantize(Decimal("0.01")), "f"),
    }
    bands.bands["conversion"] = Band(low, high, basis)


def _ip(bands: InnovationBands, facts: Facts, on: datetime.date, self_developed: bool | None) -> None:
    ip = usable_ip(facts, year=bands.year, on=on)
    if not ip.complete and ip.known_total == 0:
        for name in ("ip_advancement", "ip_core_support", "ip_quantity", "ip_acquisition"):
            bands.unknown[name] = ip.missing
        return
    bands.has_ip = ip.known_total > 0
    if not bands.has_ip:
        none = _("没有可计入的知识产权")
        for name in ("ip_advancement", "ip_core_support", "ip_quantity", "ip_acquisition"):
            bands.bands[name] = Band(0, 0, none)
        return
    for name in ("ip_advancement", "ip_core_support"):
        bands.bands[name] = Band(0, FREE_ITEMS[name], str(QUALITATIVE_BANDS))
    described = ip.describe()
    if ip.class_i:
        bands.bands["ip_quantity"] = Band(7, 8, _("%(ip)s：有I类知识产权") % {"ip": described})
    elif ip.class_i is None or ip.class_ii is None:
        bands.unknown["ip_quantity"] = ip.missing
    else:
        n = ip.class_ii
        low, high = (5, 6) if n >= 5 else (3, 4) if n >= 3 else (1, 2)
        bands.bands["ip_quantity"] = Band(low, high, _("%(ip)s：II类%(n)s项") % {"ip": described, "n": n})
    developed = ip.self_developed if ip.from_register else self_developed
    if developed is None:
        bands.needs_self_developed = True
        bands.unknown["ip_acquisition"] = _("请说明是否有自主研发的知识产权（未登记知识产权明细）。")
    elif developed:
        bands.bands["ip_acquisition"] = Band(1, 6, _("有自主研发的知识产权"))
    else:
        bands.bands["ip_acquisition"] = Band(1, 3, _("知识产权仅为受让、受赠或并购取得"))
    if not ip.from_register:
        bands.needs_self_developed = True


def innovation_bands(
    facts: Facts, *, year: int, on: datetime.date, self_developed: bool | None = None
) -> InnovationBands:
    """What the rules allow for each item of an application in ``year`` judged on ``on``."""
    bands = InnovationBands(year=year, years=judged_years(facts.enterprise.registered_on, year))
    _ip(bands, facts, on, self_developed)
    _conversion(bands, facts)
    _growth(bands, facts, "net_asset_growth", "net_assets", _("净资产增长率"))
    _growth(bands, facts, "sales_growth", "sales_revenue", _("销售收入增长率"))
    for name, highest in FREE_ITEMS.items():
        if name.startswith("ip_"):
            continue  # set with the IP (0 when there is none)
        bands.bands[name] = Band(0, highest, _("按评价标准评定"))
    return bands


@dataclass(frozen=True)
class InnovationScore:
    ip: int
    conversion: int
    organisation: int
    growth: int

    @property
    def total(self) -> int:
        return self.ip + self.conversion + self.organisation + self.growth


def score_of(points: dict) -> InnovationScore:
    raw_ip = (
        points["ip_advancement"]
        + points["ip_core_support"]
        + points["ip_quantity"]
        + points["ip_acquisition"]
        + (STANDARD_BONUS if points.get("standard_bonus") else 0)
    )
    return InnovationScore(
        ip=min(IP_CAP, raw_ip),
        conversion=points["conversion"],
        organisation=points["rd_management"]
        + points["rd_institution"]
        + points["conversion_system"]
        + points["talent"],
        growth=points["net_asset_growth"] + points["sales_growth"],
    )


def points_of(assessment: InnovationAssessment) -> dict:
    return {name: getattr(assessment, name) for name in (*POINT_FIELDS, "standard_bonus")}


def criterion(facts: Facts, *, year: int, on: datetime.date) -> tuple[Criterion, InnovationScore | None]:
    """Condition 7: the innovation capability of the application in ``year`` scores above 70."""
    title, required = _("创新能力评价"), _("> 70分（满分100分）")
    assessment = facts.innovation.get(year)
    if assessment is None:
        message = _("%(year)s年度申报的创新能力评价尚未评分") % {"year": year}
        return Criterion("innovation", title, MISSING, "—", required, message), None
    bands = innovation_bands(facts, year=year, on=on, self_developed=assessment.ip_self_developed)
    points = points_of(assessment)
    errors = bands.errors(points)
    score = score_of(points)
    actual = _("%(total)s分") % {"total": score.total}
    # Bands that cannot be told yet (a figure missing) are what is missing, said once; not a re-score.
    unknown = list(dict.fromkeys(bands.unknown[name] for name in errors if name in bands.unknown))
    if unknown:
        return Criterion("innovation", title, MISSING, actual, required, _("；").join(unknown)), None
    if errors:
        stale = _("评分后数据已变化，请重新评分：%(items)s") % {
            "items": _("；").join(
                f"{InnovationAssessment._meta.get_field(name).verbose_name}{reason}"
                for name, reason in errors.items()
            )
        }
        return Criterion("innovation", title, MISSING, actual, required, stale), None
    scorer = (
        assessment.scored_by.display_name or assessment.scored_by.username if assessment.scored_by else ""
    )
    detail = _("知识产权%(ip)s、成果转化%(c)s、研发组织管理%(o)s、成长性%(g)s分（%(who)s%(when)s评价）") % {
        "ip": score.ip,
        "c": score.conversion,
        "o": score.organisation,
        "g": score.growth,
        "who": scorer,
        "when": timezone.localtime(assessment.scored_at).date().isoformat(),
    }
    if score.total >= PASS_SCORE:
        return Criterion("innovation", title, PASS, actual, required, detail), score
    short = _("还差%(n)s分；") % {"n": PASS_SCORE - score.total}
    return Criterion("innovation", title, FAIL, actual, required, short + detail), score


__all__ = [
    "FAIL",
    "PASS",
    "PASS_SCORE",
    "Band",
    "InnovationBands",
    "InnovationScore",
    "criterion",
    "growth_band",
    "growth_rate",
    "innovation_bands",
    "score_of",
]
