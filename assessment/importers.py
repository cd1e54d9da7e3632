"""The statistics bureau's published value-added, imported from a spreadsheet: read it and say what it
would do (the preview); :func:`assessment.services.published_value_added_import` writes it.

    plan = plan_published_import(fileobj, "统计数据.xlsx", source="2024年安阳市国民经济和社会发展统计公报")
    if not plan.errors:
        services.published_value_added_import(plan=plan, by=request.user)

One row is one jurisdiction's (or the whole city's, "全市") figures of one year, in 万元:

    县区/全市 | 年度 | 高新技术产业增加值（万元） | 规模以上工业增加值（万元） | 来源 (optional)

The source of a row is its 来源 cell, else the one typed on the upload form, else the sheet's title.
A blank figure leaves the stored one as it is, and a row without either figure is skipped (the
template lists every jurisdiction). Every bad row is reported with its row, column and why;
with any error nothing is written. Cells are read with the ledger import's helpers
(:mod:`enterprises.import_parsing`: 万元 to exact yuan, years, blank marks, totals rows).
"""

import io
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.money import yuan_to_wan
from enterprises.import_files import read_limited
from enterprises.import_parsing import (
    CREATED,
    FILE_COLUMN,
    UNCHANGED,
    UPDATED,
    CellError,
    FileProblem,
    RowCounts,
    RowError,
    fold,
    is_blank,
    normalise_header,
    open_table,
    parse_money,
    parse_text,
    parse_year,
    row_is_skippable,
)

from .models import PublishedValueAdded
from .services import MIN_YEAR, validate_published

SCOPE, YEAR, HIGHTECH, INDUSTRIAL, SOURCE = "scope", "year", "hightech", "industrial", "source"
HEADERS = {  # the template's header text of each column
    SCOPE: "县区/全市",
    YEAR: "年度",
    HIGHTECH: "高新技术产业增加值（万元）",
    INDUSTRIAL: "规模以上工业增加值（万元）",
    SOURCE: "来源",
}
ALIASES = {
    SCOPE: ("县区/全市", "县区", "全市/县区", "县(市、区)", "县(市、区、管委会)", "地区"),
    YEAR: ("年度", "年份", "统计年度"),
    HIGHTECH: ("高新技术产业增加值(万元)",),
    INDUSTRIAL: ("规模以上工业增加值(万元)", "规上工业增加值(万元)"),
    SOURCE: ("来源", "数据来源"),
}
REQUIRED = (SCOPE, YEAR, HIGHTECH, INDUSTRIAL)
CITY_NAMES = ("全市", "安阳市", "全市合计", "市", "city")
MAX_ROWS = 5000

logger = logging.getLogger(__name__)
TITLE = "统计局公布的高新技术产业增加值和规模以上工业增加值"

_KNOWN = {normalise_header(text): key for key, texts in ALIASES.items() for text in texts}
_YUAN_HEADERS = {  # the same columns in yuan: a unit mistake, said so
    normalise_header(text.replace("(万元)", "(元)")): key
    for key in (HIGHTECH, INDUSTRIAL)
    for text in ALIASES[key]
}


@dataclass(frozen=True)
class RowPlan:
    row: int
    scope_name: str  # the jurisdiction's name, or 全市
    jurisdiction: Jurisdiction | None  # None: the whole city
    year: int
    hightech_value_added: Decimal | None  # exact yuan, after the blanks kept what is stored
    industrial_value_added: Decimal | None
    source: str
    action: str  # created / updated / unchanged
    previous: PublishedValueAdded | None = None


@dataclass
class PublishedImportPlan(RowCounts):
    filename: str
    source: str = ""  # the upload form's source, or the sheet's title
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _is_header(values) -> bool:
    keys = {_KNOWN.get(normalise_header(v)) for v in values if v is not None}
    return YEAR in keys and bool(keys & {HIGHTECH, INDUSTRIAL, SCOPE})


def _scopes() -> dict[str, Jurisdiction | None]:
    found: dict[str, Jurisdiction | None] = {fold(name).lower(): None for name in CITY_NAMES}
    for j in Jurisdiction.objects.order_by("sort_order", "code"):
        for text in filter(None, (j.code, j.name, j.short_name)):
            found.setdefault(fold(text).lower(), j)
    return found


