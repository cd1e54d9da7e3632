"""Hostile import files, built in memory (nothing binary is committed).

``hostile_files(kind)`` gives ``{name: (filename, bytes)}`` for one import path's header (``kind`` is
"ledger", "list" or "published"): compression bombs (honest and lying headers), XML entity tricks,
absurd numbers, NUL and control characters, formulas, hidden sheets, header only, empty workbook and
CSV, too many rows, too many bytes, not a zip, a truncated zip, a binary CSV, a huge CSV line.
"""

import functools
import io
import struct
import zipfile
import zlib

from openpyxl import Workbook

from tests.factories import make_credit_code

GIB = 1024 * 1024 * 1024

HEADERS = {
    "ledger": ["企业名称", "统一社会信用代码", "年度", "营业收入（万元）", "职工总数"],
    "list": ["序号", "企业名称", "统一社会信用代码"],
    "published": ["县区/全市", "年度", "高新技术产业增加值（万元）", "规模以上工业增加值（万元）"],
}


def good_row(kind: str, n: int = 1) -> list:
    if kind == "ledger":
        return [f"安阳市恶意{n}科技有限公司", make_credit_code(900 + n), 2024, 100, 10]
    if kind == "list":
        return [n, f"安阳市恶意{n}科技有限公司", make_credit_code(900 + n)]
    return ["文峰区", 2020 + n % 4, 100, 200]


def workbook(kind: str, rows, *, hidden_first: bool = False, header: bool = True) -> bytes:
    wb = Workbook()
    ws = wb.active
    if hidden_first:
        ws.title = "数据"
        ws.sheet_state = "hidden"
        ws.append(HEADERS[kind])
        for row in rows:
            ws.append(row)
        ws = wb.create_sheet("说明")
        ws.append(["请见隐藏的表"])
    else:
        if header:
            ws.append(HEADERS[kind])
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def build_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip from ``(name, stored bytes, method, crc, declared size)``: the sizes may lie."""
    out, central = io.BytesIO(), []
    for name, body, method, crc, size in members:
        offset = out.tell()
        raw = name.encode()
        out.write(
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(body), size, len(raw), 0)
        )
        out.write(raw + body)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0,
                crc,
                len(body),
                size,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + raw
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def deflated(body: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(body) + c.flush()


def rezip(files: dict[str, bytes], extra: list | None = None) -> bytes:
    members = [(n, deflated(b), 8, zlib.crc32(b), len(b)) for n, b in files.items()]
    return build_zip(members + (extra or []))


@functools.cache
def zeros_stream(mib: int) -> bytes:
    """A real raw deflate stream of ``mib`` MiB of zeros, built from one flushed block repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"\0" * (1024 * 1024)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    return first + again * (mib - 1) + c.flush()


def with_sheet_xml(kind: str, transform) -> bytes:
    files = parts(workbook(kind, [good_row(kind)]))
    files["xl/worksheets/sheet1.xml"] = transform(files["xl/worksheets/sheet1.xml"])
    return rezip(files)


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)


def billion_laughs_workbook(kind: str) -> bytes:
    files = parts(workbook(kind, [good_row(kind)]))
    body = files["xl/workbook.xml"].split(b"?>", 1)[-1]
    files["xl/workbook.xml"] = LAUGHS + body.replace(b'name="Sheet"', b'name="&lol9;"', 1)
    return rezip(files)


def billion_laughs_sheet(kind: str) -> bytes:
    return with_sheet_xml(kind, lambda xml: LAUGHS + xml.split(b"?>", 1)[-1].replace(b"<t>", b"<t>&lol9;", 1))


def external_entity(kind: str) -> bytes:
    head = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return with_sheet_xml(kind, lambda xml: head + xml.split(b"?>", 1)[-1].replace(b"<t>", b"<t>&xxe;", 1))


def bomb(kind: str, *, lying: bool) -> bytes:
    """A valid workbook plus a part that inflates to 1 GiB of zeros (declared so, or declared 1 KB)."""
    stream = zeros_stream(1024)
    declared = 1024 if lying else GIB
    return rezip(parts(workbook(kind, [good_row(kind)])), [("xl/media/image1.png", stream, 8, 0, declared)])


def sheet_bomb(kind: str) -> bytes:
    """The sheet itself replaced by 64 MiB of zeros whose header says 2 KB (openpyxl would read it)."""
    files = parts(workbook(kind, [good_row(kind)]))
    del files["xl/worksheets/sheet1.xml"]
    return rezip(files, [("xl/worksheets/sheet1.xml", zeros_stream(64), 8, 0, 2048)])


