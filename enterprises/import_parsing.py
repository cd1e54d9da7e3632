"""Reading a ledger spreadsheet (.xlsx or .csv): finding its header row (on each sheet named for a year,
or the first sheet that has one), and turning each cell into a model value. The columns and the blank
template are :mod:`enterprises.ledger_template`.

Only :class:`Lookups` reads the database (the jurisdictions). The importer
(:mod:`enterprises.importers`) checks the rows against each other and the database, and writes them.
"""

import datetime
import math
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel

from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.money import NotExactToTheFen, wan_to_yuan

from .identifiers import validate_credit_code
from .import_files import (
    MAX_MERGED_RANGES,
    FileProblem,
    Formula,
    Unreadable,
    clip_merged,
    csv_rows,
    decode_csv,
    is_visible,
    load_xlsx,
    sheet_rows,
)
from .ledger_template import (  # noqa: F401 (the format's names, for the importers)
    BOOLEAN_TEXTS,
    COLUMN_BY_KEY,
    COLUMNS,
    ENTERPRISE_KEYS,
    FIGURE_KEYS,
    HELP,
    HELP_SHEET,
    RD_LEVEL_SYNONYMS,
    STAGE_SYNONYMS,
    TEMPLATE_SHEET,
    TEMPLATE_TITLE,
    Column,
    build_template_workbook,
    template_width,
)
from .models import Enterprise, QualificationKind, RDInstitutionLevel, Stage, TechField

HEADER_SCAN_ROWS = 15
FILE_COLUMN = "(文件)"  # RowError.column for problems with the file as a whole
MAX_YUAN = Decimal(10) ** 16  # MONEY fields: 18 digits, 2 decimal places
MAX_COUNT = 2_147_483_647
PLANNED_YEARS = (2000, 2100)
MAX_ROWS = 200_000  # the default of settings.IMPORT_MAX_ROWS (read through max_rows())
MAX_DIGITS = 24  # significant digits of a number cell: more is a mistake, whatever the column
MAX_MAGNITUDE = 15  # a number cell is below 10**16 (no column holds more; exact within Decimal's 28 digits)
FIGURES_FIRST_YEAR = 1990  # as enterprises.services.figures_save


_SPACES = re.compile(r"\s+")
_BLANK_MARKS = {"-", "--", "—", "——", "/", "\\"}
_TOTALS = re.compile(r"^(合计|总计|小计)")
_FOOTNOTE = re.compile(r"^(注|说明|备注|填表说明)[:：]")
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?\bref=[\"']([A-Z]+[0-9]+:[A-Z]+[0-9]+)[\"']")
_YEAR_SHEET = re.compile(r"^((?:19|20)\d{2})(?:年度?)?(?:数据)?$")
_NUMBER = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")
# Characters no cell may hold: C0/C1 controls but tab and line breaks, lone surrogates, non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True)
class RowError:
    """``row`` is the row number Excel shows (1-based); 0 with column "(文件)" means the whole file.

    ``sheet`` names the worksheet when a file has several (one per year); ``value`` is the cell as it
    was typed (empty for a blank cell), so the preview shows what to correct, not what was read.
    """

    row: int
    column: str
    message: str
    sheet: str = ""
    value: str = ""

    @property
    def where(self) -> str:
        """``row R, column C`` (with the sheet when there are several): the command's error prefix."""
        prefix = f"sheet {self.sheet}, " if self.sheet else ""
        return f"{prefix}row {self.row}, column {self.column}"


def stash_upload(upload, directory: Path) -> tuple[str, str]:
    """Keep an uploaded file for its preview and confirmation: ``(token, suffix)``, the file being
    ``directory / f"{token}{suffix}"`` (``.csv`` or ``.xlsx``, from the uploaded name)."""
    suffix = ".csv" if upload.name.lower().endswith(".csv") else ".xlsx"
    token = uuid.uuid4().hex
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{token}{suffix}", "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return token, suffix


class RowCounts:
    """What an import plan's preview reports: how many of its ``rows`` each action would take."""

    rows: list

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self.count(CREATED)

    @property
    def updated(self) -> int:
        return self.count(UPDATED)

    @property
    def unchanged(self) -> int:
        return self.count(UNCHANGED)


