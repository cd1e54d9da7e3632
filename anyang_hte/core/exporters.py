"""Spreadsheet exports, after pretix's ListExporter.

An exporter says what its columns are and yields its rows; this module writes them as XLSX (xlsxwriter
in constant-memory mode, so rows stream to disk and memory stays flat) or as CSV (a generator, UTF-8
with a BOM so Excel opens Chinese text correctly). Both formats neutralise text cells that Excel would
run as a formula (CSV/formula injection).

``write_xlsx`` and ``iter_csv`` take any file or none, so a Celery task can write a large export to
storage with the same code the synchronous views use.
"""

import abc
import csv
import datetime
import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from typing import IO

import xlsxwriter
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.exceptions import InvalidWorksheetName
from xlsxwriter.worksheet import Worksheet


class Quantity(Decimal):
    """A decimal that is not money (a yearly average head count, 95.5): written as a plain number."""


CellValue = str | int | Decimal | datetime.date | None

# A text cell starting with one of these is a formula (or becomes one) when Excel opens the file.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
CSV_ROWS_PER_WRITE = 500

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class ListExporter(abc.ABC):
    """One table: ``headers`` and a generator of rows of the same length.

    Subclasses set ``filename`` (without extension or date), ``title`` (the first line of the XLSX) and
    ``headers``, and implement ``iter_rows``. Cells are ``str``, ``int``, ``Decimal``, ``date`` or None;
    money is ``Decimal`` and is written as a number with two decimals shown.
    """

    filename: str = "export"
    title: str = ""
    headers: list[str] = []

    @abc.abstractmethod
    def iter_rows(self) -> Iterator[list[CellValue]]:
        """Yield one list of cell values per data row."""

    def column_widths(self) -> list[float]:
        """Widths in Excel character units; XLSX is streamed, so they cannot be measured from the data."""
        return [max(8.0, _display_width(h) + 2.0) for h in self.headers]


