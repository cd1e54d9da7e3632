"""Readiness verdicts an official can sign: HTE recognition, the tech-SME evaluation and the gaps, for an
application year (default: the current one) judged on an application date in it.

Three values everywhere: 符合 (every condition met), 不符合 (with the failed conditions), 待补充 (with what
is missing); a verdict is never drawn from an older window when a needed year has no figures, and never
says 符合 while a condition is unknown (the innovation capability not yet scored, say).

    result = assess_enterprise(enterprise, year=2026)
    result.status, result.summary, result.criteria, result.tech_sme, result.forward

Reads only (a few queries, none when the caller prefetched ``facts.FACTS_PREFETCH``); the services store
the verdict of the current year on the enterprise (``hte_ready``) for lists and filters.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from anyang_hte.core.dates import today as portal_today

from . import hte, tech_sme
from .common import FAIL, MISSING, PASS, VERDICT_LABELS, Criterion, _, combine, flag_of
from .facts import FACTS_PREFETCH, Facts, default_application_date, facts_for, judged_years
from .gaps import ForwardGaps, forward_gaps
from .hte import rd_ratio_required
from .innovation import InnovationScore, growth_band, growth_rate, innovation_bands
from .tech_sme import TechSmeScore

FIRST_APPLICATION_YEAR = 2008  # the recognition rules' own start; earlier years are not judged


@dataclass(frozen=True)
class Assessment:
    year: int  # the application year
    on: datetime.date  # the application date it is judged on
    years: list[int]  # the fiscal years judged
    status: str  # PASS | FAIL | MISSING
    criteria: list[Criterion]
    tech_sme: TechSmeScore
    innovation: InnovationScore | None
    forward: ForwardGaps | None  # None when not asked for (a bulk refresh keeps only the verdict)
    this_year: bool = True  # the application year is the current year (its figures are still being made)

    @property
    def hte_ready(self) -> bool | None:
        return flag_of(self.status)

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self.status])

    @property
    def failed(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == FAIL]

    @property
    def missing(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == MISSING]

    @property
    def summary(self) -> str:
        """One line: 符合 / 不符合：… / 待补充：…"""
        if self.status == PASS:
            return _("符合高企认定条件（%(year)s年申报）") % {"year": self.year}
        if self.status == FAIL:
            return _("不符合：%(items)s") % {"items": _("；").join(c.title for c in self.failed)}
        return _("待补充：%(items)s") % {"items": _("；").join(self.missing_messages)}

    @property
    def detail(self) -> str:
        """What stands behind the verdict, for a line beside its badge: the failed conditions, or what is
        missing."""
        if self.status == PASS:
            return _("各项条件均已满足")
        if self.status == FAIL:
            return _("未满足：%(items)s") % {"items": _("；").join(c.title for c in self.failed)}
        return _("；").join(self.missing_messages)

    @property
    def missing_messages(self) -> list[str]:
        """What is missing, each once (a missing year stops several conditions with the same words)."""
        return list(dict.fromkeys(c.message for c in self.missing))


def assess(
    facts: Facts,
    *,
    year: int | None = None,
    on: datetime.date | None = None,
    today: datetime.date | None = None,
    expected_sales: Decimal | None = None,
    expected_staff: Decimal | None = None,
    gaps: bool = True,
) -> Assessment:
    """The verdict for an application in ``year`` (default: this year) judged on ``on`` (default:
    ``facts.default_application_date``); ``gaps=False`` leaves out next year's gaps (``forward``)."""
    today = today or portal_today()
    year = year or today.year
    on = on or default_application_date(year, today)
    years = judged_years(facts.enterprise.registered_on, year)
    criteria, innovation_score = hte.criteria(facts, year=year, on=on, years=years)
    return Assessment(
        year=year,
        on=on,
        years=years,
        status=combine(*(c.status for c in criteria)),
        criteria=criteria,
        tech_sme=tech_sme.evaluate(facts, year=year, on=on),
        innovation=innovation_score,
        forward=forward_gaps(facts, year=year, expected_sales=expected_sales, expected_staff=expected_staff)
        if gaps
        else None,
        this_year=year == today.year,
    )


def assess_enterprise(enterprise, **kwargs) -> Assessment:
    """``assess`` on the enterprise's own facts (see ``assess`` for the keywords)."""
    return assess(facts_for(enterprise), **kwargs)


__all__ = [
    "FACTS_PREFETCH",
    "FAIL",
    "FIRST_APPLICATION_YEAR",
    "MISSING",
    "PASS",
    "VERDICT_LABELS",
    "Assessment",
    "Criterion",
    "Facts",
    "ForwardGaps",
    "InnovationScore",
    "TechSmeScore",
    "assess",
    "assess_enterprise",
    "default_application_date",
    "facts_for",
    "growth_band",
    "growth_rate",
    "innovation_bands",
    "judged_years",
    "rd_ratio_required",
]
