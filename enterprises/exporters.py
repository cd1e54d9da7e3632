"""The ledger (培育台账) as a spreadsheet: the import template itself, filled in.

The columns are exactly the ledger import template's (:data:`enterprises.import_parsing.COLUMNS`), in
its order and with its header text, and there is one row per enterprise and year of figures (an
enterprise without figures has one row, its 年度 blank), the enterprise's own columns repeated on each.
So an export, edited or not, imports again: unchanged cells change nothing. Cells are data, in the
portal's own language (Chinese) whatever the user's: 培育阶段 is the stage the county declared
(``declared_stage``), which is what the import reads.

Rows are read in keyset-paginated chunks of enterprises by primary key: two queries per chunk (the
enterprises with their jurisdiction, and that chunk's figures), so a million enterprises export in flat
memory and a bounded number of queries. The export is therefore in 入库 (primary key) order, and each
enterprise's years from the earliest.
"""

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anyang_hte.core.exporters import CellValue, ListExporter, Quantity
from anyang_hte.core.guards import ensure_right
from anyang_hte.core.money import yuan_to_wan
from anyang_hte.core.roles import Right

from .filters import EnterpriseFilter
from .ledger_template import COLUMNS, ENTERPRISE_KEYS, FIGURE_KEYS, template_width
from .models import AnnualFigures, RDInstitutionLevel, Stage, TechField
from .selectors import enterprise_list_queryset

ENTERPRISE_VALUES = ("pk", "credit_code", "jurisdiction__name", *ENTERPRISE_KEYS)
FIGURE_VALUES = ("enterprise_id", "year", *FIGURE_KEYS)
MONEY_KEYS = frozenset(c.key for c in COLUMNS if c.kind == "money")
STAFF_KEYS = frozenset(c.key for c in COLUMNS if c.kind == "staff")


class LedgerExporter(ListExporter):
    chunk_size = 2000

    def __init__(self, queryset, *, year: int | None = None, chunk_size: int | None = None):
        """``queryset`` is an already scoped (``for_user``) and filtered enterprise queryset.

        ``year`` limits the figures to one year (one row per enterprise); by default every year.
        """
        self.queryset = queryset
        self.year = year
        if chunk_size is not None:
            self.chunk_size = chunk_size
        self.filename = _("培育台账")
        self.title = (
            _("安阳市高新技术企业培育台账（%(year)s年度数据）") % {"year": year}
            if year is not None
            else _("安阳市高新技术企业培育台账")
        )
        self.headers = [column.header for column in COLUMNS]
        # Data, not interface: the labels the import reads, in the portal's own language.
        with translation.override(settings.LANGUAGE_CODE):
            self._labels = {
                "tech_field": {value: str(label) for value, label in TechField.choices},
                "declared_stage": {value: str(label) for value, label in Stage.choices},
                "rd_institution_level": {value: str(label) for value, label in RDInstitutionLevel.choices},
                "restricted_industry": {True: _("是"), False: _("否")},
            }

    def column_widths(self) -> list[float]:
        return [template_width(column.key) for column in COLUMNS]

    def _figures(self):
        figures = AnnualFigures.objects.order_by()
        return figures.filter(year=self.year) if self.year is not None else figures

    def count(self, cap: int | None = None) -> int:
        """Rows this export will hold (one per enterprise and year); with ``cap``, stop counting past it."""
        enterprises = self.queryset.order_by()
        if cap is not None and enterprises[: cap + 1].count() > cap:
            return cap + 1
        if self.year is not None:
            return enterprises.count()
        years = self._figures().filter(enterprise__in=enterprises.values("pk"))
        without = enterprises.filter(~Exists(AnnualFigures.objects.filter(enterprise=OuterRef("pk"))))
        return years.count() + without.count()

    def iter_rows(self) -> Iterator[list[CellValue]]:
        enterprises = self.queryset.order_by("pk").values(*ENTERPRISE_VALUES)
        number, last_pk = 0, None
        while True:
            page = enterprises if last_pk is None else enterprises.filter(pk__gt=last_pk)
            chunk = list(page[: self.chunk_size])
            if not chunk:
                return
            years: dict[int, list[dict]] = {}
            for row in (
                self._figures()
                .filter(enterprise_id__in=[e["pk"] for e in chunk])
                .order_by("enterprise_id", "year")
                .values(*FIGURE_VALUES)
            ):
                years.setdefault(row["enterprise_id"], []).append(row)
            for enterprise in chunk:
                for figures in years.get(enterprise["pk"]) or [{}]:
                    number += 1
                    yield self._row(number, enterprise, figures)
            if len(chunk) < self.chunk_size:
                return
            last_pk = chunk[-1]["pk"]

    def _row(self, number: int, e: dict, f: dict) -> list[CellValue]:
        cells: list[CellValue] = []
        for column in COLUMNS:
            key = column.key
            if key == "seq":
                cells.append(number)
            elif key == "jurisdiction":
                cells.append(e["jurisdiction__name"])
            elif key in self._labels:
                cells.append(self._labels[key].get(e[key]) or None)
            elif key in e:
                cells.append(e[key] if e[key] != "" else None)
            elif key in MONEY_KEYS:
                cells.append(yuan_to_wan(f.get(key)))
            elif key in STAFF_KEYS:
                cells.append(_staff(f.get(key)))
            else:  # year and the counts
                cells.append(f.get(key))
        return cells


def _staff(value):
    """95.5 stays 95.5 and 100.0 becomes 100: a head count, not money."""
    if value is None:
        return None
    return Quantity(value.quantize(1) if value == value.to_integral_value() else value)


def build_ledger_exporter(user, params) -> LedgerExporter:
    """The ledger list's export for ``user`` with the list's filters ``params`` (a QueryDict).

    Asked again when a background export job runs, so a user who lost the right gets nothing.
    """
    ensure_right(user, Right.LEDGER_EXPORT)
    queryset = enterprise_list_queryset(user, today=timezone.localdate())
    flt = EnterpriseFilter(params or None, queryset=queryset, user=user)
    year = params.get("year") if params else None
    return LedgerExporter(flt.qs, year=int(year) if year and str(year).isdigit() else None)
