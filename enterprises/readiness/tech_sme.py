"""The tech-SME evaluation (科技型中小企业评价办法, 国科发政〔2017〕115号) for a filing year Y, on a day D.

A firm is a tech SME when it is small enough (staff ≤ 500, sales ≤ 200M yuan, total assets ≤ 200M yuan
in the last fiscal year), is not excluded (products in a prohibited, restricted or eliminated category;
in the filing year or the year before: a major safety or quality accident, a serious environmental
violation, serious research misconduct, listed as operating abnormally or as seriously dishonest), and
either takes a direct route or scores at least 60 with a non-zero staff score. The direct routes: a
valid HTE certificate; a national S&T award within five years, ranked among the first three units; a
research institution recognised at provincial or ministerial level or above; led the drafting of an
international, national or industry standard within five years. Class I IP is not a direct route (it
gives the full 30 points). A registration is valid for its calendar year only.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from anyang_hte.core.dates import add_years

from ..models import DistinctionKind, IncidentKind, QualificationKind
from .common import FAIL, MISSING, PASS, _, band, combine, missing_figures, pct, status_of, value
from .facts import Facts
from .ip import usable_ip

STAFF_BANDS = (
    (Decimal("0.30"), 20),
    (Decimal("0.25"), 16),
    (Decimal("0.20"), 12),
    (Decimal("0.15"), 8),
    (Decimal("0.10"), 4),
)
RD_SALES_BANDS = (
    (Decimal("0.06"), 50),
    (Decimal("0.05"), 40),
    (Decimal("0.04"), 30),
    (Decimal("0.03"), 20),
    (Decimal("0.02"), 10),
)
RD_COSTS_BANDS = (
    (Decimal("0.30"), 50),
    (Decimal("0.25"), 40),
    (Decimal("0.20"), 30),
    (Decimal("0.15"), 20),
    (Decimal("0.10"), 10),
)
RD_MAX = 50
CLASS1_SCORE = 30
CLASS2_BANDS = ((4, 24), (3, 18), (2, 12), (1, 6))
MIN_TOTAL = 60
MAX_STAFF = 500
MAX_SALES = Decimal("200000000")
MAX_ASSETS = Decimal("200000000")
ROUTE_YEARS = 5  # an award or a standard counts within five years
# Listings last until the firm is removed; the other records are events on a day.
LISTING_KINDS = frozenset({IncidentKind.ABNORMAL_OPERATION, IncidentKind.SERIOUS_DISHONESTY})


@dataclass(frozen=True)
class TechSmeScore:
    status: str  # PASS | FAIL | MISSING: whether the firm qualifies as a tech SME
    total: int | None
    staff_score: int | None
    rd_score: int | None
    results_score: int | None
    rd_basis: str | None  # "sales" | "costs"; None while the R&D score cannot be decided
    size_ok: bool | None
    routes: list[str]  # the direct routes the firm takes
    exclusions: list[str]  # what excludes it
    messages: list[str]

    @property
    def qualifies(self) -> bool | None:
        return True if self.status == PASS else False if self.status == FAIL else None


def _staff_part(rows: dict, last: int) -> tuple[int | None, str]:
    """S&T staff share (20 points)."""
    staff, st = value(rows, last, "staff_count"), value(rows, last, "st_staff_count")
    if staff is None or st is None:
        return None, _("科技人员：%(m)s") % {
            "m": missing_figures(rows, [last], ("staff_count", "st_staff_count"))
        }
    if staff == 0:
        return 0, _("科技人员：职工总数为0，得0分")
    share = Decimal(st) / Decimal(staff)
    score = band(share, STAFF_BANDS)
    return score, _("科技人员：占职工总数%(pct)s，得%(s)s分（满分20分）") % {"pct": pct(share), "s": score}


def _rd_part(rows: dict, last: int) -> tuple[int | None, str | None, str]:
    """R&D (50 points): the better of R&D / sales and R&D / total costs."""
    rd = value(rows, last, "rd_expense")
    if rd is None:
        return None, None, _("研发投入：%(m)s") % {"m": missing_figures(rows, [last], ("rd_expense",))}
    parts, unknown = [], []
    for basis, field, bands in (
        ("sales", "sales_revenue", RD_SALES_BANDS),
        ("costs", "total_costs", RD_COSTS_BANDS),
    ):
        denominator = value(rows, last, field)
        label = _("销售收入") if basis == "sales" else _("成本费用总额")
        if denominator is None:
            unknown.append(field)
        elif denominator == 0:
            parts.append((0, basis, _("%(label)s为0无法计算，得0分") % {"label": label}))
        else:
            ratio = Decimal(rd) / Decimal(denominator)
            score = band(ratio, bands)
            text = _("占%(label)s%(pct)s，得%(s)s分") % {"label": label, "pct": pct(ratio), "s": score}
            parts.append((score, basis, text))
    best = max(parts, key=lambda part: part[0], default=None)  # a tie keeps the sales basis
    if unknown and (best is None or best[0] < RD_MAX):
        # The missing basis might score higher: undecided rather than a score that may be too low.
        return None, None, _("研发投入：%(m)s") % {"m": missing_figures(rows, [last], tuple(unknown))}
    score, basis = best[0], best[1]
    message = _("研发投入：研发费用%(parts)s；取较高者，按%(chosen)s计得%(s)s分（满分50分）") % {
        "parts": _("，").join(part[2] for part in parts),
        "chosen": _("销售收入") if basis == "sales" else _("成本费用总额"),
        "s": score,
    }
    return score, basis, message


def _results_part(facts: Facts, year: int, on: datetime.date) -> tuple[int | None, str]:
    """Results (30 points): any class I IP scores in full, else by the number of class II items."""
    ip = usable_ip(facts, year=year, on=on, reuse_matters=False)
    if ip.class_i:
        return CLASS1_SCORE, _("科技成果：拥有I类知识产权%(n)s项，得%(s)s分") % {
            "n": ip.class_i,
            "s": CLASS1_SCORE,
        }
    if not ip.complete:
        return None, _("科技成果：%(m)s") % {"m": ip.missing}
    score = band(ip.class_ii, CLASS2_BANDS)
    return score, _("科技成果：无I类知识产权，II类%(n)s项，得%(s)s分") % {"n": ip.class_ii, "s": score}


def _size_part(rows: dict, last: int) -> tuple[bool | None, str]:
    limits = {"staff_count": MAX_STAFF, "sales_revenue": MAX_SALES, "total_assets": MAX_ASSETS}
    values = {field: value(rows, last, field) for field in limits}
    statuses = [
        MISSING if values[f] is None else status_of(values[f] <= limit) for f, limit in limits.items()
    ]
    size = combine(*statuses)
    if size == FAIL:
        return False, _("规模：超出科技型中小企业规模（职工≤500人，销售收入、资产总额≤2亿元）")
    if size == MISSING:
        return None, _("规模：%(m)s") % {"m": missing_figures(rows, [last], tuple(limits))}
    return True, _("规模：职工不超过500人，销售收入、资产总额均不超过2亿元")


def _routes(facts: Facts, on: datetime.date) -> list[str]:
    since = add_years(on, -ROUTE_YEARS)
    routes = []
    if facts.holds_valid(QualificationKind.HTE, on):
        routes.append(_("持有有效的高新技术企业证书"))
    for item in facts.distinctions:
        if item.obtained_on > on:
            continue
        if (
            item.kind == DistinctionKind.NATIONAL_AWARD
            and item.obtained_on >= since
            and (item.rank or 99) <= 3
        ):
            routes.append(_("近五年内获得国家级科技奖励并在获奖单位中排名前三：%(t)s") % {"t": item.title})
        elif item.kind == DistinctionKind.RESEARCH_INSTITUTION and (
            item.ended_on is None or item.ended_on > on
        ):
            routes.append(_("拥有省部级以上研发机构：%(t)s") % {"t": item.title})
        elif item.kind == DistinctionKind.STANDARD_LEAD and item.obtained_on >= since:
            routes.append(_("近五年内主导制定国际标准、国家标准或行业标准：%(t)s") % {"t": item.title})
    return routes


def _exclusions(facts: Facts, year: int, on: datetime.date) -> list[str]:
    """What excludes the firm: its products' category; adverse records in the filing year or the one
    before (a listing counts while it lasts into that period)."""
    found = []
    if facts.enterprise.restricted_industry:
        found.append(_("主要产品属于国家规定的禁止、限制或淘汰类"))
    start = datetime.date(year - 1, 1, 1)
    for incident in facts.incidents:
        if incident.occurred_on > on:
            continue
        if incident.kind in LISTING_KINDS:
            counts = incident.ended_on is None or incident.ended_on >= start  # listed during the period
        else:
            counts = incident.occurred_on >= start
        if counts:
            found.append(f"{incident.occurred_on.isoformat()} {incident.get_kind_display()}")
    return found


def evaluate(facts: Facts, *, year: int, on: datetime.date) -> TechSmeScore:
    """The evaluation for filing year ``year`` on ``on``, on the figures of the year before."""
    rows, last = facts.rows, year - 1
    staff_score, staff_message = _staff_part(rows, last)
    rd_score, rd_basis, rd_message = _rd_part(rows, last)
    results_score, results_message = _results_part(facts, year, on)
    size_ok, size_message = _size_part(rows, last)
    messages = [staff_message, rd_message, results_message, size_message]

    scores = (staff_score, rd_score, results_score)
    total = None if None in scores else sum(scores)
    if staff_score == 0:
        score_status = FAIL
    else:
        score_status = MISSING if total is None else status_of(total >= MIN_TOTAL)
    routes = _routes(facts, on)
    exclusions = _exclusions(facts, year, on)
    if routes:
        route_status = PASS
        messages.append(_("直通条件：%(r)s（满足规模条件即可）") % {"r": _("；").join(routes)})
    else:
        route_status = score_status
        if score_status == FAIL:
            messages.append(_("评分需不低于60分且科技人员指标不得为0分"))
    if exclusions:
        messages.append(_("不得评价：%(e)s") % {"e": _("；").join(exclusions)})
    status = combine(status_of(size_ok), route_status, FAIL if exclusions else PASS)
    return TechSmeScore(
        status=status,
        total=total,
        staff_score=staff_score,
        rd_score=rd_score,
        results_score=results_score,
        rd_basis=rd_basis,
        size_ok=size_ok,
        routes=routes,
        exclusions=exclusions,
        messages=messages,
    )
