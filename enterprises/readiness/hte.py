"""The eight conditions of HTE recognition (国科发火〔2016〕32号 第十一条, 工作指引 国科发火〔2016〕195号),
for an application in year Y judged on an application date D in Y.

The figures are those of the fiscal years Y−3 … Y−1 (a firm registered less than three years before:
every year since registration, the partial first year included). A needed year without figures is
missing, never skipped and never replaced by an older year.
"""

import datetime
from decimal import Decimal

from anyang_hte.core.dates import add_years

from ..models import HTE_INCIDENT_KINDS, TechField
from . import innovation
from .common import (
    DASH,
    FAIL,
    MISSING,
    PASS,
    Criterion,
    _,
    at_least,
    goal,
    missing_figures,
    pct,
    people,
    people_up,
    span,
    total,
    value,
    wan_up,
)
from .facts import Facts, within_year_before
from .ip import usable_ip

MIN_REGISTERED_DAYS = 365
ST_STAFF_MIN = Decimal("0.10")
# R&D / sales over the judged years, tiered by the last year's sales: (sales at most, required ratio).
RD_RATIO_TIERS = (
    (Decimal("50000000"), Decimal("0.05")),
    (Decimal("200000000"), Decimal("0.04")),
    (None, Decimal("0.03")),
)
DOMESTIC_RD_MIN = Decimal("0.60")
HIGHTECH_REVENUE_MIN = Decimal("0.60")


def rd_ratio_required(last_sales: Decimal) -> Decimal:
    """5 % up to 50M yuan of last year's sales (inclusive), 4 % up to 200M (inclusive), 3 % above."""
    for ceiling, ratio in RD_RATIO_TIERS:
        if ceiling is None or last_sales <= ceiling:
            return ratio
    raise AssertionError("RD_RATIO_TIERS must end with an open tier")


def _no_years(code: str, title: str, required: str) -> Criterion:
    return Criterion(code, title, MISSING, DASH, required, _("尚无完整会计年度的数据（成立当年不能申报）"))


def registered(registered_on: datetime.date | None, on: datetime.date) -> Criterion:
    """1. Registered at least one year (365 days) before the application date."""
    title, required = _("注册成立满一年"), _("≥ %(days)s天") % {"days": MIN_REGISTERED_DAYS}
    if registered_on is None:
        return Criterion("registered", title, MISSING, DASH, required, _("缺少企业成立日期"))
    days = (on - registered_on).days
    actual = _("%(days)s天（%(date)s成立，按%(on)s申报计）") % {
        "days": days,
        "date": registered_on.isoformat(),
        "on": on.isoformat(),
    }
    if days >= MIN_REGISTERED_DAYS:
        return Criterion("registered", title, PASS, actual, required, _("成立已满一年"))
    ready_on = registered_on + datetime.timedelta(days=MIN_REGISTERED_DAYS)
    message = _("成立未满一年，还需%(days)s天（%(date)s起满足）") % {
        "days": MIN_REGISTERED_DAYS - days,
        "date": ready_on.isoformat(),
    }
    return Criterion("registered", title, FAIL, actual, required, message)


def intellectual_property(facts: Facts, year: int, on: datetime.date) -> Criterion:
    """2. Owns IP supporting its main products; a class II item counts in one application only."""
    title, required = _("拥有知识产权"), _("≥ 1项（I类或未用于以往申报的II类）")
    ip = usable_ip(facts, year=year, on=on)
    actual = ip.describe()
    if ip.known_total > 0:
        message = _("可计入知识产权%(n)s项（%(how)s）") % {"n": ip.known_total, "how": ip.source_note()}
        return Criterion("ip", title, PASS, actual, required, message)
    if not ip.complete:
        return Criterion("ip", title, MISSING, actual, required, ip.missing)
    if ip.reused_class_ii:
        message = _("II类知识产权均已用于以往年度的申报，需取得新的知识产权")
    elif ip.from_register:
        message = _("截至%(on)s没有有效的I类或II类知识产权，需至少取得1项") % {"on": on.isoformat()}
    else:
        message = _("%(year)s年未登记I类或II类知识产权，需至少取得1项") % {"year": year - 1}
    return Criterion("ip", title, FAIL, actual, required, message)