def neutralise(value):
    """Make a text cell that Excel would treat as a formula show as text; leave other values alone.

    Numbers (including negative ``Decimal``), dates and None are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def export_filename(exporter: ListExporter, extension: str) -> str:
    return f"{exporter.filename}_{timezone.localdate():%Y%m%d}.{extension}"


# --- XLSX --------------------------------------------------------------------------------------

HEADER_FILL = "#DDEBF7"
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"
TIME_FORMAT = "h:mm:ss"
# xlsxwriter in constant-memory mode writes one row at a time straight to a temporary file, so memory
# stays flat whatever the row count; every cell is written by type (never ``write``, which would turn
# text starting with "=" into a formula).
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def write_xlsx(exporter: ListExporter, target: str | IO[bytes]) -> int:
    """Write the export to ``target`` (a path or a binary file); return the number of data rows.

    Row 1 is the title, row 2 the headers (bold, shaded, with an autofilter), both frozen; data from
    row 3. Text is text (formula-looking text neutralised), ``Decimal`` money a number shown with two
    decimals, ``Quantity`` and ``int`` plain numbers, dates dates.
    """
    wb = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
    try:
        ws = _add_sheet(wb, exporter.filename)
        headers = list(exporter.headers)
        for index, width in enumerate(exporter.column_widths()):
            ws.set_column(index, index, width)
        ws.freeze_panes(2, 0)
        ws.write_string(
            0, 0, _xlsx_text(exporter.title or ""), wb.add_format({"bold": True, "font_size": 14})
        )
        header_format = wb.add_format(
            {
                "bold": True,
                "pattern": 1,
                "bg_color": HEADER_FILL,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            }
        )
        for col, header in enumerate(headers):
            ws.write_string(1, col, _xlsx_text(str(header)), header_format)
        count = _write_rows(wb, ws, exporter.iter_rows())
        if headers:
            ws.autofilter(1, 0, count + 1, len(headers) - 1)
    finally:
        wb.close()
    return count


def _write_rows(wb, ws, rows: Iterator[list[CellValue]]) -> int:
    """Write the data rows from row 3; the innermost loop of every export, so types are dispatched by
    class first and by ``isinstance`` only for the rare subclass."""
    money = wb.add_format({"num_format": MONEY_FORMAT})
    date = wb.add_format({"num_format": DATE_FORMAT})
    stamp = wb.add_format({"num_format": DATETIME_FORMAT})
    clock = wb.add_format({"num_format": TIME_FORMAT})
    write_number = ws.write_number
    count = 0
    for row_index, row in enumerate(rows, start=2):
        for col, value in enumerate(row):
            cls = value.__class__
            if value is None:
                continue
            if cls is str:
                if value:
                    _write_text(ws, row_index, col, value)
            elif cls is int:
                write_number(row_index, col, value)
            elif cls is Decimal:
                write_number(row_index, col, value, money)  # written exactly (_Sheet), never via float
            elif cls is Quantity:
                write_number(row_index, col, value)  # General format: 95.5, 100
            elif cls is datetime.date:
                ws.write_datetime(row_index, col, value, date)
            else:
                _write_other(ws, row_index, col, value, money, date, stamp, clock)
        count += 1
    return count


def _write_other(ws, row, col, value, money, date, stamp, clock) -> None:
    if isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, Quantity):
        ws.write_number(row, col, value)
    elif isinstance(value, Decimal):
        ws.write_number(row, col, value, money)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value)
    elif isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)
        ws.write_datetime(row, col, value, stamp)
    elif isinstance(value, datetime.date):
        ws.write_datetime(row, col, value, date)
    elif isinstance(value, datetime.time):
        ws.write_datetime(row, col, value, clock)
    elif isinstance(value, str):
        if value:
            _write_text(ws, row, col, str(value))
    else:
        _write_text(ws, row, col, str(value))


def _write_text(ws, row: int, col: int, value: str) -> None:
    if value[0] in _FORMULA_FIRST:
        value = "'" + value
    if not value.isprintable():  # fast in C; only then look for control characters
        value = _xlsx_text(value)
        if not value:
            return
    if value[:3] == "<r>" and value[-4:] == "</r>":
        # xlsxwriter would take this text for its own rich-string XML and write it unescaped; as three
        # unformatted runs it is escaped and reads back as the same text.
        ws.write_rich_string(row, col, value[0], value[1], value[2:])
        return
    ws.write_string(row, col, value)


def _xlsx_text(value: str) -> str:
    """Text as today's files hold it: control characters dropped (they are not allowed in XML; pasted
    from Word, say) and carriage returns made line feeds, as an XML reader reads them."""
    if not value:
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


class _Sheet(Worksheet):
    """A worksheet that writes one ``<col>`` per column, as openpyxl did: xlsxwriter joins neighbours of
    the same width into one range, which Excel reads alike but openpyxl files under the first letter."""

    def _xml_number_element(self, number, attributes=()) -> None:
        """A ``Decimal`` (money, head counts) is written as its exact digits; xlsxwriter's own writer
        formats every number with 16 significant digits, which would round an amount of more."""
        if not isinstance(number, Decimal):
            return super()._xml_number_element(number, list(attributes))
        attr = "".join(f' {key}="{self._escape_attributes(value)}"' for key, value in attributes)
        self.fh.write(f"<c{attr}><v>{format(number, 'f')}</v></c>")

    def _write_cols(self) -> None:
        if not self.col_info:
            return
        self._xml_start_tag("cols")
        for col in sorted(self.col_info):
            self._write_col_info(col, col, self.col_info[col])
        self._xml_end_tag("cols")


def _add_sheet(wb, name: str):
    title = _sheet_title(name).strip("'") or "Sheet1"
    try:
        return wb.add_worksheet(title, worksheet_class=_Sheet)
    except InvalidWorksheetName:  # any other name Excel would refuse
        return wb.add_worksheet("Sheet1", worksheet_class=_Sheet)


def xlsx_response(exporter: ListExporter) -> FileResponse:
    """Write the XLSX to a temporary file and stream it from disk; the file goes when the response closes."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        write_xlsx(exporter, handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export_filename(exporter, "xlsx"),
        content_type=XLSX_CONTENT_TYPE,
    )


def _sheet_title(name: str) -> str:
    return _SHEET_TITLE_FORBIDDEN.sub("_", name)[:31] or "Sheet1"


def _display_width(text: str) -> int:
    # CJK and other full-width characters take two columns.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


# --- CSV ---------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose ``write`` returns the text, so ``csv.writer`` can feed a generator."""

    def write(self, value: str) -> str:
        return value


def iter_csv(exporter: ListExporter) -> Iterator[bytes]:
    """The export as UTF-8 CSV with a BOM, a header line and one line per row, in batches of lines."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow([neutralise(h) for h in exporter.headers])).encode("utf-8")
    lines: list[str] = []
    for row in exporter.iter_rows():
        lines.append(writer.writerow([_csv_cell(value) for value in row]))
        if len(lines) >= CSV_ROWS_PER_WRITE:
            yield "".join(lines).encode("utf-8")
            lines.clear()
    if lines:
        yield "".join(lines).encode("utf-8")


def csv_response(exporter: ListExporter) -> StreamingHttpResponse:
    response = StreamingHttpResponse(iter_csv(exporter), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, export_filename(exporter, "csv"))
    return response


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return format(value, "f")  # never scientific notation
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# --- dispatch ----------------------------------------------------------------------------------

FORMATS = {"xlsx": xlsx_response, "csv": csv_response}


def export_response(exporter: ListExporter, fmt: str):
    """The export in ``fmt`` ("xlsx" or "csv"); any other format is a 404."""
    try:
        respond = FORMATS[fmt]
    except KeyError:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt}) from None
    return respond(exporter)
