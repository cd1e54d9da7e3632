"""The city dashboard's numbers: one table from ``selectors.indicator_table``, the trend and the funnel,
and for each chart the spec ``static/js/charts.js`` draws (read from ``json_script`` in the template);
the growth of valid HTEs and the value-added share beside the figures they come from (task 11 and the
40 % goal). The plans' panels come from ``selectors.plan_panels``.

Every chart is drawn from the same rows its table shows, so the picture and the numbers agree.

Everything is read from the rollup's snapshots, nothing counted from the ledger in the request: a year
shown (the year, each trend year, the year before for the growth) without a complete and fresh set is
listed in ``computing``; the view queues its rollup (``services.rollup_missing``) and the page says the
year is being computed, showing what exists.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from anyang_hte.core.money import wan_rounded

from . import indicators, selectors
from .forms import FIRST_YEAR


def _num(value):
    """A Decimal as a JSON number for Chart.js (None stays None)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _wan(value):
    """Yuan as a JSON number of 万元 with two decimals (Chart.js draws numbers; the table shows text)."""
    return None if value is None else float(wan_rounded(value))


TREND_YEARS = selectors.TREND_YEARS
# The dashboard's columns, by indicator code: the labels, units and formats come from the registry.
TARGETED = ("new_hte", "valid_hte")  # done, target, progress and rank
OTHERS = ("tech_sme", "hte_candidates", "helper_share", "overdue_milestones")
MONEY = ("rewards_committed", "rewards_approved", "rewards_paid_city", "rewards_paid_county")
MONEY_COLORS = (2, 3, 1, 5)


def _cells(row: dict, codes) -> list[dict]:
    by_code = {cell["code"]: cell for cell in row["cells"]}
    return [by_code[code] | {"rank": row["rank"].get(code)} for code in codes]


def growth_rows(year: int, table: list[dict], *, valid_before: dict | None = None) -> list[dict]:
    """Per row of ``table``: the valid HTEs a year before and now, the growth, the published figures and
    the share (with why a value is unknown), and the plan that names the row's zone (task 11).
    ``valid_before``: the year before's valid HTEs by scope, when the caller has them already."""
    if valid_before is None:  # from the snapshots; None (shown as —) while the year is computed
        valid_before = selectors.year_values(year - 1, codes=["valid_hte"])[0]["valid_hte"]
    published = selectors.published_rows(year)
    zones = selectors.plan_zones()
    rows = []
    for r in table:
        cells = {c["code"]: c for c in r["cells"]}
        rows.append(
            {
                "scope": r["scope"],
                "is_city": r["is_city"],
                "name": r["name"],
                "valid_before": valid_before.get(r["scope"]),
                "valid": r["values"]["valid_hte"],
                "growth": cells["hte_growth"],
                "share": cells["hte_value_added_share"],
                "published": published.get(r["scope"]),
                "zone_plan": zones.get(r["scope"]),
            }
        )
    return rows


def unknown_reasons(rows: list[dict], keys=("growth", "share")) -> list[dict]:
    """The notes of the unknown values in ``rows``, each once with the names it applies to, in order:
    ``[{"indicator": Indicator, "note": str, "names": [str, ...]}]``."""
    grouped: dict[tuple[str, str], dict] = {}
    for key in keys:
        for row in rows:
            cell = row[key]
            if cell["value"] is None and cell.get("note"):
                entry = grouped.setdefault(
                    (cell["code"], cell["note"]),
                    {"indicator": cell["indicator"], "note": cell["note"], "names": []},
                )
                entry["names"].append(row["name"])
    for entry in grouped.values():
        if len(entry["names"]) == len(rows):
            entry["names"] = [_("全市和各县区")]
    return list(grouped.values())


