"""The assessment tables the dashboard, jurisdiction pages, bulletin and exports read.

Every number a page shows comes from the rollup's snapshots (:func:`year_values`), never computed in a
request: a year without a complete and fresh set reads as COMPUTING (what exists, None elsewhere), and
the page says so while the rollup it queued runs (``services.rollup_missing``). The indicators are
computed from the ledger by :mod:`assessment.indicators` in the rollup job only (``live_table`` is the
same computation for the rollup's checks and the tests). A row of :func:`indicator_table`::

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
        "source": "snapshot" or "computing",  # computing: no complete, fresh set (yet)
        "computed_at": datetime | None,         # the oldest snapshot used; None without any
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
from applications.selectors import CountyTally, RoundNumbers, numbers_from_tallies, round_of, round_tallies
from enterprises.models import Enterprise

from . import indicators
from .indicators import CODES, INDICATORS, Value
from .models import CITY_SCOPE, IndicatorSnapshot, Plan, PublishedValueAdded, Target

RANKED = ("new_hte", "valid_hte")
TREND_YEARS = 5  # the dashboard's trend: this many years ending with the year shown
FUNNEL = ("tech_sme", "hte_candidates", "valid_hte", "little_giant", "leading")
# SNAPSHOT: the year's snapshots are complete and fresh. COMPUTING: they are missing, incomplete or stale
# and a rollup has to run: the page shows what exists and says the year is being computed. LIVE: computed
# in this process (``live_table``: the rollup's check and the tests, never a page).
LIVE, SNAPSHOT, COMPUTING = "live", "snapshot", "computing"


def snapshot_max_age() -> datetime.timedelta:
    """How old a running year's snapshots may be and still be used (default 26 h: a nightly rollup)."""
    return datetime.timedelta(hours=getattr(settings, "ASSESSMENT_SNAPSHOT_MAX_AGE_HOURS", 26))


def snapshot_is_fresh(year: int, oldest: datetime.datetime, *, now: datetime.datetime | None = None) -> bool:
    """Computed within the maximum age, or after the year's end (a closed year's record)."""
    now = now or timezone.now()
    if oldest >= now - snapshot_max_age():
        return True
    return timezone.localtime(oldest).date() > datetime.date(year, 12, 31)


def _snapshot_rows(years: Iterable[int], codes: Sequence[str]) -> dict[int, list[tuple]]:
    """``{year: [(indicator, scope, value, computed_at)]}`` of the snapshots of ``years`` (one query)."""
    found: dict[int, list[tuple]] = {year: [] for year in years}
    rows = IndicatorSnapshot.objects.filter(year__in=list(found), indicator__in=list(codes)).values_list(
        "year", "indicator", "scope", "value", "computed_at"
    )
    for year, *row in rows:
        found[year].append(tuple(row))
    return found


def _read(
    year: int, rows: list[tuple], codes: Sequence[str], among: Sequence[Jurisdiction]
) -> tuple[dict[str, dict[str, Value]], str, datetime.datetime | None]:
    """``(values, source, oldest computed_at)`` from one year's snapshot rows: SNAPSHOT when every
    counted indicator has a row for every jurisdiction and the city and the set is fresh, else COMPUTING
    (the values that exist, None elsewhere; a rollup of the year has to run). A share without a row is
    None (the rollup writes none when the denominator is unknown)."""
    found: dict[str, dict[str, Decimal]] = {code: {} for code in codes}
    oldest = None
    for code, scope, value, computed_at in rows:
        found[code][scope] = value
        oldest = computed_at if oldest is None else min(oldest, computed_at)
    scopes = [j.code for j in among] + [CITY_SCOPE]
    complete = all(
        not indicators.get(code).additive or all(scope in found[code] for scope in scopes) for code in codes
    )
    ready = complete and oldest is not None and snapshot_is_fresh(year, oldest)
    values = {
        code: {
            scope: indicators.normalise(indicators.get(code).kind, found[code].get(scope)) for scope in scopes
        }
        for code in codes
    }
    return values, SNAPSHOT if ready else COMPUTING, oldest


