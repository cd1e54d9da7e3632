"""The audit log as a spreadsheet: the page's rows under the page's filters, every column in full.

Read in chunks: one query for a chunk of entries (with their people) and one per content type for the
chunk's object labels, so a large export runs in flat memory and a bounded number of queries. Large ones
run as an export job (``settings.EXPORT_BUILDERS["core.audit_log"]``).
"""

import json
from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit_filters import AuditLogFilter
from .audit_selectors import audit_entries, audit_rows, may_view_audit_log
from .errors import DomainError
from .exporters import CellValue, ListExporter
from .guards import ensure_right
from .roles import Right

CHUNK = 1000
NO_LIMIT = 10**9


class AuditLogExporter(ListExporter):
    def __init__(self, queryset, *, chunk_size: int = CHUNK):
        self.queryset = queryset
        self.chunk_size = chunk_size
        self.filename = _("操作日志")
        self.title = _("安阳市高新技术企业培育管理平台操作日志")
        self.headers = [
            _("时间"),
            _("操作人"),
            _("角色"),
            _("所属县区或企业"),
            _("事项"),
            _("事项代码"),
            _("对象类型"),
            _("对象编号"),
            _("对象"),
            _("内容"),
        ]

    def column_widths(self) -> list[float]:
        return [18, 14, 14, 18, 20, 30, 14, 10, 30, 60]

    def count(self, cap: int | None = None) -> int:
        rows = self.queryset.order_by().values("pk")
        return rows[: cap + 1].count() if cap is not None else rows.count()

    def iter_rows(self) -> Iterator[list[CellValue]]:
        # Keyset over (created_at, id), newest first, as the page lists them.
        chunk = list(self.queryset[: self.chunk_size])
        while chunk:
            for row in audit_rows(chunk, summary_chars=NO_LIMIT):
                entry = row.entry
                yield [
                    timezone.localtime(entry.created_at).replace(tzinfo=None, microsecond=0),
                    row.person,
                    row.role,
                    row.place,
                    row.action_label,
                    entry.action,
                    row.object_type,
                    entry.object_id,
                    row.object_label,
                    json.dumps(entry.data, ensure_ascii=False, default=str) if entry.data else "",
                ]
            last = chunk[-1]
            chunk = list(
                self.queryset.filter(
                    Q(created_at__lt=last.created_at) | Q(created_at=last.created_at, id__lt=last.id)
                )[: self.chunk_size]
            )


def build_audit_log_exporter(user, params) -> AuditLogExporter:
    """The export of the audit log as ``user`` sees it under the page's filters (``params``)."""
    ensure_right(user, Right.AUDIT_VIEW)
    if not may_view_audit_log(user):
        raise DomainError(_("操作日志仅供市级部门查看。"))
    flt = AuditLogFilter(params or None, queryset=audit_entries(user))
    return AuditLogExporter(flt.qs)