def max_rows() -> int:
    """Data rows one import file may have (``IMPORT_MAX_ROWS``)."""
    return int(getattr(settings, "IMPORT_MAX_ROWS", MAX_ROWS))


class CellError(Exception):
    """One cell cannot be parsed; the message says why."""


# --- text helpers ------------------------------------------------------------------------------


def fold(text) -> str:
    """NFKC (full-width → half-width, （）→ ()), with every space removed: for headers and look-ups."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text)))


def normalise_header(value) -> str:
    if value is None:
        return ""
    return fold(value).strip("*")


def is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip().replace("\u3000", "")
        return not text or text in _BLANK_MARKS
    return False


def _show(value) -> str:
    text = typed(value).strip()
    return text if len(text) <= 80 else text[:80] + "…"


def visible(text: str) -> str:
    """``text`` with its control characters shown as ``\\x00``: for messages and previews."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def typed(value) -> str:
    """A cell as the user typed it (as Excel shows it): 120 not 120.0, a date without its midnight."""
    if value is None:
        return ""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def sheet_year(title: str) -> int | None:
    """The year a worksheet is named for (“2024年”, “2024年度”, “2024”), else None."""
    match = _YEAR_SHEET.match(fold(title or ""))
    return int(match.group(1)) if match else None


# --- reading the file --------------------------------------------------------------------------


@dataclass
class Table:
    """A sheet, positioned after its header row. ``rows`` yields (Excel row number, cell values)."""

    header_row: int
    headers: list[str]
    rows: Iterator[tuple[int, list]]
    title: str = ""  # the first text above the header (a sheet's title row), if any
    sheet: str = ""  # the worksheet's name (empty for a CSV file)
    year: int | None = None  # the year the worksheet is named for, in a file with one sheet per year
    source: Iterator | None = field(default=None, repr=False)

    def close(self) -> None:
        """Release the workbook (the rows are read lazily from it)."""
        if self.source is not None:
            self.source.close()


def is_ledger_header(values) -> bool:
    names = {normalise_header(v) for v in values}
    return "企业名称" in names and bool(names & {"统一社会信用代码", "社会信用代码", "信用代码"})


def _find_header(numbered_rows: Iterator[tuple[int, list]], is_header) -> Table | None:
    """Scan the first rows for the header; of a two-line header (merged cells filled down) take the later.

    Text above the header is the sheet's title.
    """
    peeked = []
    for number, values in numbered_rows:
        peeked.append((number, values))
        if len(peeked) >= HEADER_SCAN_ROWS:
            break
    header_index = None
    for i, (_number, values) in enumerate(peeked):
        if is_header(values):
            header_index = i
        elif header_index is not None:
            break
    if header_index is None:
        return None
    title = ""
    for _number, values in peeked[:header_index]:
        text = next((str(v).strip() for v in values if not is_blank(v)), "")
        if text and not is_header(values):
            title = text
            break
    number, values = peeked[header_index]
    rest = iter(peeked[header_index + 1 :])

    def chained():
        yield from rest
        yield from numbered_rows

    headers = ["" if v is None else str(v).strip() for v in values]
    return Table(header_row=number, headers=headers, rows=chained(), title=title)


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """Merged cell ranges of a read-only sheet (openpyxl does not expose them in read-only mode).

    The ``<mergeCell ref="A1:S1"/>`` elements follow the cell data; a byte scan finds them much faster
    than parsing the whole sheet's XML a second time.
    """
    ranges = []
    try:
        source = ws._get_source()
    except (AttributeError, KeyError):
        return ranges
    with source:
        tail = b""
        while chunk := source.read(1 << 20):
            buffer, end = tail + chunk, 0
            for match in _MERGE_CELL.finditer(buffer):
                min_col, min_row, max_col, max_row = range_boundaries(match.group(1).decode("ascii"))
                ranges.append((min_row, max_row, min_col, max_col))
                end = match.end()
            tail = buffer[max(end, len(buffer) - 512) :]  # an element cut at the chunk boundary
            if len(ranges) > MAX_MERGED_RANGES:
                break  # clip_merged refuses the file
    return clip_merged(ranges)


