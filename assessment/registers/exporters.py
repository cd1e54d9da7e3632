"""The carrier list in a spreadsheet (xlsx or csv), as filtered on the page."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from anyang_hte.core.dates import today
from anyang_hte.core.exporters import CellValue, ListExporter


class CarrierExporter(ListExporter):
    """The carrier list as filtered on the page."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.filename = _("孵化载体")
        self.title = _("安阳市孵化载体登记表（%(day)s）") % {"day": today().isoformat()}
        self.headers = [
            _("序号"),
            _("载体名称"),
            _("类型"),
            _("级别"),
            _("县区"),
            _("认定日期"),
            _("撤销日期"),
        ]

    def column_widths(self) -> list[float]:
        return [6, 40, 16, 10, 24, 12, 12]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        rows = self.queryset.select_related("jurisdiction").order_by("jurisdiction", "name", "pk")
        for number, carrier in enumerate(rows.iterator(chunk_size=500), start=1):
            yield [
                number,
                carrier.name,
                carrier.get_kind_display(),
                carrier.get_level_display(),
                carrier.jurisdiction.name,
                carrier.recognised_on,
                carrier.revoked_on,
            ]