def tech_field(field: str) -> Criterion:
    """3. Core technology inside one of the 8 fields of 《国家重点支持的高新技术领域》."""
    title, required = _("技术领域"), _("属于国家重点支持的八大领域")
    if not field:
        return Criterion("tech_field", title, MISSING, DASH, required, _("缺少企业技术领域"))
    if field not in TechField.values:
        message = _("技术领域“%(field)s”不在《国家重点支持的高新技术领域》内") % {"field": field}
        return Criterion("tech_field", title, FAIL, field, required, message)
    label = str(TechField(field).label)
    return Criterion("tech_field", title, PASS, label, required, _("属于重点支持领域"))


def st_staff(rows: dict, years: list[int]) -> Criterion:
    """4. S&T staff at least 10 % of the staff in the last judged year (yearly averages)."""
    title, required = _("科技人员占职工总数比例"), at_least(ST_STAFF_MIN)
    if not years:
        return _no_years("st_staff", title, required)
    last = years[-1]
    missing = missing_figures(rows, [last], ("staff_count", "st_staff_count"))
    if missing:
        return Criterion("st_staff", title, MISSING, DASH, required, missing)
    staff, st = Decimal(value(rows, last, "staff_count")), Decimal(value(rows, last, "st_staff_count"))
    if staff == 0:
        message = _("%(year)s年职工总数为0，无法计算科技人员占比") % {"year": last}
        return Criterion("st_staff", title, FAIL, DASH, required, message)
    ratio = st / staff
    actual = _("%(pct)s（%(st)s/%(staff)s人）") % {
        "pct": pct(ratio),
        "st": people(st),
        "staff": people(staff),
    }
    if ratio >= ST_STAFF_MIN:
        return Criterion("st_staff", title, PASS, actual, required, _("科技人员占比达标"))
    need = staff_gap(staff, st)
    message = _("%(year)s年科技人员平均需增加%(n)s人才能达到%(pct)s") % {
        "year": last,
        "n": people_up(need),
        "pct": goal(ST_STAFF_MIN),
    }
    return Criterion("st_staff", title, FAIL, actual, required, message)


def staff_gap(staff: Decimal, st: Decimal) -> Decimal:
    """More S&T staff needed for 10 %: new S&T staff count in the total too, (st + x) / (staff + x)."""
    return max(Decimal(0), (ST_STAFF_MIN * staff - st) / (1 - ST_STAFF_MIN))


def rd_ratio(rows: dict, years: list[int]) -> Criterion:
    """5. R&D over the judged years at least 5 / 4 / 3 % of sales, by the last year's sales."""
    title = _("近%(n)s年研发费用占销售收入比例") % {"n": len(years)} if years else _("研发费用占销售收入比例")
    if not years:
        return _no_years("rd_ratio", title, _("≥ 3%～5%（按上年销售收入分档）"))
    last_sales = value(rows, years[-1], "sales_revenue")
    threshold = None if last_sales is None else rd_ratio_required(Decimal(last_sales))
    required = _("≥ 3%～5%（按上年销售收入分档）") if threshold is None else at_least(threshold)
    missing = missing_figures(rows, years, ("sales_revenue", "rd_expense"))
    if missing:
        return Criterion("rd_ratio", title, MISSING, DASH, required, missing)
    sales, rd = total(rows, years, "sales_revenue"), total(rows, years, "rd_expense")
    if sales == 0:
        message = _("%(span)s年销售收入合计为0，无法计算研发费用占比") % {"span": span(years)}
        return Criterion("rd_ratio", title, FAIL, DASH, required, message)
    ratio = rd / sales
    if ratio >= threshold:
        message = _("研发费用占比达到%(goal)s") % {"goal": goal(threshold)}
        return Criterion("rd_ratio", title, PASS, pct(ratio), required, message)
    message = _("%(span)s年研发费用合计还差%(gap)s万元才能达到%(goal)s") % {
        "span": span(years),
        "gap": wan_up(threshold * sales - rd),
        "goal": goal(threshold),
    }
    return Criterion("rd_ratio", title, FAIL, pct(ratio), required, message)