def absurd_numbers(kind: str) -> tuple[bytes, list]:
    values = [1e20, "9" * 40, 1e308, "NaN", "inf", "1E+999999", "-1e400"]
    if kind == "ledger":
        rows = [
            [f"安阳市数{i}有限公司", make_credit_code(950 + i), 2024, v, 10] for i, v in enumerate(values)
        ]
    elif kind == "published":
        rows = [["文峰区", 2020, v, 200] for v in values]
    else:
        rows = [[v, f"名称{i}", make_credit_code(950 + i)] for i, v in enumerate(values)]
    return workbook(kind, rows), values


def raw_number_cell(kind: str) -> bytes:
    """A numeric cell whose stored value has 5000 digits (more than Python's int() takes)."""
    col = {"ledger": b"D", "published": b"C", "list": b"A"}[kind]

    def change(xml: bytes) -> bytes:
        start = xml.index(b'<c r="' + col + b'2"')
        end = xml.index(b"</c>", start) + 4
        return xml[:start] + b'<c r="' + col + b'2"><v>' + b"9" * 5000 + b"</v></c>" + xml[end:]

    return with_sheet_xml(kind, change)


def control_chars(kind: str) -> bytes:
    """A CSV file whose name (or jurisdiction) cell holds control characters (not NUL: see csv_with_nul)."""
    row = good_row(kind)
    name_index = {"ledger": 0, "list": 1, "published": 0}[kind]
    row[name_index] = "安阳市\x01零\x1b科技有限公司" if kind != "published" else "文峰区\x07"
    return csv_file(kind, [row])


def formulas(kind: str) -> bytes:
    row = good_row(kind)
    name_index = {"ledger": 0, "list": 1, "published": 2}[kind]
    row[name_index] = '=CONCATENATE("安阳","公司")' if kind != "published" else "=1+1"
    return workbook(kind, [row])


def csv_file(kind: str, rows, *, encoding="utf-8") -> bytes:
    lines = [",".join(HEADERS[kind])] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def hostile_files(kind: str) -> dict[str, tuple[str, bytes]]:
    """Every file-level hostile case for ``kind``: name → (filename, bytes)."""
    good = workbook(kind, [good_row(kind)])
    many = csv_file(kind, [good_row(kind, n) for n in range(1, 8)])
    return {
        "bomb": ("台账.xlsx", bomb(kind, lying=False)),
        "bomb_lying_header": ("台账.xlsx", bomb(kind, lying=True)),
        "sheet_bomb_lying": ("台账.xlsx", sheet_bomb(kind)),
        "billion_laughs_workbook": ("台账.xlsx", billion_laughs_workbook(kind)),
        "billion_laughs_sheet": ("台账.xlsx", billion_laughs_sheet(kind)),
        "external_entity": ("台账.xlsx", external_entity(kind)),
        "hidden_sheet": ("台账.xlsx", workbook(kind, [good_row(kind)], hidden_first=True)),
        "header_only": ("台账.xlsx", workbook(kind, [])),
        "empty_workbook": ("台账.xlsx", workbook(kind, [], header=False)),
        "empty_csv": ("台账.csv", b""),
        "blank_csv": ("台账.csv", b"\xef\xbb\xbf \n\n"),
        "header_only_csv": ("台账.csv", csv_file(kind, [])),
        "not_a_zip": ("台账.xlsx", b"this is not a spreadsheet at all\n" * 10),
        "truncated_zip": ("台账.xlsx", good[: len(good) * 2 // 3]),
        "xls_named_xlsx": ("台账.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
        "xlsx_named_csv": ("台账.csv", good),
        "csv_with_nul": ("台账.csv", many.replace(b"\n", b"\x00\n", 2)),
        "csv_huge_line": ("台账.csv", many + b"x" * (200 * 1024) + b"\n"),
        "csv_unclosed_quote": ("台账.csv", many + b'"' + b"y\n" * 80_000),
        "csv_wrong_encoding": ("台账.csv", b"\x80\xff" * 300),
    }


# Per class: the refusal contains one of these fragments (the limit or what is wrong).
FRAGMENTS = {
    "bomb": ("MB",),
    "bomb_lying_header": ("大小与实际内容不符",),
    "sheet_bomb_lying": ("大小与实际内容不符",),
    "billion_laughs_workbook": ("DOCTYPE",),
    "billion_laughs_sheet": ("DOCTYPE",),
    "external_entity": ("DOCTYPE",),
    "hidden_sheet": ("隐藏",),
    "header_only": ("没有任何数据行", "没有读到任何企业"),
    "empty_workbook": ("空",),
    "empty_csv": ("空",),
    "blank_csv": ("空",),
    "header_only_csv": ("没有任何数据行", "没有读到任何企业"),
    "not_a_zip": ("不是 Excel",),
    "truncated_zip": ("损坏",),
    "xls_named_xlsx": (".xls",),
    "xlsx_named_csv": (".xlsx",),
    "csv_with_nul": ("NUL",),
    "csv_huge_line": ("131072",),
    "csv_unclosed_quote": ("引号",),
    "csv_wrong_encoding": ("编码",),
}
