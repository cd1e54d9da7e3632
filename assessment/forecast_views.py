"""The forecast of next year's rewards (``forecast.py``): the page, the firms behind each number, the export.

Everyone with the assessment view right; the forecast covers the enterprises the user may see (a
county its own, the city's offices all). A number is named by ``key`` ("all", "city" for the city's
money, or a county's code), ``source`` (city, county or both), ``band`` (low, expected, high) and
optionally ``step``; another county's code is a 404, as if it did not exist.
"""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from anyang_hte.core.exporters import export_response
from anyang_hte.core.pages import paginate_rows, querystring_without_page
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, is_city_wide
from incentives.funding import FundingSource

from . import forecast as fc
from .views import _crumbs

ROWS_PER_PAGE = 50
EXCLUDED = "excluded"


def _scope_name(request) -> str:
    user = request.user
    if is_city_wide(user):
        return _("全市")
    return user.jurisdiction.name if user.jurisdiction else ""


def _link(key: str, band: str, source: str | None = None, step: str = "") -> str:
    params = {"key": key, "band": band}
    if source:
        params["source"] = source
    if step:
        params["step"] = step
    return reverse("assessment:forecast_firms") + "?" + urlencode(params)


def _cell(row: fc.Row, band: str) -> dict:
    """A number of the page: its value (yuan) and the list of the firms behind it."""
    return {"value": row.total(band), "url": _link(row.key, band, row.source), "testid": f"{row.key}-{band}"}


def _count(row: fc.Row) -> dict:
    return {"value": row.count, "url": _link(row.key, "high", row.source)}


def _county_rows(data: fc.Forecast) -> list[dict]:
    rows = []
    for row in [*data.by_county(), data.total()]:
        city, county = data.row(row.key, FundingSource.CITY), data.row(row.key, FundingSource.COUNTY)
        rows.append(
            {
                "row": row,
                "is_total": row.key == "all",
                "count": _count(row),
                "cells": [
                    _cell(row, "low"),
                    _cell(city, "expected") | {"testid": f"{row.key}-expected-city"},
                    _cell(county, "expected") | {"testid": f"{row.key}-expected-county"},
                    _cell(row, "expected"),
                    _cell(row, "high"),
                ],
            }
        )
    return rows


def _source_rows(data: fc.Forecast) -> list[dict]:
    rows = [
        {"row": row, "count": _count(row), "cells": [_cell(row, band) for band in fc.BANDS]}
        for row in data.by_source()
    ]
    total = data.total()
    rows.append(
        {"row": total, "is_total": True, "count": _count(total), "cells": [_cell(total, b) for b in fc.BANDS]}
    )
    return rows


def _step_rows(data: fc.Forecast) -> list[dict]:
    rows = []
    for code, label in fc.STEPS.items():
        firms = [f for f in data.firms if f.step == code]
        cells = []
        for band in fc.BANDS:
            value = sum((f.amount(band) for f in firms), Decimal("0.00"))
            cells.append(
                {"value": value, "url": _link("all", band, step=code), "testid": f"step-{code}-{band}"}
            )
        count = {"value": len(firms), "url": _link("all", "high", step=code)}
        rows.append({"code": code, "label": label, "count": count, "cells": cells})
    return rows


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def forecast(request):
    data = fc.forecast_for(request.user)
    moves = list(fc.MOVES)
    return render(
        request,
        "assessment/forecast.html",
        {
            "f": data,
            "scope_name": _scope_name(request),
            "range_cells": [(band, label, _cell(data.total(), band)) for band, label in fc.BANDS.items()],
            "county_rows": _county_rows(data),
            "source_rows": _source_rows(data),
            "step_rows": _step_rows(data),
            "moves": [fc.MOVES[m][0] for m in moves],
            "city_rates": [data.rates.city[m] for m in moves],
            "county_rates": [(j, [data.rates.of(j.pk, m) for m in moves]) for j in data.jurisdictions],
            "chart": data.chart(),
            "bands": fc.BANDS,
            "excluded_url": _link("all", EXCLUDED),
            "min_base": fc.min_base(),
            "crumbs": _crumbs(request, (_("下一年度奖励资金预测"), None)),
        },
    )


@dataclass
class Selection:
    key: str
    source: str | None
    band: str
    step: str
    row: fc.Row | None  # None: the excluded firms
    candidates: list[fc.FirmForecast]

    @property
    def firms(self) -> list[fc.FirmForecast]:
        return [f for f in self.candidates if not self.step or f.step == self.step]


def _selection(request, data: fc.Forecast) -> Selection:
    """The number asked for (see the module doc); a value the page never links to is a 404 that says so."""
    key = request.GET.get("key") or "all"
    source = request.GET.get("source") or None
    band = request.GET.get("band") or "expected"
    step = request.GET.get("step") or ""
    if source is not None and source not in FundingSource.values:
        raise Http404(_("没有这个资金来源：%(value)s") % {"value": source})
    if band != EXCLUDED and band not in fc.BANDS:
        raise Http404(_("没有这个预测口径：%(value)s") % {"value": band})
    if step and step not in fc.STEPS:
        raise Http404(_("没有这个环节：%(value)s") % {"value": step})
    if band == EXCLUDED:
        return Selection(key, None, band, step, None, data.excluded)
    row = data.row(key, source)
    if row is None:
        raise Http404(_("没有找到该县区。"))
    return Selection(key, row.source, band, step, row, row.firms_in(band))


def _title(selection: Selection) -> str:
    if selection.row is None:
        return _("不计入预测的企业（规则不予奖励）")
    band = fc.BANDS[selection.band]
    name = selection.row.label
    step = f" · {fc.STEPS[selection.step]}" if selection.step else ""
    return _("%(name)s · %(band)s%(step)s") % {"name": name, "band": band, "step": step}


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def forecast_firms(request):
    data = fc.forecast_for(request.user)
    selection = _selection(request, data)
    firms = selection.firms
    paging = paginate_rows(request, firms, per_page=ROWS_PER_PAGE)  # computed in memory: numbered pages
    band = selection.band if selection.row is not None else "high"
    rows = [
        {
            "firm": f,
            "percent": f.probability_in(band) * 100,
            "reward": f.amount("high", selection.source),
            "amount": f.amount(band, selection.source) if selection.row is not None else None,
        }
        for f in paging.records
    ]
    total = (
        sum((f.amount(band, selection.source) for f in firms), Decimal("0.00"))
        if selection.row is not None
        else None
    )
    return render(
        request,
        "assessment/forecast_firms.html",
        {
            "f": data,
            "selection": selection,
            "title": _title(selection),
            "paging": paging,
            "rows": rows,
            "count": len(firms),
            "total": total,
            "reward_total": sum((f.amount("high", selection.source) for f in firms), Decimal("0.00")),
            "querystring": querystring_without_page(request),
            "crumbs": _crumbs(
                request,
                (_("下一年度奖励资金预测"), reverse("assessment:forecast")),
                (_title(selection), None),
            ),
        },
        status=paging.status,
    )


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def forecast_export(request, fmt: str):
    data = fc.forecast_for(request.user)
    if request.GET.get("key") or request.GET.get("band") or request.GET.get("source"):
        firms = _selection(request, data).firms
    else:
        firms = data.firms
    return export_response(fc.ForecastExporter(data, firms), fmt)
