"""The ledger spreadsheet format: its columns, the blank template, reading a file (.xlsx or .csv),
finding its header row, and turning each cell into a model value.

Only :class:`Lookups` and the template read the database (the jurisdictions). The importer
(:mod:`enterprises.importers`) checks the rows against each other and the database, and writes them.
"""

import csv
import datetime
import io
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
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.money import NotExactToTheFen, wan_to_yuan

from .identifiers import validate_credit_code
from .models import Enterprise, QualificationKind, RDInstitutionLevel, Stage, TechField

HEADER_SCAN_ROWS = 15
TEMPLATE_TITLE = "安阳市高新技术企业培育台账"
TEMPLATE_SHEET = "培育台账"
HELP_SHEET = "填写说明"
FILE_COLUMN = "(文件)"  # RowError.column for problems with the file as a whole
MAX_YUAN = Decimal(10) ** 16  # MONEY fields: 18 digits, 2 decimal places
MAX_COUNT = 2_147_483_647
PLANNED_YEARS = (2000, 2100)
MAX_ROWS = 200_000
FIGURES_FIRST_YEAR = 1990  # as enterprises.services.figures_save


@dataclass(frozen=True)
class Column:
    key: str  # model field name; "seq" is read and ignored
    header: str  # the template's header text
    kind: str
    aliases: tuple[str, ...] = ()

    @property
    def help(self) -> str:
        return str(HELP[self.key])


COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", "ignore"),
    Column("name", "企业名称", "text"),
    Column("credit_code", "统一社会信用代码", "credit_code", ("社会信用代码", "信用代码")),
    Column("jurisdiction", "所属县区", "jurisdiction", ("县区", "所属县(市、区)", "所属县(市、区、管委会)")),
    Column("tech_field", "技术领域", "tech_field"),
    Column("registered_on", "成立日期", "date", ("注册日期", "成立时间")),
    Column("address", "地址", "text", ("企业地址", "注册地址", "通讯地址", "详细地址")),
    Column("legal_representative", "法定代表人", "text", ("法人代表", "法人")),
    Column("contact_name", "联系人", "text", ("企业联系人",)),
    Column("contact_phone", "联系电话", "text", ("联系人电话", "企业联系电话")),
    Column("bank_name", "开户银行", "text", ("开户行",)),
    Column("bank_account", "银行账号", "text", ("银行帐号", "开户账号", "账号")),
    Column("bank_account_holder", "户名", "text", ("账户户名", "开户名称", "账户名称")),
    Column("rd_institution", "研发机构名称", "text", ("研发机构",)),
    Column("rd_institution_level", "研发机构级别", "rd_level"),
    Column(
        "restricted_industry",
        "主要产品属于禁止、限制或淘汰类",
        "bool",
        ("属于禁止、限制或淘汰类", "禁止、限制或淘汰类"),
    ),
    Column("declared_stage", "培育阶段", "stage"),
    Column("helper_name", "挂钩帮扶责任人", "text", ("帮扶责任人",)),
    Column("helper_phone", "责任人电话", "text", ("帮扶责任人电话",)),
    Column("helper_unit", "责任人单位", "text", ("帮扶责任人单位", "帮扶单位")),
    Column("planned_year", "计划申报年度", "planned_year", ("计划申报年份", "拟申报年度")),
    Column("year", "年度", "year", ("数据年度", "统计年度")),
    Column("sales_revenue", "营业收入(万元)", "money", ("销售收入(万元)",)),
    Column("total_income", "总收入(万元)", "money"),
    Column("rd_expense", "研发费用(万元)", "money", ("研发费用总额(万元)",)),
    Column(
        "rd_expense_domestic",
        "境内研发费用(万元)",
        "money",
        ("其中境内研发费用(万元)", "其中:境内研发费用(万元)"),
    ),
    Column("total_costs", "成本费用总额(万元)", "money"),
    Column("staff_count", "职工总数", "staff", ("职工总数(年平均)",)),
    Column("st_staff_count", "科技人员数", "staff", ("科技人员数(年平均)",)),
    Column("hightech_revenue", "高新技术产品(服务)收入(万元)", "money", ("高新技术产品收入(万元)",)),
    Column("total_assets", "资产总额(万元)", "money"),
    Column("net_assets", "净资产(万元)", "money"),
    Column("industrial_value_added", "工业增加值(万元)", "money"),
    Column("ip_class1_count", "I类知识产权数", "count", ("I类知识产权",)),
    Column("ip_class2_count", "II类知识产权数", "count", ("II类知识产权",)),
    Column("conversions_count", "科技成果转化数", "count", ("科技成果转化数(项)", "成果转化数")),
    Column("notes", "备注", "text"),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
