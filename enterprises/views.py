"""Thin views: parse input, call one service or selector, render."""

import os
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anyang_hte.core import services as core_services
from anyang_hte.core.errors import DomainError
from anyang_hte.core.exporters import export_response
from anyang_hte.core.import_jobs import import_job_create, import_jobs_for
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.pages import add_refusal_to_form, form_page, paginate_table, querystring_without_page
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, has_right
from anyang_hte.core.stash import stash_dir

from . import selectors, services
from .exporters import build_ledger_exporter
from .filters import EnterpriseFilter
from .forms import (
    EnterpriseForm,
    FiguresForm,
    LedgerImportForm,
    MilestoneForm,
    QualificationForm,
    ReadinessForm,
    RevokeForm,
    VisitForm,
)
from .import_jobs import LedgerImportJob, runs_as_job
from .import_parsing import stash_upload
from .importers import build_template_workbook, plan_ledger_import
from .models import AnnualFigures, Enterprise, LedgerMilestone, Qualification
from .readiness import assess, facts_for
from .tables import EnterpriseTable

PAGE_SIZES = (25, 50, 100, 200)


def ledger_crumbs(*more, enterprise: Enterprise | None = None) -> list:
    """培育台账 › (the enterprise) › ... — computed before a form is bound, so a refused edit still shows
    the stored name."""
    crumbs = [(_("培育台账"), reverse("enterprises:list"))]
    if enterprise is not None:
        crumbs.append((enterprise.name, reverse("enterprises:detail", args=[enterprise.pk])))
    return crumbs + list(more)


def _filtered(request):
    today = timezone.localdate()
    qs = selectors.enterprise_list_queryset(request.user, today=today)
    return EnterpriseFilter(request.GET or None, queryset=qs, user=request.user, request=request)


@require_right(Right.LEDGER_VIEW)
def enterprise_list(request):
    flt = _filtered(request)
    table = EnterpriseTable(flt.qs)
    default = settings.LIST_PAGE_SIZE
    try:
        per_page = int(request.GET.get("per_page", default))
    except ValueError:
        per_page = default
    per_page = per_page if per_page in PAGE_SIZES else default
    paginate_table(request, table, per_page=per_page)
    return render(
        request,
        "enterprises/enterprise_list.html",
        {
            "filter": flt,
            "table": table,
            "page_sizes": PAGE_SIZES,
            "per_page": per_page,
            "querystring": querystring_without_page(request),
            "can_edit": has_right(request.user, Right.LEDGER_EDIT),
            "can_import": has_right(request.user, Right.LEDGER_IMPORT),
            "can_export": has_right(request.user, Right.LEDGER_EXPORT),
            "crumbs": [(_("培育台账"), None)],
        },
        status=table.paging.status,
    )


@require_right(Right.LEDGER_EXPORT)
def enterprise_export(request, fmt: str):
    """Small exports stream at once; large ones become a background job with a progress bar."""
    if fmt not in ("xlsx", "csv"):
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    exporter = build_ledger_exporter(request.user, request.GET)
    if request.method == "POST":
        try:
            job = core_services.export_job_create(
                by=request.user, kind="enterprises.ledger", fmt=fmt, params=request.GET
            )
        except DomainError as exc:  # e.g. the background service is down: said on the same page
            messages.error(request, exc.message)
        else:
            return redirect("export_job", job_id=job.pk)
    limit = settings.EXPORT_INLINE_ROWS
    rows = exporter.count(cap=limit)
    if rows <= limit:
        return export_response(exporter, fmt)
    return render(
        request,
        "export_confirm.html",
        {
            "title": exporter.title,
            "limit": limit,
            "fmt": fmt,
            "back": reverse("enterprises:list"),
            "crumbs": ledger_crumbs((_("导出"), None)),
        },
    )


@require_right(Right.LEDGER_EDIT)
def enterprise_create(request):
    form = EnterpriseForm(request.POST or None, user=request.user)
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(
                credit_code=form.cleaned_data["credit_code"], by=request.user, **form.service_fields()
            )
        except services.DuplicateEnterprise as exc:
            visible = Enterprise.objects.for_user(request.user).filter(pk=exc.existing.pk).exists()
            existing = exc.existing if visible else None
            if visible:
                form.add_error("credit_code", exc.message)
            else:
                form.add_error(
                    "credit_code",
                    _("该统一社会信用代码已由其他县区登记，请联系市科技局核实企业归属。"),
                )
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, _("已登记企业“%(name)s”。") % {"name": enterprise.name})
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/enterprise_form.html",
        {"form": form, "existing": existing, "crumbs": ledger_crumbs((_("登记企业"), None))},
    )


