"""The gap an official can still act on this year: what this year's R&D and S&T staff must reach so that
the application *next* year passes, given this year's expected sales and staff (entered, else this
year's figures if already there, else last year's)."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from anyang_hte.core.money import CENT

from .common import _, goal, missing_figures, people, people_up, span, total, value, wan, wan_up
from .facts import Facts, judged_years
from .hte import ST_STAFF_MIN, rd_ratio_required, staff_gap


@dataclass(frozen=True)
class ForwardGaps:
    year: int  # this year: the figures still to be made
    next_year: int  # the application they decide
    years: list[int]  # the years that application is judged on
    expected_sales: Decimal | None
    sales_source: str
    rd_needed: Decimal | None  # this year's R&D that makes the ratio pass (0 when already enough)
    rd_message: str
    expected_staff: Decimal | None
    staff_source: str
    st_needed: Decimal | None  # more S&T staff, on yearly average, for 10 %
    staff_message: str


def _expected(facts: Facts, year: int, field: str, entered: Decimal | None) -> tuple[Decimal | None, str]:
    if entered is not None:
        return Decimal(entered), _("按填写的预计数")
    this_year = value(facts.rows, year, field)
    if this_year is not None:
        return Decimal(this_year), _("按%(year)s年已录入数") % {"year": year}
    last_year = value(facts.rows, year - 1, field)
    if last_year is not None:
        return Decimal(last_year), _("按上年（%(year)s年）数") % {"year": year - 1}
    return None, ""


def forward_gaps(
    facts: Facts,
    *,
    year: int,
    expected_sales: Decimal | None = None,
    expected_staff: Decimal | None = None,
) -> ForwardGaps:
    """Gaps for the application in ``year`` + 1 that this year's (``year``) figures can still close."""
    next_year = year + 1
    years = judged_years(facts.enterprise.registered_on, next_year)
    past = [y for y in years if y != year]
    sales, sales_source = _expected(facts, year, "sales_revenue", expected_sales)
    staff, staff_source = _expected(facts, year, "staff_count", expected_staff)

    rd_needed = None
    missing = missing_figures(facts.rows, past, ("sales_revenue", "rd_expense"))
    if year not in years:
        rd_message = _("%(next)s年申报不使用%(year)s年的数据") % {"next": next_year, "year": year}
    elif missing:
        rd_message = missing
    elif sales is None:
        rd_message = _("请填写%(year)s年预计销售收入") % {"year": year}
    else:
        threshold = rd_ratio_required(sales)
        required = threshold * (total(facts.rows, past, "sales_revenue") + sales)
        rd_needed = max(Decimal(0), required - total(facts.rows, past, "rd_expense")).quantize(
            CENT, rounding=ROUND_CEILING
        )
        if rd_needed == 0:
            text = _(
                "%(next)s年申报按%(span)s年计：%(year)s年销售收入%(sales)s万元（%(source)s）时，"
                "以往年度的研发费用已使占比达到%(goal)s，%(year)s年研发费用不影响这一条件"
            )
        else:
            text = _(
                "%(next)s年申报按%(span)s年计：%(year)s年销售收入%(sales)s万元（%(source)s）时，"
                "%(year)s年研发费用至少需%(rd)s万元，研发费用占比才能达到%(goal)s"
            )
        rd_message = text % {
            "next": next_year,
            "span": span(years),
            "year": year,
            "sales": wan(sales),
            "source": sales_source,
            "rd": wan_up(rd_needed),
            "goal": goal(threshold),
        }

    st = value(facts.rows, year, "st_staff_count")
    if st is None:
        st = value(facts.rows, year - 1, "st_staff_count")
    st_needed = None
    if staff is None or st is None:
        staff_message = missing_figures(facts.rows, [year - 1], ("staff_count", "st_staff_count")) or _(
            "请填写%(year)s年预计职工总数"
        ) % {"year": year}
    else:
        st = Decimal(st)
        st_needed = staff_gap(staff, min(st, staff))
        if st_needed == 0:
            staff_message = _(
                "%(year)s年职工%(staff)s人（%(source)s）、科技人员%(st)s人，占比已达%(goal)s"
            ) % {
                "year": year,
                "staff": people(staff),
                "source": staff_source,
                "st": people(st),
                "goal": goal(ST_STAFF_MIN),
            }
        else:
            staff_message = _(
                "%(year)s年职工%(staff)s人（%(source)s）时，科技人员平均需增加%(n)s人，占比才能达到%(goal)s"
            ) % {
                "year": year,
                "staff": people(staff),
                "source": staff_source,
                "n": people_up(st_needed),
                "goal": goal(ST_STAFF_MIN),
            }
    return ForwardGaps(
        year=year,
        next_year=next_year,
        years=years,
        expected_sales=sales,
        sales_source=sales_source,
        rd_needed=rd_needed,
        rd_message=rd_message,
        expected_staff=staff,
        staff_source=staff_source,
        st_needed=st_needed,
        staff_message=staff_message,
    )
