"""Thin views of the plan's numbers: the statistics bureau's published value-added (the table and its
import with a preview), the action plans, the rule that counts new HTEs, and the certificates behind a
plan's "new HTEs" number.

Who sees what: city-wide roles with the assessment view right read every page (tech bureau reviewers
and administrators, city finance); entering figures, importing them, keeping the plans and the rule
need ``Right.ASSESSMENT_MANAGE`` (the services check it again). A county's own share and figures are
on its jurisdiction page.
"""

import os
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from anyang_hte.core.errors import DomainError
from anyang_hte.core.exporters import XLSX_CONTENT_TYPE
from anyang_hte.core.pages import add_refusal_to_form, form_page, paginate_rows
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, has_right
from anyang_hte.core.stash import stash_dir
from enterprises.import_parsing import stash_upload

from . import indicators, selectors, services
from .forms import CountingRuleForm, PlanForm, PublishedFormSet, PublishedImportForm, YearForm, chosen_year
from .importers import build_published_template, plan_published_import
from .models import CITY_SCOPE, Plan
from .views import _crumbs, _require_city_view

ROWS_PER_PAGE = 50


def _dashboard_crumb(year: int | None = None):
    url = reverse("assessment:dashboard") + (f"?year={year}" if year else "")
    return (_("全市指标看板"), url)


def _figures_crumb(year: int):
    return (_("统计局公布数据"), reverse("assessment:published") + f"?year={year}")


# --- the published value-added ------------------------------------------------------------------


@require_right(Right.ASSESSMENT_VIEW)
def published(request):
    _require_city_view(request)
    can_manage = has_right(request.user, Right.ASSESSMENT_MANAGE)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied(_("只有市科技局可以录入统计局公布的数据。"))
    year = chosen_year(request.POST if request.method == "POST" else request.GET)
    among = indicators.jurisdictions()
    scopes = [(j.code, j.name, j) for j in among] + [(CITY_SCOPE, _("全市"), None)]
    stored = selectors.published_rows(year)
    initial = [
        {
            "code": code,
            "hightech_value_added": stored[code].hightech_value_added if code in stored else None,
            "industrial_value_added": stored[code].industrial_value_added if code in stored else None,
            "source": stored[code].source if code in stored else "",
        }
        for code, _name, _j in scopes
    ]
    posted = request.method == "POST" and "v-TOTAL_FORMS" in request.POST  # the table, not a stray post
    formset = PublishedFormSet(
        request.POST if posted else None,
        initial=initial,
        scopes=[code for code, _name, _j in scopes],
        prefix="v",
    )
    if posted and formset.is_valid():
        try:
            changed = _save_published(formset, scopes, stored, year=year, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("已保存 %(year)s 年度统计数据（修改 %(n)d 行）。") % {"year": year, "n": changed}
            )
            return redirect(reverse("assessment:published") + f"?year={year}")
    elif posted:
        messages.error(request, _("未保存：请按表中红色提示修改后重新提交。"))
        if len(formset.forms) != len(scopes):  # a table of another shape: show the stored one again
            formset = PublishedFormSet(initial=initial, scopes=[code for code, _n, _j in scopes], prefix="v")
    values = selectors.published_share(year, among=among)
    notes = indicators.unknown_notes(year, values)
    rows = [
        {
            "code": code,
            "name": name,
            "form": form,
            "stored": stored.get(code),
            "share": values["hte_value_added_share"][code],
            "note": notes.get("hte_value_added_share", {}).get(code),
        }
        for (code, name, _j), form in zip(scopes, formset.forms, strict=True)
    ]
    return render(
        request,
        "assessment/published.html",
        {
            "year": year,
            "formset": formset,
            "rows": rows,
            "can_manage": can_manage,
            "indicator": indicators.get("hte_value_added_share"),
            "year_form": YearForm(initial={"year": year}),
            "crumbs": _crumbs(request, _dashboard_crumb(year), (_("统计局公布数据"), None)),
        },
    )


