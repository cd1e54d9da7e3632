"""The audit log page (操作日志): who did what to which record, filtered, paged and exported.

For the holders of ``Right.AUDIT_VIEW`` (reviewers, administrators); everyone else gets a 403 that says
why (see :mod:`anyang_hte.core.audit_selectors` for why county users are not shown a county slice).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from . import services
from .audit_exporters import build_audit_log_exporter
from .audit_filters import AuditLogFilter
from .audit_selectors import audit_entries, audit_rows, may_view_audit_log
from .errors import DomainError
from .exporters import export_response
from .pages import paginate_rows, querystring_without_page

PER_PAGE = 50
EXPORT_KIND = "core.audit_log"


def _allowed(request) -> None:
    if not may_view_audit_log(request.user):
        raise PermissionDenied(_("操作日志仅供市科技局和系统管理员查看。"))


def _crumbs(*more) -> list:
    return [(_("首页"), reverse("home")), *more]


@require_safe
def audit_log_list(request):
    _allowed(request)
    flt = AuditLogFilter(request.GET or None, queryset=audit_entries(request.user))
    paging = paginate_rows(request, flt.qs, per_page=PER_PAGE)  # newest first: auditlog_created_id
    return render(
        request,
        "audit_log.html",
        {
            "filter": flt,
            "paging": paging,
            "rows": audit_rows(paging.records),
            "querystring": querystring_without_page(request),
            "crumbs": _crumbs((_("操作日志"), None)),
        },
        status=paging.status,
    )


@require_http_methods(["GET", "POST"])
def audit_log_export(request, fmt: str):
    """Small exports stream at once; large ones become a background job with a progress bar."""
    _allowed(request)
    if fmt not in ("xlsx", "csv"):
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    try:
        exporter = build_audit_log_exporter(request.user, request.GET)
        if request.method == "POST":
            job = services.export_job_create(by=request.user, kind=EXPORT_KIND, fmt=fmt, params=request.GET)
            return redirect("export_job", job_id=job.pk)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    limit = settings.EXPORT_INLINE_ROWS
    if exporter.count(cap=limit) <= limit:
        return export_response(exporter, fmt)
    return render(
        request,
        "export_confirm.html",
        {
            "title": exporter.title,
            "limit": limit,
            "fmt": fmt,
            "back": reverse("audit_log"),
            "crumbs": _crumbs((_("操作日志"), reverse("audit_log")), (_("导出"), None)),
        },
    )