def _readiness(request, enterprise, today):
    """The readiness panel's question (application year and date, this year's expected sales and staff)
    from the query string, and its answer. An invalid question is shown with its errors and the
    current year's answer."""
    form = ReadinessForm(request.GET or None, initial={"year": today.year})
    asked = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if not form.is_bound:
        form = ReadinessForm(initial={"year": today.year})
    facts = facts_for(enterprise)
    assessment = assess(
        facts,
        year=asked.get("year") or today.year,
        on=asked.get("on"),
        today=today,
        expected_sales=asked.get("expected_sales"),
        expected_staff=asked.get("expected_staff"),
    )
    return form, facts, assessment


@require_right(Right.LEDGER_VIEW)
def enterprise_detail(request, pk: int):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    today = timezone.localdate()
    page = selectors.enterprise_page(enterprise, today=today)
    readiness_form, facts, assessment = _readiness(request, enterprise, today)
    return render(
        request,
        "enterprises/enterprise_detail.html",
        {
            "page": page,
            "enterprise": enterprise,
            "assessment": assessment,
            "readiness_form": readiness_form,
            "facts": facts,
            "history": selectors.enterprise_history(enterprise)
            if has_right(request.user, Right.HISTORY_VIEW)
            else None,
            "can_edit": has_right(request.user, Right.LEDGER_EDIT),
            "can_qualify": has_right(request.user, Right.QUALIFICATION_EDIT),
            "milestone_form": MilestoneForm(),
            "visit_form": VisitForm(initial={"visited_on": today}),
            "qualification_form": QualificationForm(),
            "today": today,
            "crumbs": ledger_crumbs((enterprise.name, None)),
        },
    )


@require_right(Right.LEDGER_EDIT)
def enterprise_edit(request, pk: int):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    crumbs = ledger_crumbs((_("修改"), None), enterprise=enterprise)
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(enterprise=enterprise, by=request.user, **form.service_fields())
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/enterprise_form.html",
        {"form": form, "enterprise": enterprise, "crumbs": crumbs},
    )


@require_right(Right.LEDGER_EDIT)
def figures_edit(request, pk: int, year: int | None = None):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    instance = None
    if year is not None:
        instance = get_object_or_404(AnnualFigures, enterprise=enterprise, year=year)
    initial = {"year": timezone.localdate().year - 1} if instance is None else None
    form = FiguresForm(request.POST or None, instance=instance, enterprise=enterprise, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.figures_save(
                enterprise=enterprise,
                year=instance.year if instance else form.cleaned_data["year"],
                by=request.user,
                **form.figure_values(),
            )
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, _("年度数据已保存，达标情况已重新计算。"))
            return redirect(reverse("enterprises:detail", args=[enterprise.pk]) + "#figures")
    return render(
        request,
        "enterprises/figures_form.html",
        {
            "form": form,
            "enterprise": enterprise,
            "instance": instance,
            "crumbs": ledger_crumbs((_("年度数据"), None), enterprise=enterprise),
        },
    )


def _ledger_form(request, form, *, enterprise, save, done: str, anchor: str, title: str):
    """One of the enterprise page's small forms, through the shared form page; back to the enterprise."""
    back = reverse("enterprises:detail", args=[enterprise.pk])
    return form_page(
        request,
        form,
        save=save,
        done=done,
        success_url=back + anchor,
        title=title,
        crumbs=ledger_crumbs(enterprise=enterprise),
        cancel=back + anchor,
        context={"subtitle": enterprise.name},
    )


@require_right(Right.LEDGER_EDIT)
def milestone_add(request, pk: int):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    return _ledger_form(
        request,
        MilestoneForm(request.POST or None),
        enterprise=enterprise,
        save=lambda form: services.milestone_create(
            enterprise=enterprise, by=request.user, **form.cleaned_data
        ),
        done=_("已添加帮扶节点。"),
        anchor="#helper",
        title=_("添加帮扶节点"),
    )


@require_right(Right.LEDGER_EDIT)
def milestone_edit(request, pk: int, milestone_pk: int):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    milestone = get_object_or_404(LedgerMilestone, enterprise=enterprise, pk=milestone_pk)
    return _ledger_form(
        request,
        MilestoneForm(request.POST or None, instance=milestone),
        enterprise=enterprise,
        save=lambda form: services.milestone_update(
            milestone=milestone, by=request.user, **form.cleaned_data
        ),
        done=_("帮扶节点已更新。"),
        anchor="#helper",
        title=_("修改帮扶节点"),
    )


@require_right(Right.LEDGER_EDIT)
def visit_add(request, pk: int):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    return _ledger_form(
        request,
        VisitForm(request.POST or None, initial={"visited_on": timezone.localdate()}),
        enterprise=enterprise,
        save=lambda form: services.visit_create(enterprise=enterprise, by=request.user, **form.cleaned_data),
        done=_("已记录服务走访。"),
        anchor="#visits",
        title=_("记录服务走访"),
    )


