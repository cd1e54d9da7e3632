"""Thin views of the county assessment: parse input, call one selector or service, render.

Who sees what:

- the city dashboard, the bulletin and city-wide drill-downs: city-wide roles with the assessment view
  right (tech bureau reviewers and administrators manage, city finance views);
- rollups and targets: ``Right.ASSESSMENT_MANAGE`` (the published figures, the plans and the counting
  rule are in ``plan_views.py``);
- a jurisdiction's page and its drill-downs: its own county officials, and the city-wide roles;
  another county's code is a 404, as if it did not exist;
- watch lists: everyone with the view right, scoped to their jurisdiction.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from anyang_hte.core.errors import DomainError
from anyang_hte.core.exporters import FORMATS, export_response
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.pages import paginate_rows, querystring_without_page
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, has_right, is_city_wide
from anyang_hte.core.scope import user_may_use_jurisdiction
from enterprises.models import Enterprise, LedgerMilestone, Qualification, QualificationKind
from incentives.models import Reward

from . import deadlines as overdue
from . import documents as bulletin_documents
from . import indicators, selectors, services
from . import watchlists as wl
from .bulletin import bulletin_data
from .bulletin import xlsx_response as bulletin_xlsx_response
from .dashboard import dashboard_data
from .drill_exporters import DrilldownExporter
from .forms import JurisdictionFilterForm, SpreadForm, TargetFormSet, YearForm, chosen_year
from .models import CITY_SCOPE, IncubationCarrier, PublishedValueAdded, RollupRun, Target, TrainingEvent

ROWS_PER_PAGE = 50


def _is_city_wide(user) -> bool:
    return has_right(user, Right.ASSESSMENT_VIEW) and is_city_wide(user)


def _crumbs(request, *more) -> list:
    """考核监测 (the dashboard, or a county's own page) › ..."""
    user = request.user
    if user.is_jurisdiction_bound and user.jurisdiction:
        root = reverse("assessment:jurisdiction", args=[user.jurisdiction.code])
    else:
        root = reverse("assessment:dashboard")
    return [(_("考核监测"), root), *more]


def _require_city_view(request) -> None:
    if not _is_city_wide(request.user):
        raise PermissionDenied(_("全市考核数据仅限市科技局、市财政局和系统管理员查看。"))


def _jurisdiction_for(request, code: str) -> Jurisdiction:
    """The jurisdiction of ``code`` if the user may see it; another county's is a 404."""
    juris = get_object_or_404(Jurisdiction, code=code)
    if not user_may_use_jurisdiction(request.user, juris.pk):
        raise Http404(_("没有找到该县区。"))
    return juris


# --- watch lists -------------------------------------------------------------------------------


def _watch(code: str) -> wl.WatchList:
    try:
        return wl.WATCHLISTS[code]
    except KeyError:
        raise Http404(_("没有这个预警清单。")) from None


def _watch_filter(request) -> tuple[JurisdictionFilterForm | None, Jurisdiction | None]:
    """The jurisdiction filter: offered to city-wide roles; a county is always its own."""
    if not is_city_wide(request.user):
        return None, None
    form = JurisdictionFilterForm(request.GET or None)
    chosen = form.cleaned_data.get("jurisdiction") if form.is_valid() else None
    return form, chosen


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def watchlists(request):
    today = timezone.localdate()
    rows, totals = wl.count_table(today=today, user=request.user)
    return render(
        request,
        "assessment/watchlists.html",
        {"rows": rows, "totals": totals, "today": today, "crumbs": _crumbs(request, (_("预警清单"), None))},
    )


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def watchlist(request, code: str):
    watch = _watch(code)
    today = timezone.localdate()
    form, chosen = _watch_filter(request)
    qs = wl.watchlist_queryset(code, user=request.user, today=today, jurisdiction=chosen)
    paging = paginate_rows(request, qs, per_page=ROWS_PER_PAGE)
    objects = paging.records
    if code == wl.REPORT_MISSING:
        objects = wl.with_current_hte(objects, today)
    rows = [
        {
            "enterprise_id": obj.pk if watch.rows_are_enterprises else obj.enterprise_id,
            "cells": [_display(v) for v in wl.row_cells(code, obj, today)],
        }
        for obj in objects
    ]
    return render(
        request,
        "assessment/watchlist.html",
        {
            "watch": watch,
            "lists": list(wl.WATCHLISTS.values()),
            "form": form,
            "chosen": chosen,
            "paging": paging,
            "rows": rows,
            "headers": wl.headers(code)[1:],
            "querystring": querystring_without_page(request),
            "today": today,
            "crumbs": _crumbs(
                request, (_("预警清单"), reverse("assessment:watchlists")), (watch.label, None)
            ),
        },
        status=paging.status,
    )


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def watchlist_export(request, code: str, fmt: str):
    _watch(code)
    today = timezone.localdate()
    _form, chosen = _watch_filter(request)
    qs = wl.watchlist_queryset(code, user=request.user, today=today, jurisdiction=chosen)
    return export_response(wl.exporter_for(code, qs, today=today), fmt)


def _display(value):
    if value is None or value == "":
        return "—"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _source_note(row: dict) -> dict:
    return {"source": row["source"], "computed_at": row["computed_at"]}


def _computing(request, years) -> dict:
    """The context of ``_computing.html``: the years shown whose snapshots are being computed, and the
    rollups of them, queued now if none is pending or running (``services.rollup_missing``)."""
    years = sorted(set(years))
    runs = services.rollup_missing(years=years, by=request.user) if years else []
    for run in runs:  # a broker down has failed it already (the bar says so)
        run.refresh_from_db(fields=["status", "error", "steps_done", "finished_at"])
    # in-process Celery has run them already, after this page read its numbers: the bars ask once and
    # the page reloads with the snapshots
    done = [run.pk for run in runs if run.status == RollupRun.Status.DONE]
    return {"computing": years, "computing_runs": runs, "computing_runs_done": done}


# --- the city dashboard ------------------------------------------------------------------------


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def dashboard(request):
    if not _is_city_wide(request.user):
        if request.user.jurisdiction_id:
            return redirect("assessment:jurisdiction", code=request.user.jurisdiction.code)
        _require_city_view(request)
    year = chosen_year(request.GET)
    context = dashboard_data(year)
    run = None
    if request.GET.get("rollup", "").isdigit():
        run = RollupRun.objects.filter(pk=int(request.GET["rollup"])).first()
    panels = selectors.plan_panels()
    readiness = selectors.application_readiness(year)
    computing = [*context["computing"], *(y for panel in panels for y in panel.get("computing", ()))]
    if readiness and readiness["source"] != selectors.SNAPSHOT:
        computing.append(year)
    context |= _computing(request, computing)
    context |= {
        "plan_panels": panels,
        "overdue": overdue.overdue_table(request.user),
        "readiness": readiness,
        "new_hte_rule": indicators.new_hte_rule_label(),
        "year_form": YearForm(initial={"year": year}),
        "can_manage": has_right(request.user, Right.ASSESSMENT_MANAGE),
        "run": run or RollupRun.objects.filter(year=year).first(),
        "crumbs": _crumbs(request, (_("全市指标看板"), None)),
    }
    return render(request, "assessment/dashboard.html", context)


@require_POST
@require_right(Right.ASSESSMENT_MANAGE)
def rollup_start(request):
    year = chosen_year(request.POST)
    try:
        run = services.rollup_start(year=year, by=request.user)
    except DomainError as exc:
        if request.headers.get("HX-Request"):
            return render(request, "assessment/_rollup_status.html", {"run": None, "error": exc.message})
        messages.error(request, exc.message)
        return redirect(reverse("assessment:dashboard") + f"?year={year}")
    run.refresh_from_db()  # in-process Celery may have finished it already
    if request.headers.get("HX-Request"):
        return render(request, "assessment/_rollup_status.html", {"run": run, "year": year, "reload": True})
    messages.info(request, run.message)
    return redirect(reverse("assessment:dashboard") + f"?year={year}&rollup={run.pk}")


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def rollup_status(request, pk: int):
    run = get_object_or_404(RollupRun, pk=pk)
    if request.GET.get("progress") and request.headers.get("HX-Request"):
        # the progress bar of a page computing a year (any page reader: a run's year and progress only);
        # when the run is done the page reloads with its numbers
        if run.status == RollupRun.Status.DONE:
            return HttpResponse(headers={"HX-Refresh": "true"})
        return render(request, "assessment/_rollup_progress.html", {"run": run})
    _require_city_view(request)
    if request.headers.get("HX-Request"):
        return render(
            request, "assessment/_rollup_status.html", {"run": run, "year": run.year, "reload": True}
        )
    return redirect(reverse("assessment:dashboard") + f"?year={run.year}&rollup={run.pk}")


# --- a jurisdiction's page and the lists behind its numbers ------------------------------------


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def jurisdiction(request, code: str):
    juris = _jurisdiction_for(request, code)
    year = chosen_year(request.GET)
    table = selectors.indicator_table(year, scopes=[juris.code, CITY_SCOPE])
    row = next(r for r in table if not r["is_city"])
    city = next(r for r in table if r["is_city"])
    city_cells = {c["code"]: c for c in city["cells"]}
    cells = [
        {**cell, "city": city_cells[cell["code"]]["value"], "rank": row["rank"].get(cell["code"])}
        for cell in row["cells"]
    ]
    city_wide = _is_city_wide(request.user)
    by_code = {cell["code"]: cell for cell in cells}
    readiness = selectors.application_readiness(year, scopes=[juris.code])
    numbers, round_source = selectors.application_round(year, scopes=[juris.code])
    computing = [] if row["source"] == selectors.SNAPSHOT and round_source == selectors.SNAPSHOT else [year]
    if readiness and readiness["source"] != selectors.SNAPSHOT:
        computing.append(year)
    crumbs = [(juris.name, None)]
    if city_wide:
        crumbs = [(_("全市指标看板"), reverse("assessment:dashboard") + f"?year={year}"), *crumbs]
    return render(
        request,
        "assessment/jurisdiction.html",
        {
            "juris": juris,
            "year": year,
            "row": row,
            "cells": cells,
            "ranked_count": len(indicators.jurisdictions()),
            "headlines": [by_code[code] for code in ("new_hte", "valid_hte", "hte_growth")],
            "new_hte_rule": indicators.new_hte_rule_label(),
            "zone_plan": selectors.plan_zones().get(juris.code),
            "readiness": readiness,
            "round_numbers": numbers,
            **_computing(request, computing),
            "overdue": overdue.overdue_table(request.user, jurisdictions=[juris]),
            "year_form": YearForm(initial={"year": year}),
            "others": Jurisdiction.objects.all() if city_wide else [],
            "crumbs": _crumbs(request, *crumbs),
            **_source_note(row),
        },
    )


# indicator -> the qualification kind whose certificate the drill-down shows
DRILL_KINDS = {
    "new_hte": QualificationKind.HTE,
    "valid_hte": QualificationKind.HTE,
    "hte_growth": QualificationKind.HTE,
    "tech_sme": QualificationKind.TECH_SME,
    "little_giant": QualificationKind.LITTLE_GIANT,
    "leading": QualificationKind.LEADING,
    "hte_candidates": QualificationKind.HTE_CANDIDATE,
}


def _drill(request, code: str, indicator: str):
    """The jurisdiction (None: the city), the indicator, the year, the rows behind the number, their kind."""
    if code == CITY_SCOPE:
        _require_city_view(request)
        juris = None
    else:
        juris = _jurisdiction_for(request, code)
    try:
        ind = indicators.get(indicator)
    except KeyError:
        raise Http404(_("没有这个指标。")) from None
    year = chosen_year(request.GET)
    qs = indicators.drilldown(indicator, juris, year)
    kind = _drill_kind(qs.model)
    return juris, ind, year, qs.select_related(*DRILL_RELATED[kind]).order_by(*DRILL_ORDER[kind]), kind


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def drilldown_export(request, code: str, indicator: str, fmt: str):
    """The drill-down's rows in a spreadsheet: all of them, the page's columns and order, a totals row."""
    if fmt not in FORMATS:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    juris, ind, year, qs, kind = _drill(request, code, indicator)
    exporter = DrilldownExporter(
        kind=kind,
        queryset=qs,
        scope_name=juris.name if juris else _("全市"),
        indicator=ind,
        year=year,
        with_county=kind != "enterprise" or juris is None,
        certificate_kind=DRILL_KINDS.get(indicator),
        period_end=indicators.period_end(year),
    )
    return export_response(exporter, fmt)


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def drilldown(request, code: str, indicator: str):
    juris, ind, year, qs, kind = _drill(request, code, indicator)
    paging = paginate_rows(request, qs, per_page=ROWS_PER_PAGE)
    objects = paging.records
    if kind == "enterprise" and indicator in DRILL_KINDS:
        _attach_certificates(objects, DRILL_KINDS[indicator], indicators.period_end(year))
    for row in objects if kind == "figures" else ():
        row.share = indicators.Parts(row.hightech_value_added, row.industrial_value_added).value
    numbers, source, _computed_at = selectors.year_values(year, codes=[indicator])
    scope = juris.code if juris else CITY_SCOPE
    value = numbers[indicator][scope]
    note = None
    if source == selectors.SNAPSHOT:
        note = indicators.unknown_notes(year, {indicator: {scope: value}}).get(indicator, {}).get(scope)
    crumbs = []
    if _is_city_wide(request.user):
        crumbs.append((_("全市指标看板"), reverse("assessment:dashboard") + f"?year={year}"))
    if juris:
        crumbs.append((juris.name, reverse("assessment:jurisdiction", args=[juris.code]) + f"?year={year}"))
    crumbs.append((ind.label, None))
    return render(
        request,
        "assessment/drilldown.html",
        {
            "juris": juris,
            "indicator": ind,
            "year": year,
            "value": value,
            "note": note,
            "new_hte_rule": indicators.new_hte_rule_label() if indicator == "new_hte" else None,
            "kind": kind,
            "paging": paging,
            "objects": objects,
            "querystring": querystring_without_page(request),
            "certificate_kind": DRILL_KINDS.get(indicator),
            "period_end": indicators.period_end(year),
            "can_see_rewards": has_right(request.user, Right.REWARD_VIEW),
            "crumbs": _crumbs(request, *crumbs),
            **_computing(request, [] if source == selectors.SNAPSHOT else [year]),
        },
        status=paging.status,
    )


DRILL_RELATED = {
    "enterprise": ("jurisdiction",),
    "milestone": ("enterprise__jurisdiction",),
    "reward": ("enterprise", "jurisdiction", "rule", "qualification"),
    "carrier": ("jurisdiction",),
    "training": ("jurisdiction",),
    "figures": ("jurisdiction", "entered_by"),
}
# Each order is a column order an index serves (jurisdiction_id, not a join to the counties' ordering),
# so a page is an index range under a LIMIT and the rows past the count cap page by position.
DRILL_ORDER = {
    "enterprise": ("jurisdiction_id", "name", "pk"),  # ent_juris_name_id
    "milestone": ("due_on", "pk"),  # milestone_open_due_only
    "reward": ("jurisdiction_id", "pk"),  # reward_juris_id
    "carrier": ("jurisdiction_id", "name", "pk"),
    "training": ("-held_on", "-pk"),
    "figures": (F("jurisdiction__sort_order").asc(nulls_last=True), "pk"),  # a few rows; the city's last
}


def _drill_kind(model) -> str:
    kinds = {
        Enterprise: "enterprise",
        LedgerMilestone: "milestone",
        Reward: "reward",
        IncubationCarrier: "carrier",
        TrainingEvent: "training",
        PublishedValueAdded: "figures",
    }
    return kinds[model]


def _attach_certificates(enterprises, kind: str, period_end) -> None:
    """Each enterprise's latest ``kind`` qualification granted by the period's end (one query)."""
    latest = {}
    for q in Qualification.objects.filter(
        enterprise__in=[e.pk for e in enterprises], kind=kind, granted_on__lte=period_end
    ).order_by("enterprise_id", "granted_on", "pk"):
        latest[q.enterprise_id] = q
    for e in enterprises:
        e.certificate = latest.get(e.pk)


# --- targets and value-added -------------------------------------------------------------------


TARGET_CODES = ("new_hte", "valid_hte")


def _targets_saved(year: int, among) -> list[dict]:
    """Each jurisdiction's saved targets (Decimal), in the table's order."""
    targets = {
        (t.jurisdiction_id, t.indicator): t.value
        for t in Target.objects.filter(year=year, indicator__in=TARGET_CODES)
    }
    return [
        {
            "code": j.code,
            "new_hte": targets.get((j.pk, "new_hte")),
            "valid_hte": targets.get((j.pk, "valid_hte")),
        }
        for j in among
    ]


def _shown(value: Decimal | None) -> str | None:
    """A target as the input shows it: 80, not 80.0000 or 8E+1."""
    return None if value is None else format(value.normalize(), "f")


@require_right(Right.ASSESSMENT_MANAGE)
def targets(request):
    year = chosen_year(request.POST if request.method == "POST" else request.GET)
    among = indicators.jurisdictions()
    saved = _targets_saved(year, among)
    initial = [row | {code: _shown(row[code]) for code in TARGET_CODES} for row in saved]
    formset = TargetFormSet(
        request.POST if request.POST.get("action") == "save" else None,
        initial=initial,
        jurisdictions=among,
        prefix="t",
    )
    spread = SpreadForm(request.POST if request.POST.get("action") == "spread" else None)
    if request.method == "POST":
        if request.POST.get("action") == "spread" and spread.is_valid():
            try:
                for code in TARGET_CODES:
                    services.targets_spread(
                        year=year,
                        indicator=code,
                        city_total=spread.cleaned_data[f"city_{code}"],
                        by=request.user,
                    )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "已按各县区现有有效高企数量比例分解全市目标（新认定 %(n)s 家，有效 %(v)s 家），"
                        "可在表中调整后保存。"
                    )
                    % {"n": spread.cleaned_data["city_new_hte"], "v": spread.cleaned_data["city_valid_hte"]},
                )
                return redirect(reverse("assessment:targets") + f"?year={year}")
        elif request.POST.get("action") == "save" and formset.is_valid():
            try:
                changed = _save_targets(formset, among, saved, year=year, by=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, _("已保存 %(year)s 年度目标（修改 %(n)d 项）。") % {"year": year, "n": changed}
                )
                return redirect(reverse("assessment:targets") + f"?year={year}")
    rows = list(zip(among, formset.forms, strict=True))
    totals = {
        code: sum((r[code] for r in saved if r[code] is not None), Decimal("0")) for code in TARGET_CODES
    }
    return render(
        request,
        "assessment/targets.html",
        {
            "year": year,
            "formset": formset,
            "rows": rows,
            "totals": totals,
            "spread": spread,
            "year_form": YearForm(initial={"year": year}),
            "crumbs": _crumbs(
                request,
                (_("全市指标看板"), reverse("assessment:dashboard") + f"?year={year}"),
                (_("考核目标"), None),
            ),
        },
    )