def plan_published_import(fileobj, filename: str, *, source: str = "") -> PublishedImportPlan:
    """Read the file and plan every row; nothing is written. File-level problems are row 0."""
    plan = PublishedImportPlan(filename=filename, source=(source or "").strip())
    try:
        table = open_table(
            read_limited(fileobj),
            filename,
            is_header=_is_header,
            missing_header=_("没有找到表头：表头行应包含“%(columns)s”。")
            % {"columns": "”“".join(HEADERS[key] for key in REQUIRED)},
        )
        try:
            _plan_rows(plan, table)
        finally:
            table.close()
    except FileProblem as exc:
        plan.rows, plan.errors = [], [RowError(0, FILE_COLUMN, str(exc))]
        return plan
    except Exception:  # a hostile file must end in a refusal, never a traceback
        logger.warning("published import: unreadable file %r", filename, exc_info=True)
        plan.rows = []
        plan.errors = [RowError(0, FILE_COLUMN, _("文件内容有误，无法读取，请在 Excel 中重新保存后再导入。"))]
        return plan
    if not plan.rows and not plan.errors:
        plan.errors.append(RowError(0, FILE_COLUMN, _("文件中只有表头，没有任何数据行。")))
    return plan


def _map_columns(plan: PublishedImportPlan, headers: list[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, raw in enumerate(headers):
        key = normalise_header(raw)
        if not key:
            continue
        if key in _YUAN_HEADERS:
            wanted = HEADERS[_YUAN_HEADERS[key]]
            plan.errors.append(
                RowError(0, raw, _("列“%(h)s”的单位应为万元，请改为“%(t)s”。") % {"h": raw, "t": wanted})
            )
            continue
        name = _KNOWN.get(key)
        if name is None:
            plan.ignored_columns.append(raw)
        elif name in columns:
            plan.errors.append(RowError(0, raw, _("“%(h)s”列出现了两次。") % {"h": HEADERS[name]}))
        else:
            columns[name] = index
    missing = [HEADERS[key] for key in REQUIRED if key not in columns]
    if missing:
        plan.errors.append(
            RowError(0, FILE_COLUMN, _("缺少列：%(columns)s。") % {"columns": "、".join(missing)})
        )
    return None if plan.errors else columns


def _plan_rows(plan: PublishedImportPlan, table) -> None:
    columns = _map_columns(plan, table.headers)
    if columns is None:
        return
    plan.source = plan.source or table.title.strip()
    reader = _RowReader(plan, columns)
    for number, values in table.rows:
        if row_is_skippable(values):
            continue
        if len(plan.rows) + len(plan.errors) >= MAX_ROWS:
            plan.errors.append(
                RowError(number, FILE_COLUMN, _("文件行数过多：最多%(n)d行。") % {"n": MAX_ROWS})
            )
            return
        row, errors = reader.read(number, values)
        plan.errors.extend(errors)
        if row is not None:
            plan.rows.append(row)


class _RowReader:
    """Reads one data row into a :class:`RowPlan`, or the row's errors (every bad cell at once)."""

    def __init__(self, plan: PublishedImportPlan, columns: dict[str, int]):
        self.plan, self.columns = plan, columns
        self.scopes = _scopes()
        self.stored = {(r.jurisdiction_id, r.year): r for r in PublishedValueAdded.objects.all()}
        self.seen: dict[tuple[int | None, int], int] = {}
        self.last_year = timezone.localdate().year

    def cell(self, values: list, key: str):
        index = self.columns.get(key)
        value = values[index] if index is not None and index < len(values) else None
        return None if is_blank(value) else value

    def read(self, number: int, values: list) -> tuple[RowPlan | None, list[RowError]]:
        errors: list[RowError] = []

        def bad(key: str, message: str) -> None:
            errors.append(RowError(number, HEADERS[key], message))

        jurisdiction, scope_name = None, ""
        text = self.cell(values, SCOPE)
        try:
            key = None if text is None else fold(parse_text(text, None)).lower()
        except CellError as exc:  # a formula, control characters
            bad(SCOPE, str(exc))
            return None, errors
        if key is None:
            bad(SCOPE, _("请填写县区名称、简称、代码或“全市”。"))
        elif key not in self.scopes:
            bad(SCOPE, _("未知的县区“%(v)s”，请填写县区名称、简称、代码或“全市”。") % {"v": text})
        else:
            jurisdiction = self.scopes[key]
            scope_name = jurisdiction.name if jurisdiction else _("全市")
        parsed: dict[str, object] = {}
        for key in (YEAR, HIGHTECH, INDUSTRIAL):
            value = self.cell(values, key)
            parsed[key] = None
            if value is None:
                if key == YEAR:
                    bad(YEAR, _("请填写年度，如 2024。"))
                continue
            try:
                parsed[key] = (
                    parse_year(value, MIN_YEAR, self.last_year) if key == YEAR else parse_money(value)
                )
            except CellError as exc:
                bad(key, str(exc))
        if errors:
            return None, errors
        if parsed[HIGHTECH] is None and parsed[INDUSTRIAL] is None:
            return None, errors  # nothing published in this row (a template's empty line): skipped

        year = parsed[YEAR]
        where = (jurisdiction.pk if jurisdiction else None, year)
        if where in self.seen:
            bad(SCOPE, _("%(scope)s %(year)s年的数据与第%(row)d行重复。")
                % {"scope": scope_name, "year": year, "row": self.seen[where]})  # fmt: skip
            return None, errors
        self.seen[where] = number
        previous = self.stored.get(where)
        source = self.cell(values, SOURCE)
        try:
            source = parse_text(source, None) if source is not None else self.plan.source
        except CellError as exc:
            bad(SOURCE, str(exc))
            return None, errors
        hightech = parsed[HIGHTECH] if parsed[HIGHTECH] is not None else _stored(previous, HIGHTECH)
        industrial = parsed[INDUSTRIAL] if parsed[INDUSTRIAL] is not None else _stored(previous, INDUSTRIAL)
        try:
            hightech, industrial, source = validate_published(hightech, industrial, source)
        except DomainError as exc:
            bad({"hightech_value_added": HIGHTECH, "source": SOURCE}.get(exc.field, INDUSTRIAL), exc.message)
            return None, errors
        if previous is None:
            action = CREATED
        elif (previous.hightech_value_added, previous.industrial_value_added, previous.source) == (
            hightech,
            industrial,
            source,
        ):
            action = UNCHANGED
        else:
            action = UPDATED
        row = RowPlan(number, scope_name, jurisdiction, year, hightech, industrial, source, action, previous)
        return row, errors


def _stored(previous: PublishedValueAdded | None, key: str) -> Decimal | None:
    if previous is None:
        return None
    return previous.hightech_value_added if key == HIGHTECH else previous.industrial_value_added


def build_published_template(year: int) -> bytes:
    """The import template of ``year``: one row per jurisdiction and 全市, with what is stored (万元).

    A data format: always in the portal's own language (Chinese), whatever the user's.
    """
    with translation.override(settings.LANGUAGE_CODE):
        stored = {r.jurisdiction_id: r for r in PublishedValueAdded.objects.filter(year=year)}
        wb = Workbook()
        ws = wb.active
        ws.title = _("统计数据")
        ws.append([f"{year}年{TITLE}"])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append([HEADERS[key] for key in (SCOPE, YEAR, HIGHTECH, INDUSTRIAL, SOURCE)])
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        scopes = [(j.pk, j.name) for j in Jurisdiction.objects.order_by("sort_order", "code")]
        for pk, name in [*scopes, (None, _("全市"))]:
            row = stored.get(pk)
            ws.append(
                [
                    name,
                    year,
                    _wan(row.hightech_value_added) if row else None,
                    _wan(row.industrial_value_added) if row else None,
                    row.source if row else None,
                ]
            )
        for letter, width in zip("ABCDE", (26, 8, 26, 26, 48), strict=True):
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "A3"
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()


def _wan(yuan: Decimal | None):
    return None if yuan is None else yuan_to_wan(yuan)