@require_right(Right.QUALIFICATION_EDIT)
def qualification_add(request, pk: int):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    return _ledger_form(
        request,
        QualificationForm(request.POST or None),
        enterprise=enterprise,
        save=lambda form: services.qualification_record(
            enterprise=enterprise, by=request.user, **form.cleaned_data
        ),
        done=_("已登记资质，培育阶段已更新。"),
        anchor="#qualifications",
        title=_("登记资质"),
    )


@require_right(Right.QUALIFICATION_EDIT)
def qualification_revoke(request, pk: int, qualification_pk: int):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    qualification = get_object_or_404(Qualification, enterprise=enterprise, pk=qualification_pk)
    return _ledger_form(
        request,
        RevokeForm(request.POST or None, initial={"revoked_on": timezone.localdate()}),
        enterprise=enterprise,
        save=lambda form: services.qualification_revoke(
            qualification=qualification, by=request.user, **form.cleaned_data
        ),
        done=_("资质已撤销，培育阶段已更新。"),
        anchor="#qualifications",
        title=_("撤销资质：%(q)s") % {"q": qualification},
    )


# --- import ------------------------------------------------------------------------------------


def _upload_dir() -> Path:
    return stash_dir("ledger")  # purged when never confirmed (anyang_hte.core.stash)


@require_right(Right.LEDGER_IMPORT)
def import_template(request):
    response = HttpResponse(
        build_template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(True, _("培育台账导入模板.xlsx"))
    return response


@require_right(Right.LEDGER_IMPORT)
def import_upload(request):
    form = LedgerImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        jurisdiction = form.cleaned_data["jurisdiction"]
        token, suffix = stash_upload(upload, _upload_dir())
        path = _upload_dir() / f"{token}{suffix}"
        if not runs_as_job(path, upload.name):
            request.session[f"ledger_import_{token}"] = {
                "name": upload.name,
                "suffix": suffix,
                "jurisdiction": jurisdiction.pk,
            }
            return redirect("enterprises:import_preview", token=token)
        try:  # a large file is read and written by a worker, never in the request
            job = import_job_create(
                by=request.user,
                kind=LedgerImportJob.kind,
                title=_("台账导入：%(j)s") % {"j": jurisdiction.name},
                filename=upload.name,
                stash=path,
                params={"jurisdiction": jurisdiction.pk},
            )
        except DomainError as exc:
            path.unlink(missing_ok=True)
            add_refusal_to_form(form, exc)
        else:
            return redirect("import_job", job_id=job.pk)
    return render(
        request,
        "enterprises/import_upload.html",
        {
            "form": form,
            "jobs": import_jobs_for(request.user, LedgerImportJob.kind),
            "crumbs": ledger_crumbs((_("台账导入"), None)),
        },
    )


def _stored_import(request, token: str):
    meta = request.session.get(f"ledger_import_{token}")
    if not meta or not token.isalnum():
        raise Http404(_("导入文件已失效，请重新上传。"))
    path = _upload_dir() / f"{token}{meta['suffix']}"
    if not path.exists():
        raise Http404(_("导入文件已失效，请重新上传。"))
    jurisdiction = get_object_or_404(Jurisdiction, pk=meta["jurisdiction"])
    with open(path, "rb") as fh:
        plan = plan_ledger_import(fh, meta["name"], jurisdiction=jurisdiction, user=request.user)
    return meta, path, jurisdiction, plan


@require_right(Right.LEDGER_IMPORT)
def import_preview(request, token: str):
    try:
        meta, path, jurisdiction, plan = _stored_import(request, token)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("enterprises:import")
    if request.method == "POST":
        if plan.errors:
            messages.error(request, _("文件仍有错误，未写入任何数据。"))
        else:
            try:
                result = services.apply_ledger_import(plan, by=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                os.remove(path)
                request.session.pop(f"ledger_import_{token}", None)
                messages.success(
                    request,
                    _("导入完成：新增 %(c)d 家，更新 %(u)d 家，未变化 %(n)d 家。")
                    % {"c": result.created, "u": result.updated, "n": result.unchanged},
                )
                return redirect("enterprises:list")
    return render(
        request,
        "enterprises/import_preview.html",
        {
            "plan": plan,
            "meta": meta,
            "jurisdiction": jurisdiction,
            "token": token,
            "crumbs": ledger_crumbs((_("台账导入"), reverse("enterprises:import")), (_("导入预览"), None)),
        },
    )


@require_POST
@require_right(Right.LEDGER_IMPORT)
def import_cancel(request, token: str):
    meta = request.session.pop(f"ledger_import_{token}", None)
    if meta and token.isalnum():
        (_upload_dir() / f"{token}{meta['suffix']}").unlink(missing_ok=True)
    messages.info(request, _("已取消导入，未写入任何数据。"))
    return redirect("enterprises:import")
