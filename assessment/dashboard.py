"""The city dashboard's numbers: one table from ``selectors.indicator_table``, the trend and the funnel,
and for each chart the spec ``static/js/charts.js`` draws (read from ``json_script`` in the template).

Every chart is drawn from the same rows its table shows, so the picture and the numbers agree.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from anyang_hte.core.money import wan_rounded

from . import selectors
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


TREND_YEARS = 5


def dashboard_data(year: int) -> dict:
    """The dashboard's tables and the Chart.js specs drawn from the same numbers (static/js/charts.js)."""
    table = selectors.indicator_table(year)
    rows = [r for r in table if not r["is_city"]]
    city = next(r for r in table if r["is_city"])
    labels = [r["short_name"] for r in rows]

    targets_chart = {
        "type": "bar",
        "unit": str(_("家")),
        "labels": labels,
        "datasets": [
            {"label": _("新认定高企"), "data": [_num(r["values"]["new_hte"]) for r in rows], "color": 0},
            {
                "label": _("新认定目标"),
                "data": [_num(r["targets"]["new_hte"]) for r in rows],
                "color": 0,
                "target": True,
            },
            {"label": _("有效高企"), "data": [_num(r["values"]["valid_hte"]) for r in rows], "color": 1},
            {
                "label": _("有效目标"),
                "data": [_num(r["targets"]["valid_hte"]) for r in rows],
                "color": 1,
                "target": True,
            },
        ],
    }

    first = max(FIRST_YEAR, year - TREND_YEARS + 1)
    years = list(range(first, year + 1))
    new_trend = selectors.trend("new_hte", years)
    valid_trend = selectors.trend("valid_hte", years)
    trend_rows = [
        {"year": a["year"], "new_hte": a["value"], "valid_hte": b["value"], "source": a["source"]}
        for a, b in zip(new_trend, valid_trend, strict=True)
    ]
    trend_chart = {
        "type": "line",
        "unit": str(_("家")),
        "labels": [str(y) for y in years],
        "datasets": [
            {"label": _("新认定高企"), "data": [_num(r["new_hte"]) for r in trend_rows], "color": 0},
            {"label": _("有效高企"), "data": [_num(r["valid_hte"]) for r in trend_rows], "color": 1},
        ],
    }

    funnel = selectors.funnel(year)
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

    reward_series = (
        ("rewards_committed", _("应兑现"), 2),
        ("rewards_approved", _("已批准"), 3),
        ("rewards_paid_city", _("已拨付（市级）"), 1),
        ("rewards_paid_county", _("已拨付（县区）"), 5),
    )
    rewards_chart = {
        "type": "bar",
        "unit": str(_("万元")),
        "labels": labels,
        "datasets": [
            {"label": label, "data": [_wan(r["values"][code]) for r in rows], "color": color}
            for code, label, color in reward_series
        ],
    }
    for r in table:
        r["paid_total"] = (r["values"]["rewards_paid_city"] or 0) + (r["values"]["rewards_paid_county"] or 0)

    return {
        "year": year,
        "rows": rows,
        "city": city,
        "trend_rows": trend_rows,
        "funnel": funnel,
        "charts": {
            "targets": targets_chart,
            "trend": trend_chart,
            "funnel": funnel_chart,
            "rewards": rewards_chart,
        },
        "last_computed": selectors.last_computed(year),
        "source": city["source"],
        "computed_at": city["computed_at"],
    }
