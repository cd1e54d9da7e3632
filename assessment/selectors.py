"""The assessment tables the dashboard, jurisdiction pages, bulletin and exports read.

Every number comes from :mod:`assessment.indicators`: live, or from the rollup's snapshots when the
year has a complete and fresh set (see :func:`snapshot_values`). A row of :func:`indicator_table`::

    {
        "scope": "410502" or "city",
        "is_city": bool,
        "jurisdiction": Jurisdiction or None,
        "name": "文峰区" / "全市",               # full name
        "short_name": "文峰区" / "全市",
        "values": {code: Decimal | None},       # every indicator
        "targets": {code: Decimal | None},      # the city's: sum of the jurisdictions' targets
        "progress": {code: Decimal | None},     # value ÷ target × 100, 1 decimal; None without a target
        "rank": {"new_hte": int | None, "valid_hte": int | None},   # 1 = best; ties share; city None
        "notes": {code: str},                  # why a value is unknown ("—"), where the indicator says
        # in INDICATORS order:
        "cells": [{"indicator": Indicator, "code", "value", "target", "progress", "note"}, ...],
        "source": "snapshot" or "live",
        "computed_at": datetime | None,         # the oldest snapshot used; None when live
    }
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.dates import today as portal_today
from anyang_hte.core.models import Jurisdiction
from enterprises.models import Enterprise

from . import indicators
from .indicators import CODES, INDICATORS, Value
from .models import CITY_SCOPE, IndicatorSnapshot, Plan, PublishedValueAdded, Target

RANKED = ("new_hte", "valid_hte")
FUNNEL = ("tech_sme", "hte_candidates", "valid_hte", "little_giant", "leading")
LIVE, SNAPSHOT = "live", "snapshot"


def snapshot_max_age() -> datetime.timedelta:
    """How old a running year's snapshots may be and still be used (default 26 h: a nightly rollup)."""
    return datetime.timedelta(hours=getattr(settings, "ASSESSMENT_SNAPSHOT_MAX_AGE_HOURS", 26))


def snapshot_is_fresh(year: int, oldest: datetime.datetime, *, now: datetime.datetime | None = None) -> bool:
    """Computed within the maximum age, or after the year's end (a closed year's record)."""
    now = now or timezone.now()
    if oldest >= now - snapshot_max_age():
        return True
    return timezone.localtime(oldest).date() > datetime.date(year, 12, 31)


def snapshot_values(
    year: int, *, codes: Sequence[str] | None = None, among: Sequence[Jurisdiction] | None = None
) -> tuple[dict[str, dict[str, Value]], datetime.datetime] | None:
    """``({code: {scope: value}}, oldest computed_at)`` from the snapshots, or None unless every counted
    indicator has a row for every jurisdiction and the city and the set is fresh. A share without a row
    is None (the rollup writes none when the denominator is unknown)."""
    codes = list(codes or CODES)
    among = indicators.jurisdictions() if among is None else list(among)
    rows = IndicatorSnapshot.objects.filter(year=year, indicator__in=codes).values_list(
        "indicator", "scope", "value", "computed_at"
    )
    found: dict[str, dict[str, Decimal]] = {code: {} for code in codes}
    oldest = None
    for code, scope, value, computed_at in rows:
        found[code][scope] = value
        oldest = computed_at if oldest is None else min(oldest, computed_at)
    scopes = [j.code for j in among] + [CITY_SCOPE]
    for code in codes:
        if indicators.get(code).additive and any(scope not in found[code] for scope in scopes):
            return None
    if oldest is None or not snapshot_is_fresh(year, oldest):
        return None
    values = {
        code: {
            scope: indicators.normalise(indicators.get(code).kind, found[code].get(scope)) for scope in scopes
        }
        for code in codes
    }
    return values, oldest


def year_values(
    year: int, *, codes: Sequence[str] | None = None, among: Sequence[Jurisdiction] | None = None
) -> tuple[dict[str, dict[str, Value]], str, datetime.datetime | None]:
    """``(values, source, computed_at)``: the snapshots when complete and fresh, else computed live."""
    among = indicators.jurisdictions() if among is None else list(among)
    snapshot = snapshot_values(year, codes=codes, among=among)
    if snapshot is not None:
        return snapshot[0], SNAPSHOT, snapshot[1]
    return indicators.evaluate_all(year, codes=codes, among=among), LIVE, None


# --- the table ----------------------------------------------------------------------------------