def snapshot_values(
    year: int, *, codes: Sequence[str] | None = None, among: Sequence[Jurisdiction] | None = None
) -> tuple[dict[str, dict[str, Value]], datetime.datetime] | None:
    """``({code: {scope: value}}, oldest computed_at)`` from the snapshots, or None unless every counted
    indicator has a row for every jurisdiction and the city and the set is fresh."""
    values, source, oldest = year_values(year, codes=codes, among=among)
    return (values, oldest) if source == SNAPSHOT else None


def year_values(
    year: int, *, codes: Sequence[str] | None = None, among: Sequence[Jurisdiction] | None = None
) -> tuple[dict[str, dict[str, Value]], str, datetime.datetime | None]:
    """``(values, source, computed_at)`` from the snapshots only, never computed here: ``source`` is
    SNAPSHOT when they are complete and fresh, else COMPUTING (what exists, None elsewhere): the page
    says the year is being computed and a rollup is queued (``services.rollup_missing``)."""
    codes = list(codes or CODES)
    among = indicators.jurisdictions() if among is None else list(among)
    return _read(year, _snapshot_rows([year], codes)[year], codes, among)


def years_values(
    years: Iterable[int], *, codes: Sequence[str], among: Sequence[Jurisdiction] | None = None
) -> dict[int, tuple[dict[str, dict[str, Value]], str, datetime.datetime | None]]:
    """:func:`year_values` of several years in one query: ``{year: (values, source, computed_at)}``."""
    codes = list(codes)
    among = indicators.jurisdictions() if among is None else list(among)
    rows = _snapshot_rows(years, codes)
    return {year: _read(year, rows[year], codes, among) for year in rows}


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
    # why a value is unknown, when the set is complete; a missing snapshot is not a reason
    notes = indicators.unknown_notes(year, values) if source in (SNAPSHOT, LIVE) else {}
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
    """Every indicator computed now from the ledger (one row per jurisdiction, then the city): what a
    rollup writes. For jobs and tests; a page reads :func:`indicator_table`."""
    among = indicators.jurisdictions()
    values = indicators.evaluate_all(year, among=among)
    return build_rows(year, values, among=among, source=LIVE, computed_at=None, scopes=scopes)


def snapshot_table(year: int, *, scopes: Sequence[str] | None = None) -> list[dict] | None:
    """The table from the year's snapshots; None unless they are complete and fresh."""
    table = indicator_table(year, scopes=scopes)
    return table if table[0]["source"] == SNAPSHOT else None


def indicator_table(year: int, *, scopes: Sequence[str] | None = None) -> list[dict]:
    """The assessment table from the year's snapshots (``source`` SNAPSHOT), or, while they are missing,
    incomplete or stale, what exists (``source`` COMPUTING, None where there is no snapshot).

    ``scopes`` keeps only those rows (jurisdiction codes and/or ``"city"``); ranks and the city row
    are always over all jurisdictions. Not scoped to a user: the caller picks what a user may see.
    """
    among = indicators.jurisdictions()
    values, source, computed_at = year_values(year, among=among)
    return build_rows(year, values, among=among, source=source, computed_at=computed_at, scopes=scopes)


# --- charts -------------------------------------------------------------------------------------