def _save_published(formset, scopes, stored, *, year: int, by) -> int:
    """Write the changed rows through the service, all or nothing. A blank cell keeps what is stored.
    A refusal is put on the row's field (the form keeps what was typed) and raised again."""
    changed = 0
    jurisdictions = {code: j for code, _name, j in scopes}
    names = {code: name for code, name, _j in scopes}
    with transaction.atomic():
        for form in formset.forms:
            data = form.cleaned_data
            code, row = data["code"], stored.get(data["code"])
            hightech = data["hightech_value_added"]
            industrial = data["industrial_value_added"]
            source = (data.get("source") or "").strip()
            if row is not None:
                hightech = row.hightech_value_added if hightech is None else hightech
                industrial = row.industrial_value_added if industrial is None else industrial
                source = source or row.source
                if (row.hightech_value_added, row.industrial_value_added, row.source) == (
                    hightech,
                    industrial,
                    source,
                ):
                    continue
            elif hightech is None and industrial is None and not source:
                continue
            try:
                services.published_value_added_set(
                    jurisdiction=jurisdictions[code],
                    year=year,
                    hightech_value_added=hightech,
                    industrial_value_added=industrial,
                    source=source,
                    by=by,
                )
            except DomainError as exc:
                add_refusal_to_form(form, exc)
                raise DomainError(
                    _("未保存：%(scope)s：%(message)s") % {"scope": names[code], "message": exc.message},
                    field=exc.field,
                ) from None
            changed += 1
    return changed


def _upload_dir() -> Path:
    return stash_dir("published")  # purged when never confirmed (anyang_hte.core.stash)


def _session_key(token: str) -> str:
    return f"published_import_{token}"


@require_right(Right.ASSESSMENT_MANAGE)
def published_template(request):
    year = chosen_year(request.GET)
    response = HttpResponse(build_published_template(year), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, _("统计局公布数据_%(year)s年.xlsx") % {"year": year}
    )
    return response


@require_right(Right.ASSESSMENT_MANAGE)
def published_import(request):
    form = PublishedImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token, suffix = stash_upload(upload, _upload_dir())
        request.session[_session_key(token)] = {
            "name": upload.name,
            "suffix": suffix,
            "source": form.cleaned_data["source"],
        }
        return redirect("assessment:published_import_preview", token=token)
    year = chosen_year(request.GET)
    return render(
        request,
        "assessment/published_import.html",
        {
            "form": form,
            "year": year,
            "crumbs": _crumbs(request, _dashboard_crumb(), _figures_crumb(year), (_("导入统计数据"), None)),
        },
    )


def _stored_import(request, token: str):
    meta = request.session.get(_session_key(token))
    if not meta or not token.isalnum():
        raise Http404(_("导入文件已失效，请重新上传。"))
    path = _upload_dir() / f"{token}{meta['suffix']}"
    if not path.exists():
        raise Http404(_("导入文件已失效，请重新上传。"))
    with open(path, "rb") as fh:
        plan = plan_published_import(fh, meta["name"], source=meta["source"])
    return meta, path, plan