def _progress(value: Value, target: Value) -> Value:
    if value is None or not target:
        return None
    return (value * 100 / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _ranks(values: dict[str, Value], scopes: Iterable[str]) -> dict[str, int | None]:
    """Competition ranking (1, 2, 2, 4), highest first; a missing value has no rank."""
    ranked = {scope: values.get(scope) for scope in scopes if values.get(scope) is not None}
    return {
        scope: 1 + sum(1 for other in ranked.values() if other > value) for scope, value in ranked.items()
    }


def _targets(year: int, among: Sequence[Jurisdiction]) -> dict[str, dict[str, Decimal]]:
    """``{scope: {code: target}}``; the city's target of a counted indicator is the jurisdictions' sum."""
    codes_by_pk = {j.pk: j.code for j in among}
    found: dict[str, dict[str, Decimal]] = {j.code: {} for j in among}
    city: dict[str, Decimal] = {}
    for jurisdiction_id, code, value in Target.objects.filter(year=year).values_list(
        "jurisdiction_id", "indicator", "value"
    ):
        if jurisdiction_id not in codes_by_pk or code not in indicators.BY_CODE:
            continue
        found[codes_by_pk[jurisdiction_id]][code] = value
        if indicators.get(code).additive:
            city[code] = city.get(code, Decimal("0")) + value
    found[CITY_SCOPE] = city
    return found


def build_rows(
    year: int,
    values: dict[str, dict[str, Value]],
    *,
    among: Sequence[Jurisdiction],
    source: str,
    computed_at: datetime.datetime | None,
    scopes: Sequence[str] | None = None,
) -> list[dict]:
    targets = _targets(year, among)
    notes = indicators.unknown_notes(year, values)
    juris_scopes = [j.code for j in among]
    ranks = {code: _ranks(values[code], juris_scopes) for code in RANKED if code in values}
    rows = []
    for jurisdiction in [*among, None]:
        scope = jurisdiction.code if jurisdiction else CITY_SCOPE
        if scopes is not None and scope not in scopes:
            continue
        row_values = {code: values[code].get(scope) for code in values}
        row_targets = {code: targets[scope].get(code) for code in values}
        progress = {code: _progress(row_values[code], row_targets[code]) for code in values}
        row_notes = {code: notes[code][scope] for code in notes if scope in notes[code]}
        rows.append(
            {
                "scope": scope,
                "is_city": jurisdiction is None,
                "jurisdiction": jurisdiction,
                "name": jurisdiction.name if jurisdiction else _("全市"),
                "short_name": (jurisdiction.short_name or jurisdiction.name) if jurisdiction else _("全市"),
                "values": row_values,
                "targets": row_targets,
                "progress": progress,
                "rank": {code: None if jurisdiction is None else ranks[code].get(scope) for code in ranks},
                "notes": row_notes,
                "cells": [
                    {
                        "indicator": indicator,
                        "code": indicator.code,
                        "value": row_values[indicator.code],
                        "target": row_targets[indicator.code],
                        "progress": progress[indicator.code],
                        "note": row_notes.get(indicator.code),
                    }
                    for indicator in INDICATORS
                    if indicator.code in values
                ],
                "source": source,
                "computed_at": computed_at,
            }
        )
    return rows


def live_table(year: int, *, scopes: Sequence[str] | None = None) -> list[dict]:
    """Every indicator computed now (one row per jurisdiction, then the city)."""
    among = indicators.jurisdictions()
    values = indicators.evaluate_all(year, among=among)
    return build_rows(year, values, among=among, source=LIVE, computed_at=None, scopes=scopes)


def snapshot_table(year: int, *, scopes: Sequence[str] | None = None) -> list[dict] | None:
    """The table from the year's snapshots; None unless they are complete and fresh."""
    among = indicators.jurisdictions()
    snapshot = snapshot_values(year, among=among)
    if snapshot is None:
        return None
    values, computed_at = snapshot
    return build_rows(year, values, among=among, source=SNAPSHOT, computed_at=computed_at, scopes=scopes)


def indicator_table(year: int, *, scopes: Sequence[str] | None = None) -> list[dict]:
    """The assessment table: snapshots when complete and fresh for ``year``, else live.

    ``scopes`` keeps only those rows (jurisdiction codes and/or ``"city"``); ranks and the city row
    are always over all jurisdictions. Not scoped to a user: the caller picks what a user may see.
    """
    return snapshot_table(year, scopes=scopes) or live_table(year, scopes=scopes)


# --- charts -------------------------------------------------------------------------------------


def trend(indicator: str, years: Iterable[int]) -> list[dict]:
    """``[{"year", "value" (the city's), "values": {scope: value}, "source"}]``, one per year."""
    indicators.get(indicator)  # KeyError for an unknown code
    among = indicators.jurisdictions()
    points = []
    for year in years:
        values, source, _computed_at = year_values(year, codes=[indicator], among=among)
        points.append(
            {
                "year": year,
                "value": values[indicator][CITY_SCOPE],
                "values": values[indicator],
                "source": source,
            }
        )
    return points


def funnel(year: int) -> list[dict]:
    """The city's pipeline: tech SMEs → HTE candidates → valid HTEs → Little Giants → Leading.

    ``[{"code", "label", "value", "indicator"}]`` in that order.
    """
    values, _source, _computed_at = year_values(year, codes=list(FUNNEL))
    return [
        {
            "code": code,
            "label": indicators.get(code).short_label,
            "value": values[code][CITY_SCOPE],
            "indicator": indicators.get(code),
        }
        for code in FUNNEL
    ]


def snapshot_years() -> list[int]:
    """The years that have snapshots, newest first (for a year picker)."""
    return list(IndicatorSnapshot.objects.order_by("-year").values_list("year", flat=True).distinct())


def last_computed(year: int) -> datetime.datetime | None:
    """When the year's snapshots were last written (the newest computed_at), or None."""
    return IndicatorSnapshot.objects.filter(year=year).aggregate(at=Max("computed_at"))["at"]


# --- the action plans ---------------------------------------------------------------------------

RUNNING, FINISHED, UPCOMING = "running", "finished", "upcoming"
PLAN_CODES = ("new_hte", "valid_hte", "hte_value_added_share")


def _goal_progress(value: Value, goal) -> Value:
    return _progress(value, Decimal(goal)) if goal is not None else None


def _met(value: Value, goal, *, finished: bool, exceed: bool = False) -> bool | None:
    """Whether a finished plan reached ``goal`` (``exceed``: had to pass it); None while it runs or
    when the goal or the value is unknown."""
    if not finished or goal is None or value is None:
        return None
    return value > goal if exceed else value >= goal


def plan_through(plan: Plan, *, today: datetime.date | None = None) -> int | None:
    """The plan's last year counted so far: its last year, or this year while it runs; None before it
    starts."""
    today = today or portal_today()
    return None if today.year < plan.first_year else min(plan.last_year, today.year)


def plan_progress(plan: Plan, *, today: datetime.date | None = None) -> dict:
    """One plan's numbers for the dashboard's panel, the city's, read like the dashboard (snapshots
    when fresh, else live)::

        {"plan", "status" (running / finished / upcoming), "through" (the last year counted, or None),
         "as_of" (the day the valid HTEs are counted on), "yearly": [{"year", code: value, ...}],
         "new_hte": {"value", "goal", "progress", "met"}, "valid_hte": {...},
         "share": {"value", "goal", "progress", "met", "year", "note", "latest": (year, value) or None}}

    New HTEs are added up over the plan's years counted so far (each year as the year's indicator
    counts it, by the counting rule in force); the valid HTEs and the share are those of its last
    year, or of this year while it runs. ``met`` is None while the plan runs.
    """
    today = today or portal_today()
    status = (
        UPCOMING if today.year < plan.first_year else FINISHED if today.year > plan.last_year else RUNNING
    )
    panel = {"plan": plan, "status": status, "through": None, "yearly": []}
    through = plan_through(plan, today=today)
    if through is None:
        return panel
    for year in range(plan.first_year, through + 1):
        values, _source, _at = year_values(year, codes=list(PLAN_CODES))
        panel["yearly"].append({"year": year, **{code: values[code][CITY_SCOPE] for code in PLAN_CODES}})
    last = panel["yearly"][-1]
    finished = status == FINISHED
    new_total = sum((row["new_hte"] or Decimal("0") for row in panel["yearly"]), Decimal("0"))
    valid = last["valid_hte"]
    share = last["hte_value_added_share"]
    known = [row for row in panel["yearly"] if row["hte_value_added_share"] is not None]
    panel |= {
        "through": through,
        "as_of": indicators.period_end(through, today=today),
        "new_hte": {
            "value": new_total,
            "goal": plan.goal_new_hte,
            "progress": _goal_progress(new_total, plan.goal_new_hte),
            "met": _met(new_total, plan.goal_new_hte, finished=finished),
        },
        "valid_hte": {
            "value": valid,
            "goal": plan.goal_valid_hte,
            "progress": _goal_progress(valid, plan.goal_valid_hte),
            "met": _met(valid, plan.goal_valid_hte, finished=finished, exceed=plan.goal_valid_hte_exceeds),
        },
        "share": {
            "value": share,
            "goal": plan.goal_share,
            "progress": _goal_progress(share, plan.goal_share),
            "year": through,
            "met": _met(share, plan.goal_share, finished=finished),
            "note": indicators.unknown_notes(through, {"hte_value_added_share": {CITY_SCOPE: share}})
            .get("hte_value_added_share", {})
            .get(CITY_SCOPE),
            "latest": (known[-1]["year"], known[-1]["hte_value_added_share"])
            if share is None and known
            else None,
        },
    }
    return panel


def plan_panels(*, today: datetime.date | None = None) -> list[dict]:
    """Every plan's panel: the running plan first, then those not started yet, then past plans, the
    latest first."""
    today = today or portal_today()
    order = {RUNNING: 0, UPCOMING: 1, FINISHED: 2}
    panels = [plan_progress(plan, today=today) for plan in Plan.objects.select_related("zone")]
    return sorted(panels, key=lambda p: (order[p["status"]], -p["plan"].last_year, -p["plan"].pk))


def plan_new_hte_grants(plan: Plan, *, today: datetime.date | None = None) -> QuerySet:
    """The certificates behind a plan's "new HTEs" number: those counted as new in its years so far."""
    today = today or portal_today()
    start = datetime.date(plan.first_year, 1, 1)
    end = indicators.period_end(min(plan.last_year, today.year), today=today)
    if start > end:
        return indicators.new_hte_grants(start, start).none()
    return indicators.new_hte_grants(start, end)


def plan_zones() -> dict[str, Plan]:
    """``{jurisdiction code: plan}`` for the high-tech zones the plans name (task 11), the latest plan's."""
    zones: dict[str, Plan] = {}
    for plan in Plan.objects.filter(zone__isnull=False).select_related("zone").order_by("first_year", "pk"):
        zones[plan.zone.code] = plan
    return zones


# --- the statistics bureau's published value-added --------------------------------------------


def published_rows(year: int) -> dict[str, PublishedValueAdded]:
    """``{scope: row}`` of the year's published figures (a jurisdiction code, or "city")."""
    rows = PublishedValueAdded.objects.filter(year=year).select_related("jurisdiction", "entered_by")
    return {row.scope: row for row in rows}


def application_readiness(year: int, *, scopes: Sequence[str] | None = None) -> dict | None:
    """The year's planned HTE applicants by readiness verdict, per jurisdiction and for the city.

    The verdict stored on each enterprise (``hte_ready``) is for an application in the current year, so
    the counts exist for the current year only (None for any other year): the same three values as the
    ledger's badge and filter, 符合 / 不符合 / 待补充. ``scopes``: jurisdiction codes (default: all).
    ``{"year", "rows": [row], "city": row}``, a row being ``{"scope", "name", "pk", "planned", "ready",
    "not_ready", "unknown", "cells"}``; the city row is None when ``scopes`` is given.
    """
    if year != portal_today().year:
        return None
    juris = Jurisdiction.objects.order_by("sort_order", "code")
    if scopes is not None:
        juris = juris.filter(code__in=scopes)
    counts: dict[int, dict[str, int]] = {}
    grouped = (
        Enterprise.objects.filter(planned_year=year, jurisdiction__in=juris)
        .values_list("jurisdiction_id", "hte_ready")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for jurisdiction_id, ready, n in grouped:
        key = {True: "ready", False: "not_ready", None: "unknown"}[ready]
        counts.setdefault(jurisdiction_id, {})[key] = n

    def row(scope: str, name: str, pk: int | None, by_verdict: dict[str, int]) -> dict:
        values = {key: by_verdict.get(key, 0) for key in ("ready", "not_ready", "unknown")}
        planned = sum(values.values())
        # (ledger filter value, count) in column order; "" is every planned applicant
        cells = [("", planned), *values.items()]
        return {"scope": scope, "name": name, "pk": pk, "planned": planned, **values, "cells": cells}

    rows = [row(j.code, j.name, j.pk, counts.get(j.pk, {})) for j in juris]
    city = None
    if scopes is None:
        totals = {key: sum(r[key] for r in rows) for key in ("ready", "not_ready", "unknown")}
        city = row(CITY_SCOPE, _("全市合计"), None, totals)
    return {"year": year, "rows": rows, "city": city}