FIGURE_KEYS = tuple(c.key for c in COLUMNS if c.kind in ("money", "count", "staff"))
# The enterprise's own record: the same on every row (every year) of the enterprise.
ENTERPRISE_KEYS = tuple(
    c.key for c in COLUMNS if c.key not in ("seq", "credit_code", "jurisdiction", "year", *FIGURE_KEYS)
)

_MONEY_HELP = gettext_lazy("单位万元，最多6位小数（精确到0.01元）。")
HELP = {
    "seq": gettext_lazy("可不填，导入时忽略。"),
    "name": gettext_lazy("新企业必填，与营业执照一致。"),
    "credit_code": gettext_lazy("必填，18位；按此代码识别企业：已登记的更新，未登记的新建。"),
    "jurisdiction": gettext_lazy("可填名称、简称或代码；只能是本次导入的县区，空白即本县区。"),
    "tech_field": gettext_lazy("《国家重点支持的高新技术领域》8个领域之一。"),
    "registered_on": gettext_lazy("如 2018-03-05、2018/3/5、2018年3月5日。"),
    "address": gettext_lazy("企业地址。"),
    "legal_representative": gettext_lazy("法定代表人姓名。"),
    "contact_name": gettext_lazy("企业联系人姓名。"),
    "contact_phone": gettext_lazy("企业联系人电话。"),
    "bank_name": gettext_lazy("拨付奖补资金的开户银行。"),
    "bank_account": gettext_lazy("银行账号；请设为文本格式，以免 Excel 把长数字改成科学计数法。"),
    "bank_account_holder": gettext_lazy("银行开户名称；空白即企业名称。"),
    "rd_institution": gettext_lazy("企业研发机构（研发中心、工程技术研究中心等）的名称。"),
    "rd_institution_level": gettext_lazy("研发机构的认定级别。"),
    "restricted_industry": gettext_lazy(
        "主要产品属于《产业结构调整指导目录》禁止、限制或淘汰类的填“是”，否则填“否”。"
    ),
    "declared_stage": gettext_lazy("县区台账填报的阶段，可空白。"),
    "helper_name": gettext_lazy("挂钩帮扶的责任人姓名。"),
    "helper_phone": gettext_lazy("责任人联系电话。"),
    "helper_unit": gettext_lazy("责任人所在单位。"),
    "planned_year": gettext_lazy("计划申报高新技术企业的年度，如 2026。"),
    "year": gettext_lazy(
        "本行经营数据所属的年度；同一企业多个年度请分行填写，或每个年度一张工作表（表名如“2024年”）。"
    ),
    "sales_revenue": _MONEY_HELP,
    "total_income": gettext_lazy("收入总额减去不征税收入，单位万元，最多6位小数。"),
    "rd_expense": _MONEY_HELP,
    "rd_expense_domestic": gettext_lazy("研发费用中在境内发生的部分，单位万元，不大于研发费用。"),
    "total_costs": _MONEY_HELP,
    "staff_count": gettext_lazy("全年月平均人数的平均数，可保留一位小数。"),
    "st_staff_count": gettext_lazy("全年月平均人数的平均数，可保留一位小数，不大于职工总数。"),
    "hightech_revenue": _MONEY_HELP,
    "total_assets": gettext_lazy("年末资产总额，单位万元。"),
    "net_assets": gettext_lazy("年末净资产（资产总额减负债总额），单位万元。"),
    "industrial_value_added": gettext_lazy("工业企业填写，单位万元。"),
    "ip_class1_count": gettext_lazy("发明专利等，非负整数。"),
    "ip_class2_count": gettext_lazy("实用新型、外观设计、软件著作权等，非负整数。"),
    "conversions_count": gettext_lazy("本年度科技成果转化的项数，非负整数。"),
    "notes": gettext_lazy("其他说明。"),
}