def trend(indicator: str, years: Iterable[int]) -> list[dict]:
    """``[{"year", "value" (the city's), "values": {scope: value}, "source"}]``, one per year, from the
    snapshots (one query)."""
    indicators.get(indicator)  # KeyError for an unknown code
    points = []
    for year, (values, source, _computed_at) in years_values(years, codes=[indicator]).items():
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
    """The city's pipeline: tech SMEs → HTE candidates → valid HTEs → Little Giants → Leading, from the
    snapshots.

    ``[{"code", "label", "value", "indicator", "source"}]`` in that order.
    """
    values, source, _computed_at = year_values(year, codes=list(FUNNEL))
    return [
        {
            "code": code,
            "label": indicators.get(code).short_label,
            "value": values[code][CITY_SCOPE],
            "indicator": indicators.get(code),
            "source": source,
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
    """One plan's numbers for the dashboard's panel, the city's, read like the dashboard (from the
    snapshots; a year still computing has ``"source": COMPUTING`` and its values None)::

        {"plan", "status" (running / finished / upcoming), "through" (the last year counted, or None),
         "as_of" (the day the valid HTEs are counted on), "yearly": [{"year", "source", code: value}],
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
    read = years_values(range(plan.first_year, through + 1), codes=list(PLAN_CODES))
    for year, (values, source, _at) in read.items():
        panel["yearly"].append(
            {"year": year, "source": source, **{code: values[code][CITY_SCOPE] for code in PLAN_CODES}}
        )
    last = panel["yearly"][-1]
    finished = status == FINISHED
    computing = [row["year"] for row in panel["yearly"] if row["source"] != SNAPSHOT]
    # a total over years some of which are still being computed is not known yet
    new_total = (
        None if computing else sum((row["new_hte"] or Decimal("0") for row in panel["yearly"]), Decimal("0"))
    )
    valid = last["valid_hte"]
    share = last["hte_value_added_share"]
    known = [row for row in panel["yearly"] if row["hte_value_added_share"] is not None]
    panel |= {
        "through": through,
        "computing": computing,
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


def published_share(year: int, *, among: Sequence[Jurisdiction]) -> dict[str, dict[str, Value]]:
    """``{"hte_value_added_share": {scope: value}}`` computed now from the published figures (a few dozen
    rows, not the ledger), so the page that enters them shows the share at once."""
    return {"hte_value_added_share": indicators.evaluate("hte_value_added_share", year, among=among)}


def published_rows(year: int) -> dict[str, PublishedValueAdded]:
    """``{scope: row}`` of the year's published figures (a jurisdiction code, or "city")."""
    rows = PublishedValueAdded.objects.filter(year=year).select_related("jurisdiction", "entered_by")
    return {row.scope: row for row in rows}


# --- the counts beside the indicators (the rollup stores them like the indicators) ----------------
# Snapshot rows whose ``indicator`` is one of these keys, per jurisdiction code: the planned applicants
# by readiness verdict (the current year only) and the year's application round by status, returned
# condition and outcome reason (``round.entries`` of the city: the round was counted, even if empty).
READINESS_KEYS = {True: "ready", False: "not_ready", None: "unknown"}
READINESS_PREFIX, ROUND_PREFIX = "readiness.", "round."
ROUND_COUNTED = "round.entries"


def readiness_counts(year: int, jurisdiction_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """``{jurisdiction id: {"ready", "not_ready", "unknown": n}}`` of the enterprises planning to apply
    in ``year``, counted in the database (the rollup job; a page reads :func:`application_readiness`)."""
    counts = {pk: dict.fromkeys(READINESS_KEYS.values(), 0) for pk in jurisdiction_ids}
    grouped = (
        Enterprise.objects.filter(planned_year=year, jurisdiction_id__in=list(jurisdiction_ids))
        .values_list("jurisdiction_id", "hte_ready")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for jurisdiction_id, ready, n in grouped:
        counts[jurisdiction_id][READINESS_KEYS[ready]] = n
    return counts


def _count_rows(year: int, prefix: str, scopes: Sequence[str]) -> tuple[dict[str, dict[str, int]], bool]:
    """``({scope: {key after the prefix: n}}, any row)`` of the year's stored counts under ``prefix``."""
    found: dict[str, dict[str, int]] = {}
    rows = IndicatorSnapshot.objects.filter(
        year=year, indicator__startswith=prefix, scope__in=[*scopes, CITY_SCOPE]
    ).values_list("scope", "indicator", "value")
    for scope, code, value in rows:
        found.setdefault(scope, {})[code.removeprefix(prefix)] = int(value)
    return found, bool(rows)


def application_readiness(year: int, *, scopes: Sequence[str] | None = None) -> dict | None:
    """The year's planned HTE applicants by readiness verdict, per jurisdiction and for the city, as the
    rollup counted them (a page never counts the ledger).

    The verdict stored on each enterprise (``hte_ready``) is for an application in the current year, so
    the counts exist for the current year only (None for any other year): the same three values as the
    ledger's badge and filter, 符合 / 不符合 / 待补充. ``scopes``: jurisdiction codes (default: all).
    ``{"year", "source", "rows": [row], "city": row}``, a row being ``{"scope", "name", "pk", "planned",
    "ready", "not_ready", "unknown", "cells"}``; the city row is None when ``scopes`` is given. ``source``
    is COMPUTING (and the rows empty) until a rollup of the year has counted them.
    """
    if year != portal_today().year:
        return None
    juris = Jurisdiction.objects.order_by("sort_order", "code")
    if scopes is not None:
        juris = juris.filter(code__in=scopes)
    juris = list(juris)
    counts, counted = _count_rows(year, READINESS_PREFIX, [j.code for j in juris])
    if not counted:
        return {"year": year, "source": COMPUTING, "rows": [], "city": None}

    def row(scope: str, name: str, pk: int | None, by_verdict: dict[str, int]) -> dict:
        values = {key: by_verdict.get(key, 0) for key in ("ready", "not_ready", "unknown")}
        planned = sum(values.values())
        # (ledger filter value, count) in column order; "" is every planned applicant
        cells = [("", planned), *values.items()]
        return {"scope": scope, "name": name, "pk": pk, "planned": planned, **values, "cells": cells}

    rows = [row(j.code, j.name, j.pk, counts.get(j.code, {})) for j in juris]
    city = None
    if scopes is None:
        totals = {key: sum(r[key] for r in rows) for key in ("ready", "not_ready", "unknown")}
        city = row(CITY_SCOPE, _("全市合计"), None, totals)
    return {"year": year, "source": SNAPSHOT, "rows": rows, "city": city}


def round_tally_rows(year: int, among: Sequence[Jurisdiction]) -> dict[str, dict[str, int]] | None:
    """The snapshot rows the rollup writes for the year's application round (None: no round that year):
    ``{indicator key: {scope: n}}``, counted in the database (the rollup job)."""
    round_ = round_of(year)
    if round_ is None:
        return None
    tallies = round_tallies(round_, [j.pk for j in among])
    rows: dict[str, dict[str, int]] = {
        ROUND_COUNTED: {CITY_SCOPE: sum(sum(t.status.values()) for t in tallies.values())}
    }
    for j in among:
        tally = tallies[j.pk]
        for kind, counter in (
            ("status", tally.status),
            ("condition", tally.condition),
            ("outcome", tally.outcome),
        ):
            for key, n in counter.items():
                if n:
                    rows.setdefault(f"{ROUND_PREFIX}{kind}.{key}", {})[j.code] = n
    return rows


def counts_taken(year: int) -> bool:
    """A rollup has stored the year's counts the pages show: the readiness counts (this year's) and the
    round's (when the year has a round)."""
    stored = IndicatorSnapshot.objects.filter(year=year)
    if year == portal_today().year and not stored.filter(indicator__startswith=READINESS_PREFIX).exists():
        return False
    return round_of(year) is None or stored.filter(scope=CITY_SCOPE, indicator=ROUND_COUNTED).exists()


def application_round(year: int, *, scopes: Sequence[str] | None = None) -> tuple[RoundNumbers | None, str]:
    """``(numbers, source)``: the year's HTE application round per county as the rollup counted it
    (``scopes``: some counties' codes only). ``(None, SNAPSHOT)`` when no round was opened that year;
    ``(None, COMPUTING)`` when there is a round the rollup has not counted yet."""
    round_ = round_of(year)
    if round_ is None:
        return None, SNAPSHOT
    juris = list(Jurisdiction.objects.all())
    if scopes is not None:
        juris = [j for j in juris if j.code in scopes]
    found, _any = _count_rows(year, ROUND_PREFIX, [j.code for j in juris])
    if "entries" not in found.get(CITY_SCOPE, {}):
        return None, COMPUTING
    tallies = {}
    for j in juris:
        tally = tallies[j.pk] = CountyTally()
        for key, n in found.get(j.code, {}).items():
            kind, _dot, value = key.partition(".")
            getattr(tally, kind)[value] += n
    return numbers_from_tallies(round_, juris, tallies), SNAPSHOT