def _save_targets(formset, among, saved, *, year: int, by) -> int:
    """Write the changed cells through the services (all or nothing); blank cells are left as they are."""
    changed = 0
    with transaction.atomic():
        for juris, form, before in zip(among, formset.forms, saved, strict=True):
            data = form.cleaned_data
            for code in TARGET_CODES:
                value = data.get(code)
                if value is not None and value != before[code]:
                    services.target_set(jurisdiction=juris, year=year, indicator=code, value=value, by=by)
                    changed += 1
    return changed


# --- the bulletin ------------------------------------------------------------------------------


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def bulletin(request):
    _require_city_view(request)
    year = chosen_year(request.GET)
    # The menu around it follows the reader's language; the document (bulletin_data and the template's
    # {% language %} block) is Chinese, as issued.
    data = bulletin_data(year)
    return render(
        request,
        "assessment/bulletin.html",
        {
            "bulletin": data,
            **_computing(request, data.computing),
            "document_language": settings.LANGUAGE_CODE,
            "issued": bulletin_documents.bulletin_documents(year, request.user),
            "can_issue": has_right(request.user, Right.ASSESSMENT_MANAGE) and not data.computing,
            "year": year,
            "year_form": YearForm(initial={"year": year}),
            "crumbs": _crumbs(
                request,
                (_("全市指标看板"), reverse("assessment:dashboard") + f"?year={year}"),
                (_("通报"), None),
            ),
        },
    )


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def bulletin_xlsx(request):
    _require_city_view(request)
    year = chosen_year(request.GET)
    data = bulletin_data(year)
    if data.computing:  # not issued with numbers missing: the page queues the rollup and shows progress
        messages.info(request, _("%(year)s年的指标正在汇总计算，完成后即可下载通报。") % {"year": year})
        return redirect(reverse("assessment:bulletin") + f"?year={year}")
    return bulletin_xlsx_response(data)
