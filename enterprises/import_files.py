"""Opening an import file safely: the byte limit, the .xlsx archive checked before openpyxl parses it
(compression bombs, lying headers, XML entity declarations), a worksheet's rows read with formulas and
unreadable values marked, and a CSV file decoded with its lines bounded.

Every refusal is a :class:`FileProblem` whose message names the limit; the limits are settings
(``IMPORT_MAX_*`` in ``anyang_hte/settings/base.py``), read at call time.
"""

import codecs
import copy
import csv
import io
import zipfile
import zlib
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser

RATIO_FLOOR = 1024 * 1024  # parts smaller than this unpacked are never called a bomb
MAX_MERGED_RANGES = 10_000
_CHUNK = 1024 * 1024
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls, or an encrypted (password) .xlsx
# An XML part must not declare a document type or entities (billion laughs, external entities).
_DTD_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)


class FileProblem(Exception):
    """The file as a whole cannot be read."""


class Formula(str):
    """A formula cell's text (``=SUM(A1:A3)``): never imported as a value."""


class Unreadable(str):
    """A cell whose stored value does not fit its type (an error value such as #N/A, a broken number)."""


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


def read_limited(fileobj) -> bytes:
    """The whole upload, refused when it is over ``IMPORT_MAX_BYTES`` (read no further) or empty."""
    limit = settings.IMPORT_MAX_BYTES
    data = fileobj.read(limit + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > limit:
        raise FileProblem(_("文件超过%(limit)s的上限，请分批导入。") % {"limit": mb(limit)})
    if not data:
        raise FileProblem(_("文件是空的。"))
    return data


def size_problem(size: int | None) -> str:
    """The refusal for an upload of ``size`` bytes over ``IMPORT_MAX_BYTES``; "" when it fits."""
    limit = settings.IMPORT_MAX_BYTES
    if size is not None and size > limit:
        return _("文件大小为%(size)s，超过了%(limit)s的上限，请分批导入。") % {
            "size": mb(size),
            "limit": mb(limit),
        }
    return ""


# --- .xlsx ---------------------------------------------------------------------------------------


def _damaged() -> FileProblem:
    return FileProblem(_("Excel 文件已损坏或不完整（压缩包无法完整解开），请在 Excel 中重新保存后再导入。"))


def check_xlsx_archive(data: bytes) -> None:
    """Refuse an .xlsx whose archive is not safe to hand to openpyxl: too many parts, too big once
    unpacked (as declared, and as actually inflated: a part may not inflate past its declared size),
    inflating too far for its packed size, or an XML part declaring a DTD or entities."""
    if data.startswith(_OLE):
        raise FileProblem(
            _("这是旧版 .xls 文件或设置了打开密码的 Excel 文件：请取消密码并另存为 .xlsx 后再导入。")
        )
    if not data.startswith(b"PK"):
        raise FileProblem(_("无法读取 Excel 文件：内容不是 Excel（.xlsx）格式，请确认文件类型与扩展名一致。"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _damaged() from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        _check_declared(members)
        total = 0
        for info in members:
            total += _inflate(archive, info)
            if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
                raise _too_big()


def _too_big() -> FileProblem:
    return FileProblem(
        _("Excel 文件解压后超过%(limit)s的上限，请删除多余的工作表、图片或格式，或分批导入。")
        % {"limit": mb(settings.IMPORT_MAX_UNCOMPRESSED_BYTES)}
    )


def _bomb(ratio: int) -> FileProblem:
    return FileProblem(
        _("Excel 文件的压缩比异常（超过%(ratio)d倍），可能是恶意构造的压缩炸弹，已拒绝读取。")
        % {"ratio": ratio}
    )


def _check_declared(members: list) -> None:
    if len(members) > settings.IMPORT_MAX_ZIP_MEMBERS:
        raise FileProblem(
            _("Excel 文件包含%(n)d个内部文件，超过%(max)d个的上限，不是正常的工作簿。")
            % {"n": len(members), "max": settings.IMPORT_MAX_ZIP_MEMBERS}
        )
    limit, ratio = settings.IMPORT_MAX_UNCOMPRESSED_BYTES, settings.IMPORT_MAX_COMPRESSION_RATIO
    if any(info.file_size > limit for info in members) or sum(info.file_size for info in members) > limit:
        raise _too_big()
    for info in members:
        if info.file_size > RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
            raise _bomb(ratio)


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Inflate one part, refused as soon as it passes its declared size (a lying header); its bytes."""
    ratio = settings.IMPORT_MAX_COMPRESSION_RATIO
    probe = copy.copy(info)
    probe.file_size = info.file_size + _CHUNK  # zipfile would stop at the declared size, then fail the CRC
    count, tail = 0, b""
    try:
        with archive.open(probe) as part:
            while chunk := part.read(_CHUNK):
                count += len(chunk)
                if count > info.file_size:
                    raise FileProblem(
                        _("Excel 文件内部记录的大小与实际内容不符，可能是恶意构造的文件，已拒绝读取。")
                    )
                if count > RATIO_FLOOR and count > ratio * max(info.compress_size, 1):
                    raise _bomb(ratio)
                window = tail + chunk
                if any(marker in window for marker in _DTD_MARKERS):
                    raise FileProblem(
                        _("Excel 文件含有 XML 实体或文档类型声明（DOCTYPE/ENTITY），已拒绝读取。")
                    )
                tail = window[-24:]
    except FileProblem:
        raise
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError, OSError, ValueError):
        raise _damaged() from None
    if count != info.file_size:
        raise _damaged()
    return count


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only sheet that does not look for its size when opened. openpyxl parses the whole sheet to
    find it when the file has no ``<dimension>`` element (files written by openpyxl's write-only mode,
    and by many other tools, have none): a second full parse. The importers read rows with their own
    parser (:func:`sheet_rows`) and never ask a sheet its size."""

    def _get_size(self):
        pass


class _Reader(ExcelReader):
    """openpyxl's read-only workbook reader, its worksheets :class:`_UnsizedSheet`."""

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            ws = _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


def load_xlsx(data: bytes):
    """A read-only workbook of a checked archive. Raises ``FileProblem``."""
    check_xlsx_archive(data)
    try:
        reader = _Reader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read()
        return reader.wb
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError, defusedxml's errors...
        raise FileProblem(
            _("无法读取 Excel 文件，请确认是 .xlsx 格式（旧的 .xls 请在 Excel 中另存为 .xlsx）。")
        ) from exc


def is_visible(ws) -> bool:
    return getattr(ws, "sheet_state", "visible") == "visible"


class _CellParser(WorkSheetParser):
    """openpyxl's sheet parser, marking formula cells (``Formula``) and values it cannot read."""

    def parse_cell(self, element):
        try:
            cell = super().parse_cell(element)
        except Exception:  # a number with too many digits, a shared string that is not there, ...
            coordinate = element.get("r")
            try:
                row, column = coordinate_to_tuple(coordinate) if coordinate else (self.row_counter, None)
            except ValueError:
                raise FileProblem(_("工作表中有无效的单元格位置“%(c)s”。") % {"c": coordinate}) from None
            raw = (element.findtext(VALUE_TAG) or "")[:50]
            return {"row": row, "column": column or self.col_counter, "value": Unreadable(raw)}
        if cell["data_type"] == "f":
            value = cell["value"]
            cell["value"] = Formula(value if isinstance(value, str) else getattr(value, "text", None) or "=")
        elif cell["data_type"] == "e":
            cell["value"] = Unreadable(cell["value"] or "")
        return cell


def sheet_rows(ws) -> Iterator[tuple[int, list]]:
    """(row number, values) of every row the sheet stores, values up to ``IMPORT_MAX_COLUMNS`` wide.

    Rows missing from the file are not produced (a blank row reads as blank anyway). Raises
    ``FileProblem`` when the XML is broken or the sheet stores far more rows than an import may have.
    """
    wb = ws.parent
    max_columns = settings.IMPORT_MAX_COLUMNS
    max_stored = settings.IMPORT_MAX_ROWS * 2 + 1000
    stored = 0
    try:
        with ws._get_source() as source:
            parser = _CellParser(
                source,
                ws._shared_strings,
                data_only=False,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            for number, cells in parser.parse():
                stored += 1
                if stored > max_stored:
                    raise FileProblem(
                        _("工作表“%(s)s”存储了超过%(n)d行（包括空白行），请删除多余的行或分批导入。")
                        % {"s": ws.title, "n": max_stored}
                    )
                if not cells:
                    continue
                width = min(max(cell["column"] for cell in cells), max_columns)
                values = [None] * width
                for cell in cells:
                    if cell["column"] <= width:
                        values[cell["column"] - 1] = cell["value"]
                yield number, values
    except FileProblem:
        raise
    except Exception as exc:  # broken XML (expat, defusedxml), a bad row number
        raise FileProblem(
            _("工作表“%(s)s”的内容有误，无法读取，请在 Excel 中重新保存后再导入。") % {"s": ws.title}
        ) from exc


def clip_merged(ranges: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Merged ranges cut to the columns read; too many of them is a refusal."""
    if len(ranges) > MAX_MERGED_RANGES:
        raise FileProblem(_("工作表中合并单元格超过%(n)d处，请取消合并后再导入。") % {"n": MAX_MERGED_RANGES})
    cap = settings.IMPORT_MAX_COLUMNS
    return [(r0, r1, c0, min(c1, cap)) for r0, r1, c0, c1 in ranges if c0 <= cap]


# --- .csv ----------------------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), UTF-16 with its BOM (Excel's “Unicode
    text”), else GB18030; refused when it is binary, empty or has a line over the limit."""
    if data.startswith(b"PK\x03\x04") or data.startswith(_OLE):
        raise FileProblem(_("这是一个 Excel 文件，但文件名以 .csv 结尾：请把扩展名改为 .xlsx 后再导入。"))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif b"\x00" in data:
        raise FileProblem(
            _("CSV 文件中含有 NUL（空）字节：这不是文本文件，请在 Excel 中另存为“CSV UTF-8”后再导入。")
        )
    else:
        encodings = ("utf-8-sig", "gb18030")  # UTF-8 with or without BOM, else GB18030 (GBK)
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem(_("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GB18030（GBK）编码。"))
    if "\x00" in text:
        raise FileProblem(_("CSV 文件中含有 NUL（空）字符，请删除后再导入。"))
    if not text.strip():
        raise FileProblem(_("CSV 文件是空的。"))
    limit = settings.IMPORT_MAX_LINE_CHARS
    lines = text.split("\n")
    if max(map(len, lines)) > limit:
        number = next(i for i, line in enumerate(lines, start=1) if len(line) > limit)
        raise FileProblem(
            _("CSV 文件第%(r)d行超过%(n)d个字符的上限，不是正常的表格数据。") % {"r": number, "n": limit}
        )
    return text


def csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list]]:
    """(line number, cells) of a decoded CSV text, at most ``IMPORT_MAX_COLUMNS`` cells wide."""
    cap = settings.IMPORT_MAX_COLUMNS
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            yield number, row[:cap]
    except csv.Error as exc:
        raise FileProblem(
            _("CSV 文件第%(r)d行附近格式有误：引号不成对，或一个单元格超过%(n)d个字符。")
            % {"r": reader.line_num or number + 1, "n": settings.IMPORT_MAX_LINE_CHARS}
        ) from exc
