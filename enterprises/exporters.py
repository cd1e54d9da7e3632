"""The ledger (培育台账) as a spreadsheet.

The first columns are exactly the ledger import template's, in the template's order, so an exported
file can be edited and imported again; the export-only columns (当前阶段, 符合高企条件, 科小评分) come
after 备注. 培育阶段 is the stage the county declared (``declared_stage``), which is what the import
reads; 当前阶段 is the stage derived from valid qualifications.

Rows are read in keyset-paginated chunks by primary key: two queries per chunk (the enterprises with
their jurisdiction, and that chunk's figures for the year), so a million enterprises export in flat
memory and a bounded number of queries. The export is therefore in 入库 (primary key) order.
"""

from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anyang_hte.core.exporters import CellValue, ListExporter, Quantity
from anyang_hte.core.guards import ensure_right
from anyang_hte.core.money import yuan_to_wan
from anyang_hte.core.roles import Right

from .filters import EnterpriseFilter
from .import_parsing import COLUMNS
from .models import AnnualFigures, Stage, TechField
from .readiness.common import VERDICT_LABELS, flag_of
from .selectors import enterprise_list_queryset

TEMPLATE_WIDTHS = {
    "seq": 7,
    "name": 34,
    "credit_code": 22,
    "tech_field": 16,
    "declared_stage": 16,
    "helper_name": 14,
    "helper_phone": 15,
    "year": 8,
    "sales_revenue": 14,
    "total_income": 14,
    "rd_expense": 14,
    "staff_count": 10,
    "st_staff_count": 10,
    "hightech_revenue": 18,
    "ip_class1_count": 10,
    "ip_class2_count": 10,
    "conversions_count": 12,
    "notes": 30,
}

ENTERPRISE_FIELDS = (
    "pk",
    "name",
    "credit_code",
    "jurisdiction__name",
    "tech_field",
    "registered_on",
    "declared_stage",
    "helper_name",
    "helper_phone",
    "planned_year",
    "notes",
    "stage",
    "hte_ready",
    "tsme_score",
)
FIGURE_FIELDS = (
    "enterprise_id",
    "sales_revenue",
    "total_income",
    "rd_expense",
    "staff_count",
    "st_staff_count",
    "hightech_revenue",
    "ip_class1_count",
    "ip_class2_count",
    "conversions_count",
)


class LedgerExporter(ListExporter):
    chunk_size = 2000

    def __init__(self, queryset, *, year: int | None = None, chunk_size: int | None = None):
        """``queryset`` is an already scoped (``for_user``) and filtered enterprise queryset.

        ``year`` selects the annual figures; by default the last completed fiscal year.
        """
        self.queryset = queryset
        self.year = year if year is not None else timezone.localdate().year - 1
        if chunk_size is not None:
            self.chunk_size = chunk_size
        self.filename = _("培育台账")
        self.title = _("安阳市高新技术企业培育台账（%(year)s年度数据）") % {"year": self.year}
        columns = self._columns()
        self.headers = [header for header, _width in columns]
        self._widths = [width for _header, width in columns]
        # Cells under the import template's columns are data: in the portal's own language (Chinese)
        # whatever the user's, so that an export imports again.
        with translation.override(settings.LANGUAGE_CODE):
            self._stage_labels = {value: str(label) for value, label in Stage.choices}
            self._field_labels = {value: str(label) for value, label in TechField.choices}
        self._ready_labels = {flag_of(status): str(label) for status, label in VERDICT_LABELS.items()}

    @staticmethod
    def _columns() -> list[tuple[str, float]]:
        # The import template's columns come first, with the template's own header text (a data
        # format, the same in every language), so an edited export can be imported again.
        template = [(column.header, TEMPLATE_WIDTHS.get(column.key, 12)) for column in COLUMNS]
        return [
            *template,
            # Export only; an import ignores them.
            (_("当前阶段"), 16),
            (_("高企条件（本年申报）"), 14),
            (_("科小评分"), 10),
        ]

    def column_widths(self) -> list[float]:
        return self._widths

    def count(self, cap: int | None = None) -> int:
        """Rows this export will hold; with ``cap``, stop counting past it."""
        qs = self.queryset.order_by()
        return qs[: cap + 1].count() if cap is not None else qs.count()

    def iter_rows(self) -> Iterator[list[CellValue]]:
        enterprises = self.queryset.order_by("pk").values(*ENTERPRISE_FIELDS)
        number, last_pk = 0, None
        while True:
            page = enterprises if last_pk is None else enterprises.filter(pk__gt=last_pk)
            chunk = list(page[: self.chunk_size])
            if not chunk:
                return
            figures = {
                row["enterprise_id"]: row
                for row in AnnualFigures.objects.filter(
                    enterprise_id__in=[e["pk"] for e in chunk], year=self.year
                )
                .order_by()
                .values(*FIGURE_FIELDS)
            }
            for enterprise in chunk:
                number += 1
                yield self._row(number, enterprise, figures.get(enterprise["pk"]))
            if len(chunk) < self.chunk_size:
                return
            last_pk = chunk[-1]["pk"]

    def _row(self, number: int, e: dict, f: dict | None) -> list[CellValue]:
        f = f or {}
        return [
            number,
            e["name"],
            e["credit_code"],
            e["jurisdiction__name"],
            self._field_labels.get(e["tech_field"], e["tech_field"]) or None,
            e["registered_on"],
            self._stage_labels.get(e["declared_stage"], e["declared_stage"]) or None,
            e["helper_name"] or None,
            e["helper_phone"] or None,
            e["planned_year"],
            self.year if f else None,
            yuan_to_wan(f.get("sales_revenue")),
            yuan_to_wan(f.get("total_income")),
            yuan_to_wan(f.get("rd_expense")),
            _staff(f.get("staff_count")),
            _staff(f.get("st_staff_count")),
            yuan_to_wan(f.get("hightech_revenue")),
            f.get("ip_class1_count"),
            f.get("ip_class2_count"),
            f.get("conversions_count"),
            e["notes"] or None,
            self._stage_labels.get(e["stage"], e["stage"]),
            self._ready_labels[e["hte_ready"]],
            e["tsme_score"],
        ]


def _staff(value):
    """95.5 stays 95.5 and 100.0 becomes 100: a head count, not money."""
    if value is None:
        return None
    return Quantity(value.normalize() if value == value.to_integral_value() else value)


def build_ledger_exporter(user, params) -> LedgerExporter:
    """The ledger list's export for ``user`` with the list's filters ``params`` (a QueryDict).

    Asked again when a background export job runs, so a user who lost the right gets nothing.
    """
    ensure_right(user, Right.LEDGER_EXPORT)
    queryset = enterprise_list_queryset(user, today=timezone.localdate())
    flt = EnterpriseFilter(params or None, queryset=queryset, user=user)
    year = params.get("year") if params else None
    return LedgerExporter(flt.qs, year=int(year) if year and str(year).isdigit() else None)
