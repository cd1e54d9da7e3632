"""The XLSX writer (xlsxwriter, constant memory): what the file holds, read back as users' tools read it."""

import datetime
import io
import tempfile
import tracemalloc
import zipfile
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from anyang_hte.core.exporters import ListExporter, Quantity, write_xlsx


class Sample(ListExporter):
    filename = "培育台账"
    title = "测试导出"
    headers = ["名称", "金额(万元)", "日期", "人数", "说明"]

    def __init__(self, rows, filename=None):
        self.rows = rows
        if filename is not None:
            self.filename = filename

    def iter_rows(self):
        yield from self.rows


def written(exporter):
    out = io.BytesIO()
    count = write_xlsx(exporter, out)
    return count, out.getvalue()


def sheet(data):
    return load_workbook(io.BytesIO(data)).active


def sheet_xml(data) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_header_title_filter_and_widths():
    count, data = written(Sample([["甲", Decimal("1"), None, 1, None]] * 3))
    assert count == 3
    ws = sheet(data)
    assert ws["A1"].font.bold and ws["A1"].font.size == 14
    header = ws["B2"]
    assert header.font.bold
    assert header.fill.fill_type == "solid" and header.fill.fgColor.rgb.endswith("DDEBF7")
    assert header.alignment.horizontal == "center" and header.alignment.vertical == "center"
    assert header.alignment.wrap_text
    assert ws.auto_filter.ref == "A2:E5"
    assert ws.freeze_panes == "A3"
    # One width per column, each at least the header's.
    widths = [ws.column_dimensions[letter].width for letter in "ABCDE"]
    assert all(w >= 8 for w in widths) and widths[1] > widths[0]


def test_formula_looking_text_is_never_a_formula():
    _, data = written(Sample([["=1+1", None, None, None, "@SUM(A1)"], ["-3", None, None, None, "+x"]]))
    xml = sheet_xml(data)
    assert "<f>" not in xml
    ws = sheet(data)
    assert [ws["A3"].value, ws["E3"].value, ws["A4"].value, ws["E4"].value] == [
        "'=1+1",
        "'@SUM(A1)",
        "'-3",
        "'+x",
    ]
    assert {ws[c].data_type for c in ("A3", "E3", "A4", "E4")} == {"s"}


def test_text_that_looks_like_rich_string_xml_stays_text():
    text = '<r><t>x</t></r><r><rPr><b/></rPr><t>&amp;"</t></r>'
    _, data = written(Sample([[text, None, None, None, "<r>a & b</r>"]]))
    ws = sheet(data)
    assert ws["A3"].value == text
    assert ws["E3"].value == "<r>a & b</r>"


def test_control_characters_and_line_breaks():
    _, data = written(
        Sample([["甲\x00乙\x1f丙", None, None, None, "一行\r\n二行\r三行\n四行"], ["\x0b", *[None] * 4]])
    )
    ws = sheet(data)
    assert ws["A3"].value == "甲乙丙"
    assert ws["E3"].value == "一行\n二行\n三行\n四行"
    assert ws["A4"].value is None  # nothing left but a control character: a blank cell


def test_numbers_dates_and_their_formats():
    aware = datetime.datetime(2026, 3, 5, 6, 30, 15, tzinfo=datetime.UTC)
    rows = [
        ["乙", Decimal("-0.000001"), datetime.date(2026, 1, 31), Quantity("95.5"), aware],
        ["丙", 0, None, True, 2.5],
    ]
    _, data = written(Sample(rows))
    ws = sheet(data)
    assert ws["B3"].data_type == "n" and ws["B3"].value == -0.000001 and ws["B3"].number_format == "#,##0.00"
    assert ws["C3"].value.date() == datetime.date(2026, 1, 31) and ws["C3"].number_format == "yyyy-mm-dd"
    assert ws["D3"].value == 95.5 and ws["D3"].number_format == "General"
    assert ws["E3"].value == timezone.make_naive(aware)
    assert ws["E3"].number_format == "yyyy-mm-dd h:mm:ss"
    assert ws["B4"].value == 0 and ws["B4"].data_type == "n"
    assert ws["D4"].value is True
    assert ws["E4"].value == 2.5


def test_money_is_written_with_its_exact_digits_never_through_a_float():
    """18 significant digits (the largest amount a MONEY column holds): a float would round them."""
    rows = [
        ["甲", Decimal("9999999999999999.99"), None, Quantity("95.5"), None],
        ["乙", Decimal("0.10"), None, 1, None],
    ]
    _, data = written(Sample(rows))
    xml = sheet_xml(data)
    assert "<v>9999999999999999.99</v>" in xml and "<v>0.10</v>" in xml and "<v>95.5</v>" in xml
    assert "E+" not in xml
    ws = sheet(data)
    assert ws["B3"].data_type == "n" and ws["B3"].number_format == "#,##0.00"


def test_sheet_names_excel_refuses_are_made_acceptable():
    for name, expected in (
        ("a/b:c*d?[e]", "a_b_c_d__e_"),
        ("'引号'", "引号"),
        ("", "Sheet1"),
    ):
        _, data = written(Sample([], filename=name))
        assert load_workbook(io.BytesIO(data)).sheetnames == [expected]


def test_memory_stays_flat_however_many_rows():
    """Rows go to disk as they come: 4,000 rows never hold 1 MB at once (collected, they would)."""

    class Many(Sample):
        def iter_rows(self):
            for i in range(4_000):
                yield [f"安阳市第{i}号科技有限公司", Decimal(i), datetime.date(2026, 1, 1), i, "备注"]

    tracemalloc.start()
    try:
        with tempfile.TemporaryFile() as out:
            count = write_xlsx(Many([]), out)
            _, peak = tracemalloc.get_traced_memory()
            out.seek(0)
            ws = load_workbook(out, read_only=True).active
            last = list(ws.iter_rows(min_row=4_002, values_only=True))
    finally:
        tracemalloc.stop()
    assert count == 4_000
    assert peak < 1_000_000, peak
    assert [row[:2] + row[3:] for row in last] == [("安阳市第3999号科技有限公司", 3999, 3999, "备注")]
    assert last[0][2].date() == datetime.date(2026, 1, 1)