def rd_domestic(rows: dict, years: list[int]) -> Criterion:
    """5b. R&D spent in China at least 60 % of all R&D over the judged years."""
    title, required = _("境内研发费用占研发费用总额比例"), at_least(DOMESTIC_RD_MIN)
    if not years:
        return _no_years("rd_domestic", title, required)
    missing = missing_figures(rows, years, ("rd_expense", "rd_expense_domestic"))
    if missing:
        return Criterion("rd_domestic", title, MISSING, DASH, required, missing)
    rd, domestic = total(rows, years, "rd_expense"), total(rows, years, "rd_expense_domestic")
    if rd == 0:
        message = _("%(span)s年研发费用合计为0，无法计算境内研发费用占比") % {"span": span(years)}
        return Criterion("rd_domestic", title, FAIL, DASH, required, message)
    ratio = domestic / rd
    if ratio >= DOMESTIC_RD_MIN:
        return Criterion("rd_domestic", title, PASS, pct(ratio), required, _("境内研发费用占比达标"))
    # New domestic R&D also raises the total: (d + x) / (t + x) >= min.
    gap = (DOMESTIC_RD_MIN * rd - domestic) / (1 - DOMESTIC_RD_MIN)
    message = _("境内研发费用还差%(gap)s万元才能达到%(goal)s") % {
        "gap": wan_up(gap),
        "goal": goal(DOMESTIC_RD_MIN),
    }
    return Criterion("rd_domestic", title, FAIL, pct(ratio), required, message)


def hightech_revenue(rows: dict, years: list[int]) -> Criterion:
    """6. High-tech product (service) revenue at least 60 % of 总收入 in the last judged year."""
    title, required = _("高新技术产品（服务）收入占总收入比例"), at_least(HIGHTECH_REVENUE_MIN)
    if not years:
        return _no_years("hightech_revenue", title, required)
    last = years[-1]
    missing = missing_figures(rows, [last], ("total_income", "hightech_revenue"))
    if missing:
        return Criterion("hightech_revenue", title, MISSING, DASH, required, missing)
    income, hightech = (
        Decimal(value(rows, last, "total_income")),
        Decimal(value(rows, last, "hightech_revenue")),
    )
    if income == 0:
        message = _("%(year)s年总收入为0，无法计算高新技术产品（服务）收入占比") % {"year": last}
        return Criterion("hightech_revenue", title, FAIL, DASH, required, message)
    ratio = hightech / income
    if ratio >= HIGHTECH_REVENUE_MIN:
        message = _("高新技术产品（服务）收入占比达标")
        return Criterion("hightech_revenue", title, PASS, pct(ratio), required, message)
    # New high-tech revenue also raises 总收入: (h + x) / (t + x) >= min.
    gap = (HIGHTECH_REVENUE_MIN * income - hightech) / (1 - HIGHTECH_REVENUE_MIN)
    message = _("%(year)s年高新技术产品（服务）收入还差%(gap)s万元才能达到%(goal)s") % {
        "year": last,
        "gap": wan_up(gap),
        "goal": goal(HIGHTECH_REVENUE_MIN),
    }
    return Criterion("hightech_revenue", title, FAIL, pct(ratio), required, message)


def no_incident(facts: Facts, on: datetime.date) -> Criterion:
    """8. No major safety or quality accident, no serious environmental violation in the year before."""
    title = _("申请前一年内无重大安全、质量事故或严重环境违法行为")
    required = _("%(start)s至%(on)s无") % {"start": add_years(on, -1).isoformat(), "on": on.isoformat()}
    found = [
        incident
        for incident in facts.incidents
        if incident.kind in HTE_INCIDENT_KINDS and within_year_before(incident.occurred_on, on)
    ]
    if not found:
        return Criterion("incidents", title, PASS, _("无"), required, _("未登记相关事故或违法行为"))
    listed = _("；").join(f"{i.occurred_on.isoformat()} {i.get_kind_display()}" for i in found)
    return Criterion(
        "incidents", title, FAIL, listed, required, _("申请前一年内有：%(list)s") % {"list": listed}
    )


def criteria(facts: Facts, *, year: int, on: datetime.date, years: list[int]):
    """The eight conditions in the order of 第十一条 (R&D and its domestic share under 5); and the
    innovation score when it could be drawn."""
    innovation_criterion, innovation_score = innovation.criterion(facts, year=year, on=on)
    rows = facts.rows
    return [
        registered(facts.enterprise.registered_on, on),
        intellectual_property(facts, year, on),
        tech_field(facts.enterprise.tech_field),
        st_staff(rows, years),
        rd_ratio(rows, years),
        rd_domestic(rows, years),
        hightech_revenue(rows, years),
        innovation_criterion,
        no_incident(facts, on),
    ], innovation_score