BOOLEAN_TEXTS = {
    **dict.fromkeys(("是", "y", "yes", "true", "1", "√", "✓", "属于"), True),
    **dict.fromkeys(("否", "n", "no", "false", "0", "×", "✗", "不属于"), False),
}
RD_LEVEL_SYNONYMS = {
    "国家": RDInstitutionLevel.NATIONAL,
    "省": RDInstitutionLevel.PROVINCE,
    "市": RDInstitutionLevel.CITY,
    "企业自设": RDInstitutionLevel.OWN,
    "自设": RDInstitutionLevel.OWN,
    "未认定": RDInstitutionLevel.OWN,
}

STAGE_SYNONYMS = {
    "高企后备": Stage.HTE_CANDIDATE,
    "高新技术企业后备": Stage.HTE_CANDIDATE,
    "培育库": Stage.HTE_CANDIDATE,
    "高企": Stage.HTE,
    "高新技术企业": Stage.HTE,
    "科技型中小企业": Stage.TECH_SME,
    "科小": Stage.TECH_SME,
    "小巨人培育": Stage.LG_CULTIVATION,
    "科技小巨人": Stage.LITTLE_GIANT,
    "创新龙头": Stage.LEADING,
    "小巨人备案": Stage.LG_RESERVE,
}

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


class FileProblem(Exception):
    """The file as a whole cannot be read."""


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
    return typed(value).strip()


def typed(value) -> str:
    """A cell as the user typed it (as Excel shows it): 120 not 120.0, a date without its midnight."""
    if value is None:
        return ""
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
    return ranges


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
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError, InvalidFileException...
        raise FileProblem(
            _("无法读取 Excel 文件，请确认是 .xlsx 格式（旧的 .xls 请在 Excel 中另存为 .xlsx）。")
        ) from exc


def _sheet_table(ws, is_header) -> Table | None:
    if not hasattr(ws, "iter_rows"):
        return None  # a chart sheet
    ws.reset_dimensions()  # some writers record a wrong size; read every row instead
    numbered = ((n, list(v)) for n, v in enumerate(ws.iter_rows(values_only=True), start=1))
    found = _find_header(_fill_merged(numbered, _merged_ranges(ws)), is_header)
    if found:
        found.sheet = ws.title
    return found


def _xlsx_tables(data: bytes, is_header, wb=None) -> Iterator[Table]:
    wb = wb or _load_xlsx(data)
    try:
        for ws in wb.worksheets:
            found = _sheet_table(ws, is_header)
            if found:
                yield found
                return
    finally:
        wb.close()


def _year_tables(wb, ignored: list[str]) -> Iterator[Table]:
    """Every worksheet named for a year that has a ledger header, with its year; the other sheets that
    have a header, or are named for a year and have none, go to ``ignored``."""
    try:
        for ws in wb.worksheets:
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
    for encoding in ("utf-8-sig", "gb18030"):  # UTF-8 with or without BOM, else GB18030 (GBK)
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem(_("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GB18030（GBK）编码。"))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    found = _find_header(((n, row) for n, row in enumerate(reader, start=1)), is_header)
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
            if any(sheet_year(title) is not None for title in wb.sheetnames):
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


def parse_text(value, max_length: int | None) -> str:
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
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, float) and math.isfinite(value):
        number = Decimal(repr(value))  # the shortest text that round-trips: what Excel showed
    else:
        text = fold(value).removesuffix("万元").removesuffix("万")
        if not isinstance(value, str) or not _NUMBER.match(text):
            raise CellError(_("“%(v)s”不是有效的数字。") % {"v": _show(value)})
        number = Decimal(text.replace(",", ""))
    if not number.is_finite():
        raise CellError(_("“%(v)s”不是有效的数字。") % {"v": _show(value)})
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


# --- the blank template ------------------------------------------------------------------------