def _fill_merged(numbered_rows, ranges):
    """Give every cell of a merged range the value of its top-left cell."""
    if not ranges:
        yield from numbered_rows
        return
    starting: dict[int, list] = {}
    for rng in ranges:
        if rng[1] > rng[0] or rng[3] > rng[2]:
            starting.setdefault(rng[0], []).append(rng)
    active = []
    for number, values in numbered_rows:
        for _min_row, max_row, min_col, max_col in starting.get(number, ()):
            value = values[min_col - 1] if min_col <= len(values) else None
            active.append((max_row, min_col, max_col, value))
        if active:
            active = [a for a in active if a[0] >= number]
            for _max_row, min_col, max_col, value in active:
                if len(values) < max_col:
                    values.extend([None] * (max_col - len(values)))
                for c in range(min_col - 1, max_col):
                    values[c] = value
        yield number, values


def _load_xlsx(data: bytes):
    """The workbook, once its archive passed the checks of :func:`enterprises.import_files.load_xlsx`."""
    return load_xlsx(data)


class _Seen:
    """Wraps a sheet's rows, noting whether any of the rows read has a value."""

    def __init__(self, rows):
        self.rows, self.filled = rows, False

    def __iter__(self):
        for number, values in self.rows:
            if not self.filled and any(not is_blank(v) for v in values):
                self.filled = True
            yield number, values


def _sheet_table(ws, is_header, seen: list | None = None) -> Table | None:
    """The sheet's table after its header; ``seen`` gets True when the rows scanned have any value."""
    if not hasattr(ws, "iter_rows"):
        return None  # a chart sheet
    rows = _Seen(_fill_merged(sheet_rows(ws), _merged_ranges(ws)))
    found = _find_header(iter(rows), is_header)
    if seen is not None:
        seen.append(rows.filled)
    if found:
        found.sheet = ws.title
    return found


def _no_table(wb, hidden: list[str], seen: list) -> FileProblem | None:
    """Why no visible sheet has a header, when it is not just a missing header: empty, or hidden."""
    if hidden:
        return FileProblem(
            _("表头所在的工作表“%(s)s”是隐藏的，隐藏的工作表不会导入：请在 Excel 中取消隐藏后再导入。")
            % {"s": "、".join(hidden)}
        )
    if not any(seen):
        return FileProblem(_("工作簿是空的：没有任何可见的工作表有内容。"))
    return None


def _xlsx_tables(data: bytes, is_header, wb=None) -> Iterator[Table]:
    """The first visible sheet with a header; hidden sheets are never read (only named when the header
    is on one). Raises ``FileProblem`` for an empty workbook."""
    wb = wb or _load_xlsx(data)
    hidden: list[str] = []
    seen: list[bool] = []
    try:
        for ws in wb.worksheets:
            if not is_visible(ws):
                if _sheet_table(ws, is_header) is not None:
                    hidden.append(ws.title)
                continue
            found = _sheet_table(ws, is_header, seen)
            if found:
                yield found
                return
        problem = _no_table(wb, hidden, seen)
        if problem is not None:
            raise problem
    finally:
        wb.close()


def _year_tables(wb, ignored: list[str]) -> Iterator[Table]:
    """Every worksheet named for a year that has a ledger header, with its year; the other sheets that
    have a header, or are named for a year and have none, go to ``ignored``."""
    try:
        for ws in wb.worksheets:
            if not is_visible(ws):
                ignored.append(ws.title)
                continue
            found = _sheet_table(ws, is_ledger_header)
            year = sheet_year(ws.title)
            if year is None or found is None:
                if found is not None or year is not None:
                    ignored.append(ws.title)
                continue
            found.year = year
            yield found
    finally:
        wb.close()


