"""How close an enterprise is to HTE recognition, and its tech-SME evaluation score.

Reads the enterprise's annual figures (one query, or none when ``figures`` is prefetched) and whether
it holds a valid HTE certificate (one query). Writes nothing: ``services.enterprise_refresh_readiness``
stores the two headline results. All arithmetic is ``Decimal``; percentages are shown rounded *down*
to 2 decimals, so a shown value never claims a threshold the exact value misses, and money gaps are
rounded *up* to 0.01 万元, so adding the shown amount is always enough.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.money import CENT, wan_rounded

from .models import Qualification, QualificationKind, TechField

PASS, FAIL, MISSING = "pass", "fail", "missing"

# --- HTE recognition (国科发火〔2016〕32号, guideline 国科发火〔2016〕195号) ----------------------------

MIN_REGISTERED_DAYS = 365
ST_STAFF_MIN = Decimal("0.10")
# R&D / sales over the last 3 fiscal years, tiered by last year's sales: (sales at most, required ratio).
RD_RATIO_TIERS = (
    (Decimal("50000000"), Decimal("0.05")),
    (Decimal("200000000"), Decimal("0.04")),
    (None, Decimal("0.03")),
)
DOMESTIC_RD_MIN = Decimal("0.60")
HIGHTECH_REVENUE_MIN = Decimal("0.60")

# Growth score bands of the innovation-capability evaluation: (rate at least, score), first match wins;
# a rate above 0 below the last band scores GROWTH_POSITIVE_SCORE, a rate ≤ 0 scores 0.
# UNCONFIRMED: domain.md gives ranges (≥35% 9–10, ≥25% 7–8, ≥15% 5–6, ≥5% 3–4, >0 1–2); the top of
# each range is used here. Move these to admin-editable data once the tech bureau confirms them.
GROWTH_BANDS = ((Decimal("0.35"), 10), (Decimal("0.25"), 8), (Decimal("0.15"), 6), (Decimal("0.05"), 4))
GROWTH_POSITIVE_SCORE = 2

# --- Tech-SME evaluation (国科发政〔2017〕115号) ------------------------------------------------------

TSME_STAFF_BANDS = (
    (Decimal("0.30"), 20),
    (Decimal("0.25"), 16),
    (Decimal("0.20"), 12),
    (Decimal("0.15"), 8),
    (Decimal("0.10"), 4),
)
TSME_RD_SALES_BANDS = (
    (Decimal("0.06"), 50),
    (Decimal("0.05"), 40),
    (Decimal("0.04"), 30),
    (Decimal("0.03"), 20),
    (Decimal("0.02"), 10),
)
TSME_RD_COSTS_BANDS = (
    (Decimal("0.30"), 50),
    (Decimal("0.25"), 40),
    (Decimal("0.20"), 30),
    (Decimal("0.15"), 20),
    (Decimal("0.10"), 10),
)
TSME_RD_MAX = 50
TSME_CLASS1_SCORE = 30
TSME_CLASS2_BANDS = ((4, 24), (3, 18), (2, 12), (1, 6))
TSME_MIN_TOTAL = 60
TSME_MAX_STAFF = 500
TSME_MAX_SALES = Decimal("200000000")
TSME_MAX_ASSETS = Decimal("200000000")

FIELD_LABELS = {
    "sales_revenue": gettext_lazy("营业收入"),
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
}

DASH = "—"


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    status: str  # PASS | FAIL | MISSING
    actual: str
    required: str
    message: str
    informational: bool = False  # shown, but never decides hte_ready (the growth rates)


@dataclass(frozen=True)
class TechSmeScore:
    total: int | None
    staff_score: int | None
    rd_score: int | None
    results_score: int | None
    rd_basis: str | None  # "sales" | "costs"; None while the R&D score cannot be decided
    size_ok: bool | None
    qualifies: bool | None
    messages: list[str]


@dataclass(frozen=True)
class Assessment:
    hte_ready: bool | None
    criteria: list[Criterion]
    tech_sme: TechSmeScore
    years: list[int]


def assess_enterprise(enterprise, *, on: datetime.date, has_valid_hte: bool | None = None) -> Assessment:
    """Check the enterprise against the criteria. ``has_valid_hte`` may be given by a bulk caller."""
    rows = {row.year: row for row in enterprise.figures.all()}
    years = _select_years(rows, enterprise.registered_on, on)
    last = years[-1]
    criteria = [
        _registered(enterprise.registered_on, on),
        _ip(rows, last),
        _tech_field(enterprise.tech_field),
        _st_staff(rows, last),
        _rd_ratio(rows, years),
        _rd_domestic(rows, years),
        _hightech_revenue(rows, last),
        _growth(rows, years, "net_assets", "net_asset_growth", _("净资产增长率")),
        _growth(rows, years, "sales_revenue", "sales_growth", _("销售收入增长率")),
    ]
    deciding = [c.status for c in criteria if not c.informational]
    hte_ready = False if FAIL in deciding else None if MISSING in deciding else True
    has_hte = has_valid_hte
    if has_hte is None:
        has_hte = (
            Qualification.objects.filter(enterprise=enterprise, kind=QualificationKind.HTE)
            .valid_on(on)
            .exists()
        )
    return Assessment(
        hte_ready=hte_ready, criteria=criteria, tech_sme=_tech_sme(rows, last, has_hte), years=years
    )


# --- helpers --------------------------------------------------------------------------------------


def _select_years(rows: dict, registered_on: datetime.date | None, on: datetime.date) -> list[int]:
    """Up to 3 fiscal years ending with the latest one that has figures, no later than last year.

    An enterprise registered within those years is judged over the years it has existed (its
    registration year counts only if figures were entered for it).
    """
    first_possible = registered_on.year if registered_on else None
    usable = [y for y in rows if y <= on.year - 1 and (first_possible is None or y >= first_possible)]
    last = max(usable, default=on.year - 1)
    first = last - 2
    if first_possible is not None and first_possible > first:
        first = first_possible
        if first < last and first not in rows:
            first += 1
    return list(range(first, last + 1)) or [last]


def _value(rows: dict, year: int, field: str):
    row = rows.get(year)
    return None if row is None else getattr(row, field)


def _missing(rows: dict, years: list[int], fields: tuple[str, ...]) -> str:
    """'缺少2023年营业收入、研发费用；2024年研发费用', or '' when nothing is missing."""
    parts = []
    for year in years:
        absent = [str(FIELD_LABELS[f]) for f in fields if _value(rows, year, f) is None]
        if absent:
            parts.append(_("%(year)s年%(fields)s") % {"year": year, "fields": _("、").join(absent)})
    return _("缺少%(items)s") % {"items": _("；").join(parts)} if parts else ""


def _sum(rows: dict, years: list[int], field: str) -> Decimal:
    return sum((Decimal(_value(rows, y, field)) for y in years), Decimal(0))


def _pct(ratio: Decimal) -> str:
    return f"{(ratio * 100).quantize(CENT, rounding=ROUND_FLOOR)}%"


def _goal(threshold: Decimal) -> str:
    """Decimal("0.05") -> '5%'."""
    return f"{format((threshold * 100).normalize(), 'f')}%"


def _at_least(threshold: Decimal) -> str:
    return f"≥ {_goal(threshold)}"


def _wan(yuan: Decimal, rounding=ROUND_HALF_UP) -> str:
    return str(wan_rounded(yuan, rounding=rounding))


def _band(value, bands, default: int = 0) -> int:
    for threshold, score in bands:
        if value >= threshold:
            return score
    return default


def _all(*values: bool | None) -> bool | None:
    """Three-valued AND: False beats unknown, unknown beats True."""
    return False if False in values else None if None in values else True


def _span(years: list[int]) -> str:
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])


def rd_ratio_required(last_sales: Decimal) -> Decimal:
    for ceiling, ratio in RD_RATIO_TIERS:
        if ceiling is None or last_sales <= ceiling:
            return ratio
    raise AssertionError("RD_RATIO_TIERS must end with an open tier")


# --- HTE criteria ---------------------------------------------------------------------------------


def _registered(registered_on: datetime.date | None, on: datetime.date) -> Criterion:
    title, required = _("注册成立满一年"), _("≥ %(days)s天") % {"days": MIN_REGISTERED_DAYS}
    if registered_on is None:
        return Criterion("registered", title, MISSING, DASH, required, _("缺少企业成立日期"))
    days = (on - registered_on).days
    actual = _("%(days)s天（%(date)s成立）") % {"days": days, "date": registered_on.isoformat()}
    if days >= MIN_REGISTERED_DAYS:
        return Criterion("registered", title, PASS, actual, required, _("成立已满一年"))
    ready_on = registered_on + datetime.timedelta(days=MIN_REGISTERED_DAYS)
    message = _("成立未满一年，还需%(days)s天（%(date)s起满足）") % {
        "days": MIN_REGISTERED_DAYS - days,
        "date": ready_on.isoformat(),
    }
    return Criterion("registered", title, FAIL, actual, required, message)


def _ip(rows: dict, last: int) -> Criterion:
    title, required = _("拥有知识产权"), _("≥ 1项（I类或II类）")
    c1, c2 = _value(rows, last, "ip_class1_count"), _value(rows, last, "ip_class2_count")
    actual = _("I类%(c1)s项，II类%(c2)s项") % {
        "c1": DASH if c1 is None else c1,
        "c2": DASH if c2 is None else c2,
    }
    if (c1 or 0) + (c2 or 0) > 0:
        message = _("拥有知识产权%(n)s项") % {"n": (c1 or 0) + (c2 or 0)}
        return Criterion("ip", title, PASS, actual, required, message)
    if c1 is None or c2 is None:
        missing = _missing(rows, [last], ("ip_class1_count", "ip_class2_count"))
        return Criterion("ip", title, MISSING, actual, required, missing)
    message = _("%(year)s年未登记I类或II类知识产权，需至少取得1项") % {"year": last}
    return Criterion("ip", title, FAIL, actual, required, message)


def _tech_field(tech_field: str) -> Criterion:
    title, required = _("技术领域"), _("属于国家重点支持的八大领域")
    if not tech_field:
        return Criterion("tech_field", title, MISSING, DASH, required, _("缺少企业技术领域"))
    if tech_field not in TechField.values:
        message = _("技术领域“%(field)s”不在《国家重点支持的高新技术领域》内") % {"field": tech_field}
        return Criterion("tech_field", title, FAIL, tech_field, required, message)
    label = str(TechField(tech_field).label)
    return Criterion("tech_field", title, PASS, label, required, _("属于重点支持领域"))


def _st_staff(rows: dict, last: int) -> Criterion:
    title, required = _("科技人员占职工总数比例"), _at_least(ST_STAFF_MIN)
    missing = _missing(rows, [last], ("staff_count", "st_staff_count"))
    if missing:
        return Criterion("st_staff", title, MISSING, DASH, required, missing)
    staff, st = Decimal(_value(rows, last, "staff_count")), Decimal(_value(rows, last, "st_staff_count"))
    if staff == 0:
        message = _("%(year)s年职工总数为0，无法计算科技人员占比") % {"year": last}
        return Criterion("st_staff", title, FAIL, DASH, required, message)
    ratio = st / staff
    actual = _("%(pct)s（%(st)s/%(staff)s人）") % {"pct": _pct(ratio), "st": st, "staff": staff}
    if ratio >= ST_STAFF_MIN:
        return Criterion("st_staff", title, PASS, actual, required, _("科技人员占比达标"))
    # New S&T staff count in the total too: (st + x) / (staff + x) >= min.
    need = ((ST_STAFF_MIN * staff - st) / (1 - ST_STAFF_MIN)).to_integral_value(rounding=ROUND_CEILING)
    message = _("科技人员需增加%(n)s人才能达到%(pct)s") % {"n": need, "pct": _goal(ST_STAFF_MIN)}
    return Criterion("st_staff", title, FAIL, actual, required, message)


def _rd_ratio(rows: dict, years: list[int]) -> Criterion:
    title = _("近%(n)s年研发费用占营业收入比例") % {"n": len(years)}
    last_sales = _value(rows, years[-1], "sales_revenue")
    threshold = None if last_sales is None else rd_ratio_required(last_sales)
    required = _("≥ 3%～5%（按上年营业收入分档）") if threshold is None else _at_least(threshold)
    missing = _missing(rows, years, ("sales_revenue", "rd_expense"))
    if missing:
        return Criterion("rd_ratio", title, MISSING, DASH, required, missing)
    sales, rd = _sum(rows, years, "sales_revenue"), _sum(rows, years, "rd_expense")
    if sales == 0:
        message = _("%(span)s年营业收入合计为0，无法计算研发费用占比") % {"span": _span(years)}
        return Criterion("rd_ratio", title, FAIL, DASH, required, message)
    ratio = rd / sales
    goal = _goal(threshold)
    if ratio >= threshold:
        message = _("研发费用占比达到%(goal)s") % {"goal": goal}
        return Criterion("rd_ratio", title, PASS, _pct(ratio), required, message)
    message = _("研发费用需增加%(gap)s万元才能达到%(goal)s") % {
        "gap": _wan(threshold * sales - rd, ROUND_CEILING),
        "goal": goal,
    }
    return Criterion("rd_ratio", title, FAIL, _pct(ratio), required, message)


def _rd_domestic(rows: dict, years: list[int]) -> Criterion:
    title, required = _("境内研发费用占研发费用总额比例"), _at_least(DOMESTIC_RD_MIN)
    missing = _missing(rows, years, ("rd_expense", "rd_expense_domestic"))
    if missing:
        return Criterion("rd_domestic", title, MISSING, DASH, required, missing)
    total, domestic = _sum(rows, years, "rd_expense"), _sum(rows, years, "rd_expense_domestic")
    if total == 0:
        message = _("%(span)s年研发费用合计为0，无法计算境内研发费用占比") % {"span": _span(years)}
        return Criterion("rd_domestic", title, FAIL, DASH, required, message)
    ratio = domestic / total
    if ratio >= DOMESTIC_RD_MIN:
        return Criterion("rd_domestic", title, PASS, _pct(ratio), required, _("境内研发费用占比达标"))
    # New domestic R&D also raises the total: (d + x) / (t + x) >= min.
    gap = (DOMESTIC_RD_MIN * total - domestic) / (1 - DOMESTIC_RD_MIN)
    message = _("境内研发费用需增加%(gap)s万元才能达到%(goal)s") % {
        "gap": _wan(gap, ROUND_CEILING),
        "goal": _goal(DOMESTIC_RD_MIN),
    }
    return Criterion("rd_domestic", title, FAIL, _pct(ratio), required, message)


def _hightech_revenue(rows: dict, last: int) -> Criterion:
    title, required = _("高新技术产品（服务）收入占比"), _at_least(HIGHTECH_REVENUE_MIN)
    missing = _missing(rows, [last], ("sales_revenue", "hightech_revenue"))
    if missing:
        return Criterion("hightech_revenue", title, MISSING, DASH, required, missing)
    sales, hightech = (
        Decimal(_value(rows, last, "sales_revenue")),
        Decimal(_value(rows, last, "hightech_revenue")),
    )
    if sales == 0:
        message = _("%(year)s年营业收入为0，无法计算高新技术产品（服务）收入占比") % {"year": last}
        return Criterion("hightech_revenue", title, FAIL, DASH, required, message)
    ratio = hightech / sales
    if ratio >= HIGHTECH_REVENUE_MIN:
        message = _("高新技术产品（服务）收入占比达标")
        return Criterion("hightech_revenue", title, PASS, _pct(ratio), required, message)
    # New high-tech revenue also raises total revenue: (h + x) / (s + x) >= min.
    gap = (HIGHTECH_REVENUE_MIN * sales - hightech) / (1 - HIGHTECH_REVENUE_MIN)
    message = _("高新技术产品（服务）收入需增加%(gap)s万元才能达到%(goal)s") % {
        "gap": _wan(gap, ROUND_CEILING),
        "goal": _goal(HIGHTECH_REVENUE_MIN),
    }
    return Criterion("hightech_revenue", title, FAIL, _pct(ratio), required, message)


def growth_rate(values: list[Decimal]) -> Decimal:
    """½ × (y2/y1 + y3/y2) − 1 for three years; the mean year-on-year ratio − 1 for fewer."""
    ratios = [Decimal(b) / Decimal(a) for a, b in zip(values, values[1:], strict=False)]
    return sum(ratios, Decimal(0)) / len(ratios) - 1


def growth_score(rate: Decimal) -> int:
    return _band(rate, GROWTH_BANDS, default=GROWTH_POSITIVE_SCORE if rate > 0 else 0)


def _growth(rows: dict, years: list[int], field: str, code: str, title: str) -> Criterion:
    required = _("仅供参考（创新能力评价成长性指标）")
    if len(years) < 2:
        message = _("经营不足两个会计年度，无法计算增长率")
        return Criterion(code, title, MISSING, DASH, required, message, informational=True)
    missing = _missing(rows, years, (field,))
    if missing:
        return Criterion(code, title, MISSING, DASH, required, missing, informational=True)
    values = [Decimal(_value(rows, y, field)) for y in years]
    for year, value in zip(years[:-1], values[:-1], strict=True):
        if value <= 0:
            message = _("%(year)s年%(label)s为%(value)s万元，作为增长基数无法计算增长率") % {
                "year": year,
                "label": FIELD_LABELS[field],
                "value": _wan(value),
            }
            return Criterion(code, title, MISSING, DASH, required, message, informational=True)
    rate = growth_rate(values)
    message = _("%(span)s年%(title)s%(rate)s，成长性得分%(score)s分（分档标准待确认）") % {
        "span": _span(years),
        "title": title,
        "rate": _pct(rate),
        "score": growth_score(rate),
    }
    return Criterion(code, title, PASS, _pct(rate), required, message, informational=True)


# --- tech-SME evaluation --------------------------------------------------------------------------


def _staff_part(rows: dict, last: int) -> tuple[int | None, str]:
    """S&T staff share (20 points)."""
    staff, st = _value(rows, last, "staff_count"), _value(rows, last, "st_staff_count")
    if staff is None or st is None:
        return None, _("科技人员：%(m)s") % {"m": _missing(rows, [last], ("staff_count", "st_staff_count"))}
    if staff == 0:
        return 0, _("科技人员：职工总数为0，得0分")
    share = Decimal(st) / Decimal(staff)
    score = _band(share, TSME_STAFF_BANDS)
    return score, _("科技人员：占职工总数%(pct)s，得%(s)s分（满分20分）") % {"pct": _pct(share), "s": score}


def _rd_part(rows: dict, last: int) -> tuple[int | None, str | None, str]:
    """R&D (50 points): the better of R&D / sales and R&D / total costs."""
    rd = _value(rows, last, "rd_expense")
    if rd is None:
        return None, None, _("研发投入：%(m)s") % {"m": _missing(rows, [last], ("rd_expense",))}
    parts, unknown = [], []
    for basis, field, bands in (
        ("sales", "sales_revenue", TSME_RD_SALES_BANDS),
        ("costs", "total_costs", TSME_RD_COSTS_BANDS),
    ):
        denominator, label = _value(rows, last, field), FIELD_LABELS[field]
        if denominator is None:
            unknown.append(field)
        elif denominator == 0:
            parts.append((0, basis, _("%(label)s为0无法计算，得0分") % {"label": label}))
        else:
            ratio = Decimal(rd) / Decimal(denominator)
            score = _band(ratio, bands)
            text = _("占%(label)s%(pct)s，得%(s)s分") % {"label": label, "pct": _pct(ratio), "s": score}
            parts.append((score, basis, text))
    best = max(parts, key=lambda part: part[0], default=None)  # a tie keeps the sales basis
    if unknown and (best is None or best[0] < TSME_RD_MAX):
        # The missing basis might score higher: undecided rather than a score that may be too low.
        return None, None, _("研发投入：%(m)s") % {"m": _missing(rows, [last], tuple(unknown))}
    score, basis = best[0], best[1]
    message = _("研发投入：研发费用%(parts)s；取较高者，按%(chosen)s计得%(s)s分（满分50分）") % {
        "parts": _("，").join(part[2] for part in parts),
        "chosen": FIELD_LABELS["sales_revenue" if basis == "sales" else "total_costs"],
        "s": score,
    }
    return score, basis, message


def _results_part(rows: dict, last: int) -> tuple[int | None, str]:
    """Results (30 points): any Class I IP scores in full, else by the number of Class II items."""
    c1, c2 = _value(rows, last, "ip_class1_count"), _value(rows, last, "ip_class2_count")
    if c1 is not None and c1 > 0:
        score = TSME_CLASS1_SCORE
        return score, _("科技成果：拥有I类知识产权%(n)s项，得%(s)s分") % {"n": c1, "s": score}
    if c1 is None or c2 is None:
        missing = _missing(rows, [last], ("ip_class1_count", "ip_class2_count"))
        return None, _("科技成果：%(m)s") % {"m": missing}
    score = _band(c2, TSME_CLASS2_BANDS)
    return score, _("科技成果：无I类知识产权，II类%(n)s项，得%(s)s分") % {"n": c2, "s": score}


def _size_part(rows: dict, last: int) -> tuple[bool | None, str]:
    limits = {"staff_count": TSME_MAX_STAFF, "sales_revenue": TSME_MAX_SALES, "total_assets": TSME_MAX_ASSETS}
    values = {field: _value(rows, last, field) for field in limits}
    size_ok = _all(*(None if values[f] is None else values[f] <= limit for f, limit in limits.items()))
    if size_ok is None:
        return None, _("规模：%(m)s") % {"m": _missing(rows, [last], tuple(limits))}
    if size_ok:
        return True, _("规模：职工不超过500人，营业收入、资产总额均不超过2亿元")
    return False, _("规模：超出科技型中小企业规模（职工≤500人，营业收入、资产总额≤2亿元）")


def _tech_sme(rows: dict, last: int, has_hte: bool) -> TechSmeScore:
    staff_score, staff_message = _staff_part(rows, last)
    rd_score, rd_basis, rd_message = _rd_part(rows, last)
    results_score, results_message = _results_part(rows, last)
    size_ok, size_message = _size_part(rows, last)
    messages = [staff_message, rd_message, results_message, size_message]

    scores = (staff_score, rd_score, results_score)
    total = None if None in scores else sum(scores)
    if staff_score == 0:
        score_ok = False
    else:
        score_ok = None if total is None else total >= TSME_MIN_TOTAL
    if has_hte:
        route = True
        messages.append(_("持有有效高新技术企业证书，满足规模条件即可直接确认为科技型中小企业"))
    else:
        route = score_ok
        if score_ok is False:
            messages.append(_("评分需不低于60分且科技人员指标不得为0分"))
    return TechSmeScore(
        total=total,
        staff_score=staff_score,
        rd_score=rd_score,
        results_score=results_score,
        rd_basis=rd_basis,
        size_ok=size_ok,
        qualifies=_all(size_ok, route),
        messages=messages,
    )
