"""Everything the verdict reads about one enterprise, gathered once: the yearly figures, the IP register,
the adverse records, the tech-SME direct routes, the innovation evaluations and the qualifications.

``facts_for(enterprise)`` uses what a bulk caller prefetched (``FACTS_PREFETCH``), so a thousand verdicts
cost a few queries, not a few per enterprise.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch

from anyang_hte.core.dates import add_years

from ..models import (
    AnnualFigures,
    Distinction,
    Enterprise,
    Incident,
    InnovationAssessment,
    IntellectualProperty,
    Qualification,
)

FACTS_PREFETCH = (
    "figures",
    "ip_items",
    "incidents",
    "distinctions",
    # the scorer is named in the verdict: fetched with the assessment, not one query per enterprise
    Prefetch("innovation_assessments", queryset=InnovationAssessment.objects.select_related("scored_by")),
    "qualifications",
)


@dataclass
class Facts:
    enterprise: Enterprise
    rows: dict[int, AnnualFigures]
    ip_items: list[IntellectualProperty] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    distinctions: list[Distinction] = field(default_factory=list)
    innovation: dict[int, InnovationAssessment] = field(default_factory=dict)
    qualifications: list[Qualification] = field(default_factory=list)

    @property
    def has_ip_register(self) -> bool:
        """The firm's IP is kept item by item; without it the yearly counts stand in."""
        return bool(self.ip_items)

    def holds_valid(self, kind: str, on: datetime.date) -> bool:
        return any(
            q.kind == kind
            and q.granted_on <= on
            and (q.expires_on is None or q.expires_on >= on)
            and (q.revoked_on is None or q.revoked_on > on)
            for q in self.qualifications
        )


def facts_for(enterprise: Enterprise) -> Facts:
    return Facts(
        enterprise=enterprise,
        rows={row.year: row for row in enterprise.figures.all()},
        ip_items=list(enterprise.ip_items.all()),
        incidents=list(enterprise.incidents.all()),
        distinctions=list(enterprise.distinctions.all()),
        innovation={a.application_year: a for a in enterprise.innovation_assessments.all()},
        qualifications=list(enterprise.qualifications.all()),
    )


def facts_of_many(enterprises: list[Enterprise]) -> dict[int, Facts]:
    """``facts_for`` of many enterprises, read with one query per kind of record (no prefetch machinery:
    a bulk refresh of 100,000 enterprises would otherwise build 600,000 related managers)."""
    ids = [e.pk for e in enterprises]
    facts = {e.pk: Facts(enterprise=e, rows={}) for e in enterprises}
    for row in AnnualFigures.objects.filter(enterprise_id__in=ids):
        facts[row.enterprise_id].rows[row.year] = row
    for model, name in (
        (IntellectualProperty, "ip_items"),
        (Incident, "incidents"),
        (Distinction, "distinctions"),
        (Qualification, "qualifications"),
    ):
        for item in model.objects.filter(enterprise_id__in=ids):
            getattr(facts[item.enterprise_id], name).append(item)
    for item in InnovationAssessment.objects.filter(enterprise_id__in=ids).select_related("scored_by"):
        facts[item.enterprise_id].innovation[item.application_year] = item
    return facts


def judged_years(registered_on: datetime.date | None, year: int) -> list[int]:
    """The fiscal years an application in ``year`` is judged on: year−3 … year−1, or, for a firm
    registered less than three years before, every year since registration, the partial first year
    included (工作指引: 实际经营期). Empty for a firm registered in the application year itself."""
    first = year - 3
    if registered_on is not None and registered_on.year > first:
        first = registered_on.year
    return list(range(first, year))


def default_application_date(year: int, today: datetime.date) -> datetime.date:
    """The day an application in ``year`` is judged on, unless the user gives one: today for this year;
    1 January for a later year (the earliest day of that round); 31 December for an earlier one."""
    if year == today.year:
        return today
    if year > today.year:
        return datetime.date(year, 1, 1)
    return datetime.date(year, 12, 31)


def within_year_before(day: datetime.date, on: datetime.date) -> bool:
    """``day`` falls in the year before ``on`` (申请认定前一年内): from that date a year earlier to ``on``."""
    return add_years(on, -1) <= day <= on
