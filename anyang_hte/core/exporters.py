"""Spreadsheet exports, after pretix's ListExporter.

An exporter says what its columns are and yields its rows; this module writes them as XLSX (openpyxl in
write-only mode, so rows stream to disk and memory stays flat) or as CSV (a generator, UTF-8 with a BOM
so Excel opens Chinese text correctly). Both formats neutralise text cells that Excel would run as a
formula (CSV/formula injection).

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

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter


class Quantity(Decimal):
    """A decimal that is not money (a yearly average head count, 95.5): written as a plain number."""


CellValue = str | int | Decimal | datetime.date | None

# A text cell starting with one of these is a formula (or becomes one) when Excel opens the file.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
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


def write_xlsx(exporter: ListExporter, target: str | IO[bytes]) -> int:
    """Write the export to ``target`` (a path or a binary file); return the number of data rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(exporter.filename))
    headers = list(exporter.headers)
    for index, width in enumerate(exporter.column_widths(), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"

    title = WriteOnlyCell(ws, _xlsx_text(exporter.title))
    title.font = Font(bold=True, size=14)
    ws.append([title])

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, _xlsx_text(header))
        cell.font, cell.fill, cell.alignment = header_font, header_fill, header_alignment
        header_cells.append(cell)
    ws.append(header_cells)

    count = 0
    for row in exporter.iter_rows():
        ws.append([_xlsx_cell(ws, value) for value in row])
        count += 1
    if headers:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(headers))}{count + 2}"
    wb.save(target)
    return count


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


def _xlsx_cell(ws, value):
    if isinstance(value, str):
        return _xlsx_text(neutralise(value))
    if isinstance(value, Quantity):
        return WriteOnlyCell(ws, Decimal(value))  # General format: 95.5, 100
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)
        return value
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = DATE_FORMAT
        return cell
    return value


def _xlsx_text(value: str) -> str:
    # Control characters (pasted from Word, say) are not allowed in XML; openpyxl would refuse the cell.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if value else value


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