def _csv_table(data: bytes, is_header) -> Iterator[Table]:
    text = decode_csv(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    found = _find_header(csv_rows(text, delimiter), is_header)
    if found:
        yield found


def open_table(data: bytes, filename: str, *, is_header=is_ledger_header, missing_header: str = "") -> Table:
    """The first sheet with a header (``is_header``), positioned after it. Raises ``FileProblem``.

    Shared by the ledger import and the official lists; ``missing_header`` says what the header needs.
    """
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")):
        tables = _xlsx_tables(data, is_header)
    elif name.endswith(".csv"):
        tables = _csv_table(data, is_header)
    elif name.endswith(".xls"):
        raise FileProblem(_("不支持旧的 .xls 格式，请在 Excel 中另存为 .xlsx 后再导入。"))
    else:
        raise FileProblem(_("只能导入 .xlsx 或 .csv 文件。"))
    table = next(tables, None)
    if table is None:
        raise FileProblem(missing_header or _missing_header())
    table.source = tables
    return table


class LedgerSheets:
    """The tables of a ledger file, read one after the other: every worksheet named for a year (“2024年”,
    “2024”) when the workbook has such sheets, each row taking the sheet's year; otherwise the first
    sheet with a ledger header, as :func:`open_table`. Raises ``FileProblem``; ``close()`` when done."""

    def __init__(self, data: bytes, filename: str):
        self.ignored: list[str] = []  # worksheets not read (filled in as the tables are read)
        self.by_year = False
        self._rest: Iterator[Table] = iter(())
        name = (filename or "").lower()
        if name.endswith((".xlsx", ".xlsm")):
            wb = _load_xlsx(data)
            if any(sheet_year(ws.title) is not None for ws in wb.worksheets if is_visible(ws)):
                self.by_year = True
                self._rest = _year_tables(wb, self.ignored)
                self.first = next(self._rest, None)
                if self.first is None:
                    raise FileProblem(
                        _(
                            "按年度分表的工作表（%(s)s）在前%(n)d行中都没有表头：表头行应包含“企业名称”和“统一社会信用代码”。"
                        )
                        % {"s": "、".join(self.ignored), "n": HEADER_SCAN_ROWS}
                    )
                return
            tables = _xlsx_tables(data, is_ledger_header, wb)
            self.first = next(tables, None)
            if self.first is None:
                raise FileProblem(_missing_header())
            self.first.source = tables
            return
        self.first = open_table(data, filename)

    def __iter__(self) -> Iterator[Table]:
        if self.first is not None:
            yield self.first
        yield from self._rest

    def close(self) -> None:
        if self.first is not None:
            self.first.close()
        close = getattr(self._rest, "close", None)
        if close is not None:
            close()


def _missing_header() -> str:
    return _("在前%(n)d行中没有找到表头：表头行应包含“企业名称”和“统一社会信用代码”。") % {
        "n": HEADER_SCAN_ROWS
    }


def _header_names() -> tuple[dict[str, Column], dict[str, Column]]:
    """Folded header text → Column; and each money column by its name without the unit (营业收入)."""
    known: dict[str, Column] = {}
    bare: dict[str, Column] = {}
    for column in COLUMNS:
        for text in (column.header, *column.aliases):
            name = normalise_header(text)
            known[name] = column
            if column.kind == "money":
                bare[name.removesuffix("(万元)")] = column
    return known, bare


def map_headers(headers: list[str]) -> tuple[dict[int, Column], list[str], list[str]]:
    """Column index → Column, the ignored headers, and file-level problems (duplicates, wrong units)."""
    known, bare = _header_names()
    mapping: dict[int, Column] = {}
    seen: dict[str, str] = {}
    ignored, problems = [], []
    for index, raw in enumerate(headers):
        key = normalise_header(raw)
        if not key:
            continue
        column = known.get(key)
        if column is None:
            stem = re.sub(r"\((万?元|人民币元)\)$", "", key)
            money = bare.get(stem)
            if money is not None and stem != key:
                problems.append(_("列“%(h)s”的单位应为万元，请改为“%(t)s”。") % {"h": raw, "t": money.header})
            elif money is not None:
                problems.append(
                    _("列“%(h)s”没有注明金额单位，请按模板改为“%(t)s”（单位万元）。")
                    % {"h": raw, "t": money.header}
                )
            else:
                ignored.append(raw)
            continue
        if column.key in seen:
            problems.append(_("“%(h)s”列出现了两次。") % {"h": column.header})
            continue
        seen[column.key] = raw
        mapping[index] = column
    return mapping, ignored, problems


def row_is_skippable(values: list) -> bool:
    """Blank rows, totals rows (合计/总计/小计), footnotes (注：…) and rows that only carry a 序号."""
    filled = [v for v in values if not is_blank(v)]
    if not filled:
        return True
    for value in filled[:2]:
        if isinstance(value, str) and (_TOTALS.match(fold(value)) or _FOOTNOTE.match(fold(value))):
            return True
    return False


# --- look-ups ----------------------------------------------------------------------------------


class Lookups:
    """Names the file may use for jurisdictions, technical fields and stages (folded text → value)."""

    def __init__(self):
        self.jurisdictions: dict[str, Jurisdiction] = {}
        for j in Jurisdiction.objects.order_by("sort_order", "code"):
            for text in filter(None, (j.code, j.name, j.short_name)):
                self.jurisdictions.setdefault(fold(text), j)
        # Labels in every language of the portal: a file exported in English imports in Chinese too.
        self.tech_fields: dict[str, str] = {}
        self.stages: dict[str, str] = {}
        self.rd_levels: dict[str, str] = {fold(t): v.value for t, v in RD_LEVEL_SYNONYMS.items()}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                self.tech_fields.update({fold(t): v for v, label in TechField.choices for t in (v, label)})
                stages = [
                    *QualificationKind.choices,
                    *Stage.choices,
                    *((v.value, t) for t, v in STAGE_SYNONYMS.items()),
                ]
                self.stages.update({fold(t): v for v, label in stages for t in (v, label)})
                levels = RDInstitutionLevel.choices
                self.rd_levels.update({fold(t).lower(): v for v, label in levels for t in (v, label)})


# --- cell values -------------------------------------------------------------------------------


def check_cell(value) -> None:
    """Refuse what no column may import: a formula, a value that cannot be read, control characters."""
    if isinstance(value, Formula):
        raise CellError(
            _("单元格是公式（%(f)s），不能导入公式：请复制后“选择性粘贴→数值”再导入。") % {"f": _show(value)}
        )
    if isinstance(value, Unreadable):
        raise CellError(_("单元格的值无法读取（%(v)s），请改为普通的数字或文字。") % {"v": _show(value)})
    if isinstance(value, str) and (found := _CONTROL.search(value)):
        raise CellError(
            _("含有不可见的控制字符（U+%(code)04X，第%(i)d个字），请删除后再导入。")
            % {"code": ord(found.group()), "i": found.start() + 1}
        )


def parse_text(value, max_length: int | None) -> str:
    check_cell(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone numbers typed as numbers
    elif isinstance(value, datetime.datetime):
        value = value.date()
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # our exports neutralise formulas this way (anyang_hte.core.exporters)
    if max_length and len(text) > max_length:
        raise CellError(_("内容过长：最多%(max)d个字，实际%(n)d个字。") % {"max": max_length, "n": len(text)})
    return text


def parse_decimal(value) -> Decimal:
    """A number from a numeric cell or from text with thousands separators or full-width digits."""
    check_cell(value)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, float) and math.isfinite(value):
        number = Decimal(repr(value))  # the shortest text that round-trips: what Excel showed
    else:
        text = fold(value).removesuffix("万元").removesuffix("万")
        if not isinstance(value, str) or len(text) > 4 * MAX_DIGITS or not _NUMBER.match(text):
            raise CellError(_("“%(v)s”不是有效的数字。") % {"v": _show(value)})
        number = Decimal(text.replace(",", ""))
    if not number.is_finite():
        raise CellError(_("“%(v)s”不是有效的数字。") % {"v": _show(value)})
    if number.adjusted() > MAX_MAGNITUDE:
        raise CellError(_("数值“%(v)s”过大，请核对。") % {"v": _show(value)})
    if len(number.as_tuple().digits) > MAX_DIGITS:
        raise CellError(
            _("数值“%(v)s”的位数过多：最多%(n)d位有效数字。") % {"v": _show(value), "n": MAX_DIGITS}
        )
    return number


def parse_money(value) -> Decimal:
    """万元 in the file → exact yuan; more precision than 0.01 yuan is an error, not a rounding."""
    wan = parse_decimal(value)
    if wan < 0:
        raise CellError(_("金额不能为负数：%(v)s。") % {"v": _show(value)})
    try:
        cents = wan_to_yuan(wan)
    except NotExactToTheFen:
        raise CellError(
            _("金额“%(v)s”万元精确到了0.01元以下，请最多保留6位小数（以万元为单位）。") % {"v": _show(value)}
        ) from None
    if cents >= MAX_YUAN:
        raise CellError(_("金额“%(v)s”万元过大，请核对单位是否为万元。") % {"v": _show(value)})
    return cents


def parse_count(value) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise CellError(_("“%(v)s”应为整数。") % {"v": _show(value)})
    if number < 0:
        raise CellError(_("人数和件数不能为负数：%(v)s。") % {"v": _show(value)})
    if number > MAX_COUNT:
        raise CellError(_("“%(v)s”过大。") % {"v": _show(value)})
    return int(number)


def parse_staff(value) -> Decimal:
    """A yearly average head count: at most one decimal (95.5), never cut to a whole number."""
    number = parse_decimal(value)
    if number < 0:
        raise CellError(_("人数和件数不能为负数：%(v)s。") % {"v": _show(value)})
    if number != number.quantize(Decimal("0.1")):
        raise CellError(_("人数“%(v)s”为年平均数，最多保留一位小数。") % {"v": _show(value)})
    if number > MAX_COUNT:
        raise CellError(_("“%(v)s”过大。") % {"v": _show(value)})
    return number.quantize(Decimal("0.1"))


def parse_year(value, low: int, high: int) -> int:
    check_cell(value)
    text = fold(value).removesuffix("年度").removesuffix("年") if isinstance(value, str) else value
    try:
        year = parse_count(text)
    except CellError:
        year = None
    if year is None or not low <= year <= high:
        raise CellError(
            _("年度“%(v)s”无法识别，请填写%(low)d到%(high)d之间的四位年份，如 2025。")
            % {"v": _show(value), "low": low, "high": high}
        )
    return year


def _date_error(value) -> CellError:
    return CellError(_("日期无法识别：'%(v)s'，请用 2018-03-05 或 2018年3月5日 格式。") % {"v": _show(value)})


def parse_date(value) -> datetime.date:
    check_cell(value)
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 2100 < value < 2958466:  # an Excel serial after 1905; 2018 alone is a year, not a date
            raise _date_error(value)
        day = from_excel(value).date()
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
        if not match:
            raise _date_error(value)
        try:
            day = datetime.date(*(int(g) for g in match.groups()))
        except ValueError as exc:
            raise _date_error(value) from exc
    if day.year < 1900:
        raise _date_error(value)
    if day > timezone.localdate():
        raise CellError(_("日期%(d)s晚于今天。") % {"d": day.isoformat()})
    return day


def parse_bool(value) -> bool:
    check_cell(value)
    if isinstance(value, bool):
        return value
    found = BOOLEAN_TEXTS.get(fold(typed(value)).lower())
    if found is None:
        raise CellError(_("“%(v)s”无法识别，请填写“是”或“否”。") % {"v": _show(value)})
    return found


def max_length_of(key: str) -> int | None:
    return Enterprise._meta.get_field(key).max_length


def parse_cell(column: Column, value, lookups: Lookups, *, max_length: int | None = None):
    """The model value for one non-blank cell, or ``CellError``."""
    check_cell(value)
    kind = column.kind
    if kind == "text":
        return parse_text(value, max_length)
    if kind == "credit_code":
        try:
            return validate_credit_code(value)
        except ValidationError as exc:
            raise CellError(exc.messages[0]) from exc
    if kind == "jurisdiction":
        found = lookups.jurisdictions.get(fold(parse_text(value, None)))
        if found is None:
            raise CellError(_("未知的县区“%(v)s”，请填写县区名称、简称或代码。") % {"v": _show(value)})
        return found
    if kind in ("tech_field", "stage"):
        found = (lookups.tech_fields if kind == "tech_field" else lookups.stages).get(fold(value))
        if found is None:
            labels = TechField.labels if kind == "tech_field" else Stage.labels
            raise CellError(
                _("无法识别“%(v)s”，应为：%(all)s。")
                % {"v": _show(value), "all": "、".join(map(str, labels))}
            )
        return found
    if kind == "rd_level":
        found = lookups.rd_levels.get(fold(value).lower())
        if found is None:
            raise CellError(
                _("无法识别“%(v)s”，应为：%(all)s。")
                % {"v": _show(value), "all": "、".join(map(str, RDInstitutionLevel.labels))}
            )
        return found
    if kind == "bool":
        return parse_bool(value)
    if kind == "date":
        return parse_date(value)
    if kind == "year":
        return parse_year(value, FIGURES_FIRST_YEAR, timezone.localdate().year)
    if kind == "planned_year":
        return parse_year(value, *PLANNED_YEARS)
    if kind == "money":
        return parse_money(value)
    if kind == "count":
        return parse_count(value)
    if kind == "staff":
        return parse_staff(value)
    raise ValueError(f"unknown column kind {kind}")