def dashboard_data(year: int) -> dict:
    """The dashboard's tables and the Chart.js specs drawn from the same numbers (static/js/charts.js)."""
    table = selectors.indicator_table(year)
    rows = [r for r in table if not r["is_city"]]
    city = next(r for r in table if r["is_city"])
    labels = [r["short_name"] for r in rows]

    for r in table:
        r["targeted"], r["others"], r["money"] = _cells(r, TARGETED), _cells(r, OTHERS), _cells(r, MONEY)

    targeted = [indicators.get(code) for code in TARGETED]
    targets_chart = {
        "type": "bar",
        "unit": str(targeted[0].unit),
        "labels": labels,
        "datasets": [
            dataset
            for color, ind in enumerate(targeted)
            for dataset in (
                {
                    "label": str(ind.short_label),
                    "data": [_num(r["values"][ind.code]) for r in rows],
                    "color": color,
                },
                {
                    "label": _("%(indicator)s目标") % {"indicator": ind.short_label},
                    "data": [_num(r["targets"][ind.code]) for r in rows],
                    "color": color,
                    "target": True,
                },
            )
        ],
    }

    first = max(FIRST_YEAR, year - TREND_YEARS + 1)
    years = list(range(first, year + 1))
    new_trend = selectors.trend("new_hte", years)
    valid_trend = selectors.trend("valid_hte", years)
    trend_rows = [
        {
            "year": a["year"],
            "new_hte": a["value"],
            "valid_hte": b["value"],
            "source": a["source"] if a["source"] == b["source"] else selectors.COMPUTING,
        }
        for a, b in zip(new_trend, valid_trend, strict=True)
    ]
    computing = {row["year"] for row in trend_rows if row["source"] != selectors.SNAPSHOT}
    if city["source"] != selectors.SNAPSHOT:
        computing.add(year)
    trend_chart = {
        "type": "line",
        "unit": str(targeted[0].unit),
        "labels": [str(y) for y in years],
        "datasets": [
            {"label": str(ind.short_label), "data": [_num(r[ind.code]) for r in trend_rows], "color": color}
            for color, ind in enumerate(targeted)
        ],
    }

    funnel = selectors.funnel(year)  # the year's snapshots, like the table
    funnel_chart = {
        "type": "bar",
        "horizontal": True,
        "unit": str(_("家")),
        "labels": [str(step["label"]) for step in funnel],
        "datasets": [{"label": _("全市"), "data": [_num(step["value"]) for step in funnel], "color": 3}],
    }
    previous = None
    for step in funnel:
        step["share"] = (
            (Decimal(step["value"]) * 100 / previous).quantize(Decimal("0.1"))
            if previous and step["value"] is not None
            else None
        )
        previous = step["value"]

    money = [indicators.get(code) for code in MONEY]
    rewards_chart = {
        "type": "bar",
        "unit": str(_("万元")),
        "labels": labels,
        "datasets": [
            {
                "label": str(ind.short_label),
                "data": [_wan(r["values"][ind.code]) for r in rows],
                "color": color,
            }
            for ind, color in zip(money, MONEY_COLORS, strict=True)
        ],
    }
    # the trend has the year before's valid HTEs already (unless the year is the first one shown)
    before = next((p for p in valid_trend if p["year"] == year - 1), None)
    if before is None:
        values, source, _at = selectors.year_values(year - 1, codes=["valid_hte"])
        before = {"values": values["valid_hte"], "source": source}
    if before["source"] != selectors.SNAPSHOT:
        computing.add(year - 1)
    growth = growth_rows(year, table, valid_before=before["values"])
    for r in table:
        r["paid_total"] = (r["values"]["rewards_paid_city"] or 0) + (r["values"]["rewards_paid_county"] or 0)

    round_numbers, round_source = selectors.application_round(year)
    if round_source != selectors.SNAPSHOT:
        computing.add(year)
    return {
        "year": year,
        "rows": rows,
        "city": city,
        "table": table,  # the jurisdictions, then the city
        "trend_rows": trend_rows,
        "funnel": funnel,
        "targeted": targeted,
        "others": [indicators.get(code) for code in OTHERS],
        "money": money,
        "growth_rows": growth,
        "growth_reasons": unknown_reasons(growth),
        "growth_indicators": [indicators.get("hte_growth"), indicators.get("hte_value_added_share")],
        "charts": {
            "targets": targets_chart,
            "trend": trend_chart,
            "funnel": funnel_chart,
            "rewards": rewards_chart,
        },
        "round_numbers": round_numbers,  # the HTE application round of the year, per county
        "computing": sorted(computing),  # the years shown whose snapshots are being computed
        "last_computed": selectors.last_computed(year),
        "source": city["source"],
        "computed_at": city["computed_at"],
    }
