"""Thin views of the plan's registers and its 13 tasks: parse input, call one service or read, render.

Every row goes through the scoped selectors, so a county user asking for another jurisdiction's
carrier, event or counselor gets a 404. Forms run through the shared ``form_page`` (a service's
refusal, a ``DomainError``, is shown on the form), and every page passes its breadcrumbs as ``crumbs``
for ``base.html`` to draw.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from anyang_hte.core.dates import today
from anyang_hte.core.exporters import FORMATS, export_response
from anyang_hte.core.pages import form_page, paginate_table, querystring_without_page, screen_order
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, has_right, is_city_wide

from . import permissions, selectors, services
from .exporters import CarrierExporter, CounselorExporter, PlanTaskExporter, TrainingExporter
from .filters import CarrierFilter, CounselorFilter, TrainingFilter
from .forms import (
    CarrierForm,
    CarrierRevokeForm,
    CounselorForm,
    PeriodForm,
    TaskReportForm,
    TrainingEventForm,
)
from .models import PlanTask, PlanTaskUnit, TaskProgressReport
from .tables import CarrierTable, CounselorTable, TrainingTable

# --- incubation carriers -----------------------------------------------------------------------


def _carrier_crumbs():
    return [(_("孵化载体"), reverse("registers:carrier_list"))]


def _filtered_carriers(request) -> CarrierFilter:
    qs = selectors.carriers_for(request.user).select_related("jurisdiction")
    return CarrierFilter(request.GET or None, queryset=qs, user=request.user)


def _carrier_editor(request) -> None:
    allowed, reason = permissions.can_edit_carriers(request.user)
    if not allowed:
        raise PermissionDenied(reason)


@require_right(Right.ASSESSMENT_VIEW)
def carrier_list(request):
    flt = _filtered_carriers(request)
    on = today()
    can_edit = permissions.can_edit_carriers(request.user)[0]
    city_wide = is_city_wide(request.user)
    return render(
        request,
        "assessment/registers/carrier_list.html",
        {
            "filter": flt,
            "table": paginate_table(request, CarrierTable(flt.qs, can_edit=can_edit)),
            "totals": selectors.carrier_totals(flt.qs, on=on),
            # The goal is the city's: its count is shown to those who see the whole city.
            "city_in_force": selectors.carriers_in_force(on).count() if city_wide else None,
            "own_in_force": None
            if city_wide
            else selectors.carriers_for(request.user).filter(selectors.in_force_q(on)).count(),
            "goal": selectors.CARRIER_GOAL,
            "can_edit": can_edit,
            "querystring": querystring_without_page(request),
            "crumbs": [(_("孵化载体"), None)],
        },
    )


@require_right(Right.ASSESSMENT_VIEW)
def carrier_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    return export_response(CarrierExporter(_filtered_carriers(request).qs), fmt)


def _carrier_fields(form) -> dict:
    return {n: form.cleaned_data[n] for n in ("name", "kind", "level", "jurisdiction", "recognised_on")}


@require_right(Right.REGISTER_EDIT)
def carrier_create(request):
    _carrier_editor(request)
    return form_page(
        request,
        CarrierForm(request.POST or None, initial={"recognised_on": today()}),
        save=lambda form: services.carrier_create(by=request.user, **_carrier_fields(form)),
        done=lambda c: _("已登记孵化载体“%(name)s”。") % {"name": c.name},
        success_url=reverse("registers:carrier_list"),
        title=_("登记孵化载体"),
        crumbs=_carrier_crumbs(),
        cancel=reverse("registers:carrier_list"),
    )


@require_right(Right.REGISTER_EDIT)
def carrier_edit(request, pk: int):
    _carrier_editor(request)
    carrier = selectors.carrier_for(request.user, pk)
    # The title before the form is bound: validating writes the typed values onto ``carrier`` (the
    # form's instance), and a refused edit is still titled with the stored name. The service locks and
    # re-reads the row by pk, so it compares the typed values with the stored ones.
    title = _("修改孵化载体：%(name)s") % {"name": carrier.name}
    return form_page(
        request,
        CarrierForm(request.POST or None, instance=carrier),
        save=lambda form: services.carrier_update(
            carrier=form.instance, by=request.user, **_carrier_fields(form)
        ),
        done=_("已保存。"),
        success_url=reverse("registers:carrier_list"),
        title=title,
        crumbs=_carrier_crumbs(),
        cancel=reverse("registers:carrier_list"),
    )


@require_right(Right.REGISTER_EDIT)
def carrier_revoke(request, pk: int):
    _carrier_editor(request)
    carrier = selectors.carrier_for(request.user, pk)
    return form_page(
        request,
        CarrierRevokeForm(request.POST or None, initial={"revoked_on": today()}),
        save=lambda form: services.carrier_revoke(
            carrier=carrier, revoked_on=form.cleaned_data["revoked_on"], by=request.user
        ),
        done=lambda c: _("已撤销孵化载体“%(name)s”，不再计入全市孵化载体数。") % {"name": c.name},
        success_url=reverse("registers:carrier_list"),
        title=_("撤销孵化载体：%(name)s") % {"name": carrier.name},
        crumbs=_carrier_crumbs(),
        cancel=reverse("registers:carrier_list"),
        notice=_("撤销后该载体保留在登记表中，撤销日期之后不再计入孵化载体数。"),
    )


# --- training events ---------------------------------------------------------------------------


def _training_crumbs():
    return [(_("政策培训"), reverse("registers:training_list"))]


def _coverage_year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return today().year
    return year if 2000 <= year <= 2100 else today().year


def _filtered_training(request) -> TrainingFilter:
    qs = (
        selectors.training_events_for(request.user)
        .select_related("jurisdiction")
        .annotate(attendee_count=Count("enterprises"))
    )
    return TrainingFilter(request.GET or None, queryset=qs, user=request.user)


@require_right(Right.ASSESSMENT_VIEW)
def training_export(request, fmt: str):
    """The events as the page lists them (filters and sort order), all of them, with a totals row."""
    if fmt not in FORMATS:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    events = screen_order(request, TrainingTable(_filtered_training(request).qs))
    return export_response(TrainingExporter(events), fmt)


@require_right(Right.ASSESSMENT_VIEW)
def training_list(request):
    flt = _filtered_training(request)
    year = _coverage_year(request)
    can_edit = has_right(request.user, Right.REGISTER_EDIT)
    return render(
        request,
        "assessment/registers/training_list.html",
        {
            "filter": flt,
            "table": paginate_table(request, TrainingTable(flt.qs, can_edit=can_edit)),
            "coverage": selectors.training_coverage(request.user, year=year),
            "year": year,
            "can_edit": can_edit,
            "querystring": querystring_without_page(request),
            "crumbs": [(_("政策培训"), None)],
        },
    )


@require_right(Right.ASSESSMENT_VIEW)
def training_detail(request, pk: int):
    event = selectors.training_event_for(request.user, pk)
    return render(
        request,
        "assessment/registers/training_detail.html",
        {
            "event": event,
            "enterprises": event.enterprises.order_by("name"),
            "can_edit": has_right(request.user, Right.REGISTER_EDIT),
            "crumbs": [*_training_crumbs(), (str(event), None)],
        },
    )


@require_right(Right.REGISTER_EDIT)
def training_create(request):
    form = TrainingEventForm(request.POST or None, user=request.user, initial={"held_on": today()})
    return form_page(
        request,
        form,
        save=lambda form: services.training_event_create(by=request.user, **form.service_fields()),
        done=lambda e: (
            _("已登记培训“%(topic)s”，参训企业 %(n)d 家。") % {"topic": e.topic, "n": e.enterprises.count()}
        ),
        success_url=lambda e: reverse("registers:training_detail", args=[e.pk]),
        title=_("登记培训"),
        crumbs=_training_crumbs(),
        cancel=reverse("registers:training_list"),
    )


@require_right(Right.REGISTER_EDIT)
def training_edit(request, pk: int):
    event = selectors.training_event_for(request.user, pk)
    title = _("修改培训：%(topic)s") % {"topic": event.topic}  # the stored topic, before the form is bound
    return form_page(
        request,
        TrainingEventForm(request.POST or None, user=request.user, instance=event),
        save=lambda form: services.training_event_update(
            event=form.instance, by=request.user, **form.service_fields()
        ),
        done=_("已保存。"),
        success_url=lambda e: reverse("registers:training_detail", args=[e.pk]),
        title=title,
        crumbs=_training_crumbs(),
        cancel=reverse("registers:training_detail", args=[event.pk]),
    )


# --- policy counselors -------------------------------------------------------------------------


def _counselor_crumbs():
    return [(_("政策辅导员"), reverse("registers:counselor_list"))]


def _filtered_counselors(request) -> CounselorFilter:
    qs = (
        selectors.counselors_for(request.user)
        .select_related("jurisdiction")
        .annotate(enterprise_count=Count("enterprises"))
    )
    return CounselorFilter(request.GET or None, queryset=qs, user=request.user)


@require_right(Right.ASSESSMENT_VIEW)
def counselor_export(request, fmt: str):
    """The counselors as the page lists them (filters and sort order), all of them, with a totals row."""
    if fmt not in FORMATS:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    counselors = screen_order(request, CounselorTable(_filtered_counselors(request).qs))
    return export_response(CounselorExporter(counselors), fmt)


@require_right(Right.ASSESSMENT_VIEW)
def counselor_list(request):
    flt = _filtered_counselors(request)
    can_edit = has_right(request.user, Right.REGISTER_EDIT)
    return render(
        request,
        "assessment/registers/counselor_list.html",
        {
            "filter": flt,
            "table": paginate_table(request, CounselorTable(flt.qs, can_edit=can_edit)),
            "can_edit": can_edit,
            "querystring": querystring_without_page(request),
            "crumbs": [(_("政策辅导员"), None)],
        },
    )


@require_right(Right.ASSESSMENT_VIEW)
def counselor_detail(request, pk: int):
    counselor = selectors.counselor_for(request.user, pk)
    return render(
        request,
        "assessment/registers/counselor_detail.html",
        {
            "counselor": counselor,
            "enterprises": counselor.enterprises.order_by("name"),
            "can_edit": has_right(request.user, Right.REGISTER_EDIT),
            "crumbs": [*_counselor_crumbs(), (counselor.name, None)],
        },
    )


@require_right(Right.REGISTER_EDIT)
def counselor_create(request):
    return form_page(
        request,
        CounselorForm(request.POST or None, user=request.user, initial={"active": True}),
        save=lambda form: services.counselor_create(by=request.user, **form.service_fields()),
        done=lambda c: _("已登记政策辅导员“%(name)s”。") % {"name": c.name},
        success_url=lambda c: reverse("registers:counselor_detail", args=[c.pk]),
        title=_("登记政策辅导员"),
        crumbs=_counselor_crumbs(),
        cancel=reverse("registers:counselor_list"),
    )


@require_right(Right.REGISTER_EDIT)
def counselor_edit(request, pk: int):
    counselor = selectors.counselor_for(request.user, pk)
    title = _("修改政策辅导员：%(name)s") % {"name": counselor.name}  # the stored name, before binding
    return form_page(
        request,
        CounselorForm(request.POST or None, user=request.user, instance=counselor),
        save=lambda form: services.counselor_update(
            counselor=form.instance, by=request.user, **form.service_fields()
        ),
        done=_("已保存。"),
        success_url=lambda c: reverse("registers:counselor_detail", args=[c.pk]),
        title=title,
        crumbs=_counselor_crumbs(),
        cancel=reverse("registers:counselor_detail", args=[counselor.pk]),
    )


# --- the plan's 13 tasks -----------------------------------------------------------------------


def _plan_crumbs():
    return [(_("行动计划任务"), reverse("registers:plan_tasks"))]


def _plan_period(request):
    """The quarter the page shows (this one unless chosen), its status and the tasks listed."""
    period_form = PeriodForm(request.GET if "year" in request.GET else None)
    year, quarter = period_form.period()
    if not period_form.is_bound:
        period_form = PeriodForm(initial={"year": year, "quarter": quarter})
    missing_only = request.GET.get("missing") == "1"
    status = selectors.quarter_status(year=year, quarter=quarter)
    if missing_only:  # the tasks with a unit missing, and of those only the missing units, as on the page
        tasks = [selectors.TaskStatus(t.task, t.missing) for t in status.tasks if t.missing]
    else:
        tasks = status.tasks
    return period_form, year, quarter, missing_only, status, tasks


@require_right(Right.ASSESSMENT_VIEW)
def plan_tasks_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    _form, _year, _quarter, _missing_only, status, tasks = _plan_period(request)
    return export_response(PlanTaskExporter(status, tasks), fmt)


@require_right(Right.ASSESSMENT_VIEW)
def plan_tasks(request):
    period_form, year, quarter, missing_only, status, _tasks = _plan_period(request)
    tasks = [t for t in status.tasks if t.missing] if missing_only else status.tasks
    return render(
        request,
        "assessment/registers/plan_tasks.html",
        {
            "status": status,
            "tasks": tasks,
            "period_form": period_form,
            "year": year,
            "quarter": quarter,
            "missing_only": missing_only,
            "is_current": (year, quarter) == selectors.current_quarter(),
            "period_query": urlencode({"year": year, "quarter": quarter}),
            "export_query": urlencode(
                {"year": year, "quarter": quarter, **({"missing": 1} if missing_only else {})}
            ),
            "can_report": has_right(request.user, Right.TASK_REPORT),
            "crumbs": [(_("行动计划任务"), None)],
        },
    )


@require_right(Right.ASSESSMENT_VIEW)
def plan_task_detail(request, number: int):
    task = get_object_or_404(PlanTask, number=number)
    return render(
        request,
        "assessment/registers/plan_task_detail.html",
        {
            "task": task,
            "current_units": [u.label for u in task.units.all() if u.active_until is None],
            "history": selectors.task_history(task),
            "can_report": has_right(request.user, Right.TASK_REPORT),
            "crumbs": [*_plan_crumbs(), (_("任务%(n)d") % {"n": task.number}, None)],
        },
    )


def _report_initial(request) -> tuple[dict, TaskProgressReport | None]:
    """Initial values from the link that opened the form (?unit=&year=&quarter=), with the report there."""
    initial = dict(zip(("year", "quarter"), selectors.current_quarter(), strict=True))
    for name in ("year", "quarter"):
        value = request.GET.get(name, "")
        if value.isdigit():
            initial[name] = int(value)
    unit_pk = request.GET.get("unit", "")
    unit = PlanTaskUnit.objects.filter(pk=int(unit_pk)).first() if unit_pk.isdigit() else None
    if unit is None:
        return initial, None
    initial["task_unit"] = unit
    report = TaskProgressReport.objects.filter(
        task_unit=unit, year=initial["year"], quarter=initial["quarter"]
    ).first()
    if report:
        initial["progress"] = report.progress
    return initial, report


@require_right(Right.TASK_REPORT)
def task_report(request):
    initial, existing = _report_initial(request)
    form = TaskReportForm(request.POST or None, initial=initial)
    notice = ""
    if existing:
        notice = _("该单位本季度已于%(at)s报送，提交将更新原报告，原内容保留在操作日志中。") % {
            "at": timezone.localtime(existing.reported_at).strftime("%Y-%m-%d %H:%M")
        }

    def save(form):
        data = form.cleaned_data
        return services.task_report_record(
            task_unit=data["task_unit"],
            year=data["year"],
            quarter=data["quarter"],
            progress=data["progress"],
            by=request.user,
        )

    def done(result):
        report, created = result
        text = (
            _("已登记%(unit)s %(year)d年第%(q)d季度进展。")
            if created
            else _("已更新%(unit)s %(year)d年第%(q)d季度进展。")
        )
        return text % {"unit": report.task_unit.unit, "year": report.year, "q": report.quarter}

    return form_page(
        request,
        form,
        save=save,
        done=done,
        success_url=lambda result: (
            reverse("registers:plan_tasks")
            + "?"
            + urlencode({"year": result[0].year, "quarter": result[0].quarter})
        ),
        title=_("登记任务进展"),
        crumbs=_plan_crumbs(),
        cancel=reverse("registers:plan_tasks"),
        notice=notice,
    )
