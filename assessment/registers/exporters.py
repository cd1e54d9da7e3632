"""The carrier list and the Little Giant reserve in a spreadsheet (xlsx or csv), as filtered on the page."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from anyang_hte.core.dates import today
from anyang_hte.core.exporters import CellValue, ListExporter

from .models import LittleGiantReserveEntry


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


class LittleGiantReserveExporter(ListExporter):
    """The reserve list of a year as filtered on the page: each condition's figure, the verdict, the entry.

    Money in exact yuan; the R&D share in percent with two decimals rounded down, as on the page.
    """

    def __init__(self, reserve):
        self.reserve = reserve
        year, previous = reserve.year, reserve.year - 1
        self.filename = _("科技小巨人备案%(year)d") % {"year": year}
        self.title = _("安阳市%(year)d年科技小巨人备案候选与推荐名单（%(day)s）") % {
            "year": year,
            "day": today().isoformat(),
        }
        self.headers = [
            _("序号"),
            _("企业名称"),
            _("统一社会信用代码"),
            _("县区"),
            _("科技型中小企业登记编号"),
            _("技术领域"),
            _("%(y)d年营业收入（元）") % {"y": previous},
            _("%(y)d年研发费用（元）") % {"y": previous},
            _("研发费用占营业收入比例（%）"),
            _("%(y)d年I类知识产权") % {"y": previous},
            _("%(y)d年II类知识产权") % {"y": previous},
            _("符合备案条件"),
            _("不符合的条件"),
            _("备案状态"),
            _("推荐说明"),
            _("不符合条件的推荐理由"),
        ]

    def column_widths(self) -> list[float]:
        return [6, 36, 22, 14, 22, 16, 16, 16, 12, 10, 10, 10, 40, 14, 30, 30]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        statuses = dict(LittleGiantReserveEntry.Status.choices)
        for number, row in enumerate(self.reserve.rows, start=1):
            e = row.enterprise
            yield [
                number,
                e.name,
                e.credit_code,
                e.jurisdiction.name,
                row.tech_sme_number if row.tech_sme_number is not None else _("无有效登记"),
                row.field_label,
                row.sales,
                row.rd,
                row.rd_share_percent,
                row.ip_class1,
                row.ip_class2,
                _("是") if row.is_candidate else _("否"),
                "；".join(row.failures),
                str(statuses[row.entry_status]) if row.entry_status else _("符合条件，未推荐"),
                row.entry_note,
                row.entry_reason,
            ]
