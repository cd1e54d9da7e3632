"""A round's entries in a spreadsheet (xlsx or csv), as filtered on the round page."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from anyang_hte.core.exporters import CellValue, ListExporter

from .models import ApplicationRound, RoundEntry


class RoundEntryExporter(ListExporter):
    def __init__(self, round_: ApplicationRound, entries):
        self.entries = entries
        self.filename = _("%(year)s年高企申报") % {"year": round_.year}
        self.title = _("%(round)s申报企业名单") % {"round": round_}
        self.headers = [
            _("序号"),
            _("县区"),
            _("企业名称"),
            _("统一社会信用代码"),
            _("状态"),
            _("意向登记日期"),
            _("县区代登记"),
            _("未通过原因"),
            _("原因"),
        ]

    def column_widths(self) -> list[float]:
        return [6, 16, 36, 22, 12, 14, 10, 16, 60]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        for number, entry in enumerate(self.entries, start=1):
            reasons = [f"{name}：{reason}" for name, reason in entry.returned_conditions]
            if entry.reason:
                reasons.append(entry.reason)
            yield [
                number,
                entry.enterprise.jurisdiction.name,
                entry.enterprise.name,
                entry.enterprise.credit_code,
                entry.get_status_display(),
                entry.declared_at.date(),
                _("是") if entry.on_behalf else "",
                entry.get_outcome_reason_display() if entry.outcome_reason else "",
                "；".join(reasons),
            ]


def ordered(entries) -> list[RoundEntry]:
    return list(
        entries.select_related("enterprise__jurisdiction").order_by(
            "enterprise__jurisdiction__sort_order", "enterprise__name", "pk"
        )
    )