_WIDTHS = {
    "seq": 6,
    "name": 32,
    "credit_code": 22,
    "jurisdiction": 14,
    "address": 30,
    "bank_name": 22,
    "bank_account": 24,
    "bank_account_holder": 28,
    "rd_institution": 26,
    "restricted_industry": 16,
    "hightech_revenue": 18,
    "notes": 30,
}


def template_width(key: str) -> float:
    """The column's width in the template and in the ledger export."""
    header = COLUMN_BY_KEY[key].header
    return _WIDTHS.get(key, max(10, min(18, len(header) * 2)))


def template_choices(jurisdictions) -> dict[str, list[str]]:
    """The values a drop-down offers, per column (the portal's language, as the cells are read)."""
    return {
        "jurisdiction": [j.name for j in jurisdictions],
        "tech_field": [str(label) for label in TechField.labels],
        "rd_institution_level": [str(label) for label in RDInstitutionLevel.labels],
        "restricted_industry": [_("是"), _("否")],
        "declared_stage": [str(label) for label in Stage.labels],
    }


def build_template_workbook() -> bytes:
    """The empty ledger template (.xlsx): title row, styled header, and a 填写说明 sheet.

    The template is a data format: always in the portal's own language (Chinese), whatever the user's.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _build_template_workbook()


def _build_template_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    last = get_column_letter(len(COLUMNS))
    ws["A1"] = TEMPLATE_TITLE
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 32
    thin = Side(style="thin", color="999999")
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=2, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        ws.column_dimensions[get_column_letter(index)].width = template_width(column.key)
    ws.row_dimensions[2].height = 48
    ws.freeze_panes = "A3"

    jurisdictions = list(Jurisdiction.objects.order_by("sort_order", "code"))
    for key, values in template_choices(jurisdictions).items():
        letter = get_column_letter(list(COLUMN_BY_KEY).index(key) + 1)
        validation = DataValidation(
            type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showErrorMessage=False
        )
        validation.add(f"{letter}3:{letter}5000")
        ws.add_data_validation(validation)

    _help_sheet(wb.create_sheet(HELP_SHEET), jurisdictions)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _help_sheet(ws, jurisdictions) -> None:
    ws["A1"] = _("填写说明")
    ws["A1"].font = Font(size=14, bold=True)
    notes = [
        _("1. 请勿修改“%(s)s”表的表头；表头上方的标题行、空行和合计行导入时会被跳过。")
        % {"s": TEMPLATE_SHEET},
        _("2. 一行是一家企业一个年度的数据；同一企业多个年度请分行填写，企业信息各行应一致。"),
        _("3. 也可以每个年度一张工作表，表名写年份（如“2024年”）：各表按表名的年度导入，“年度”列可不填。"),
        _("4. 按统一社会信用代码识别企业：没有的新建，已有的更新；空白单元格不会清除系统中已有的数据。"),
        _("5. 金额单位为万元（最多6位小数），日期如 2018-03-05 或 2018年3月5日。"),
        _("6. 导入前会先预览；有任何错误时整个文件都不会写入。"),
        _("7. 台账导出的文件与本模板的列完全相同，修改后可直接导入。"),
    ]
    for offset, note in enumerate(notes, start=2):
        ws.cell(row=offset, column=1, value=note)
    top = len(notes) + 3
    for index, title in enumerate((_("列名"), _("说明"), _("可填的值")), start=1):
        cell = ws.cell(row=top, column=index, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    allowed = {
        "jurisdiction": [
            f"{j.code} {j.name}" + (f"（{j.short_name}）" if j.short_name != j.name else "")
            for j in jurisdictions
        ],
        "tech_field": [str(label) for label in TechField.labels],
        "rd_institution_level": [str(label) for label in RDInstitutionLevel.labels],
        "restricted_industry": [_("是"), _("否")],
        "declared_stage": [str(label) for label in Stage.labels]
        + [_("同义词：") + "、".join(STAGE_SYNONYMS)],
    }
    for offset, column in enumerate(COLUMNS, start=top + 1):
        ws.cell(row=offset, column=1, value=column.header)
        ws.cell(row=offset, column=2, value=str(column.help))
        if column.key in allowed:
            cell = ws.cell(row=offset, column=3, value="\n".join(allowed[column.key]))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 40