@require_right(Right.ASSESSMENT_MANAGE)
def published_import_preview(request, token: str):
    meta, path, plan = _stored_import(request, token)
    if request.method == "POST":
        try:
            counts = services.published_value_added_import(plan=plan, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            os.remove(path)
            request.session.pop(_session_key(token), None)
            messages.success(
                request,
                _("导入完成：新增 %(created)d 行，更新 %(updated)d 行，未变化 %(unchanged)d 行。") % counts,
            )
            year = max((row.year for row in plan.rows), default=None)
            return redirect(reverse("assessment:published") + (f"?year={year}" if year else ""))
    return render(
        request,
        "assessment/published_import_preview.html",
        {
            "plan": plan,
            "meta": meta,
            "token": token,
            "crumbs": _crumbs(
                request,
                _dashboard_crumb(),
                (_("统计局公布数据"), reverse("assessment:published")),
                (_("导入预览"), None),
            ),
        },
    )


@require_POST
@require_right(Right.ASSESSMENT_MANAGE)
def published_import_cancel(request, token: str):
    meta = request.session.pop(_session_key(token), None)
    if meta and token.isalnum():
        (_upload_dir() / f"{token}{meta['suffix']}").unlink(missing_ok=True)
    messages.info(request, _("已取消导入，未写入任何数据。"))
    return redirect("assessment:published")


# --- the action plans and the counting rule ---------------------------------------------------


def _plans_crumb():
    return (_("行动计划与统计口径"), reverse("assessment:plans"))


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def plans(request):
    _require_city_view(request)
    rule = indicators.counting_rule()
    return render(
        request,
        "assessment/plans.html",
        {
            "panels": selectors.plan_panels(),
            "rule": rule,
            "rule_label": indicators.new_hte_rule_label(rule),
            "can_manage": has_right(request.user, Right.ASSESSMENT_MANAGE),
            "crumbs": _crumbs(request, _dashboard_crumb(), (_("行动计划与统计口径"), None)),
        },
    )


def _plan_initial(plan: Plan) -> dict:
    return {name: getattr(plan, name) for name in PlanForm.FIELDS}


@require_right(Right.ASSESSMENT_MANAGE)
def plan_create(request):
    return form_page(
        request,
        PlanForm(request.POST or None),
        save=lambda form: services.plan_create(by=request.user, **form.plan_fields()),
        done=lambda plan: _("已添加行动计划《%(name)s》。") % {"name": plan.name},
        success_url=reverse("assessment:plans"),
        title=_("添加行动计划"),
        crumbs=_crumbs(request, _dashboard_crumb(), _plans_crumb()),
        cancel=reverse("assessment:plans"),
    )


@require_right(Right.ASSESSMENT_MANAGE)
def plan_edit(request, plan_pk: int):
    plan = get_object_or_404(Plan, pk=plan_pk)
    return form_page(
        request,
        PlanForm(request.POST or None, initial=_plan_initial(plan)),
        save=lambda form: services.plan_update(plan=plan, by=request.user, **form.plan_fields()),
        done=_("已保存。"),
        success_url=reverse("assessment:plans"),
        title=_("修改行动计划：%(name)s") % {"name": plan.name},
        crumbs=_crumbs(request, _dashboard_crumb(), _plans_crumb()),
        cancel=reverse("assessment:plans"),
    )


@require_right(Right.ASSESSMENT_MANAGE)
def counting_rule(request):
    rule = indicators.counting_rule()
    initial = {
        "rule": CountingRuleForm.RECERTIFICATION
        if rule.recertification_is_new
        else CountingRuleForm.FIRST_ONLY
    }
    return form_page(
        request,
        CountingRuleForm(request.POST or None, initial=initial),
        save=lambda form: services.counting_rule_set(
            recertification_is_new=form.recertification_is_new, by=request.user
        ),
        done=lambda rule: (
            _("新认定高企的统计口径已改为：%(rule)s。") % {"rule": indicators.new_hte_rule_label(rule)}
        ),
        success_url=reverse("assessment:plans"),
        title=_("新认定高企的统计口径"),
        crumbs=_crumbs(request, _dashboard_crumb(), _plans_crumb()),
        cancel=reverse("assessment:plans"),
        notice=_("修改后，各年度的新认定高企数、计划累计数和已汇总的快照都按新口径重新计算。"),
    )


@require_safe
@require_right(Right.ASSESSMENT_VIEW)
def plan_new_hte(request, plan_pk: int):
    _require_city_view(request)
    plan = get_object_or_404(Plan, pk=plan_pk)
    qs = (
        selectors.plan_new_hte_grants(plan)
        .select_related("enterprise", "enterprise__jurisdiction")
        .order_by("granted_on", "pk")  # columns of the certificate itself: no sort over a join
    )
    paging = paginate_rows(request, qs, per_page=ROWS_PER_PAGE)
    return render(
        request,
        "assessment/plan_new_hte.html",
        {
            "plan": plan,
            "through": selectors.plan_through(plan),
            "paging": paging,
            "rule_label": indicators.new_hte_rule_label(),
            "crumbs": _crumbs(
                request,
                _dashboard_crumb(),
                _plans_crumb(),
                (_("%(name)s：累计新认定高企") % {"name": plan.name}, None),
            ),
        },
        status=paging.status,
    )
