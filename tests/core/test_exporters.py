import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from openpyxl import load_workbook

from anyang_hte.core.exporters import (
    ListExporter,
    csv_response,
    export_response,
    neutralise,
    xlsx_response,
)


class SampleExporter(ListExporter):
    filename = "培育台账"
    title = "测试导出"
    headers = ["名称", "金额(万元)", "日期", "人数", "说明"]

    def __init__(self, rows):
        self.rows = rows

    def iter_rows(self):
        yield from self.rows


ROWS = [
    ["安阳鑫源科技有限公司", Decimal("1234.567891"), datetime.date(2015, 3, 5), 12, None],
    ["=SUM(A1)", Decimal("-2.50"), None, -3, "+1"],
    ["-2", Decimal("0"), None, 0, "@x"],
    ["\tcmd", None, None, None, "\r=1"],
]


def xlsx_rows(response):
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return wb.active


def csv_text(response):
    return b"".join(response.streaming_content).decode("utf-8")


def disposition_filename(response) -> str:
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")
    # RFC 5987: filename*=utf-8''<percent-encoded>
    encoded = header.split("filename*=utf-8''", 1)[1]
    return unquote(encoded)


class TestNeutralise:
    @pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-2", "@x", "\tx", "\rx"])
    def test_formula_text_gets_an_apostrophe(self, text):
        assert neutralise(text) == "'" + text

    @pytest.mark.parametrize(
        "value", ["安阳", "a=b", "", Decimal("-2.50"), -3, 0, None, datetime.date(2026, 1, 1)]
    )
    def test_other_values_are_left_alone(self, value):
        assert neutralise(value) == value
        assert type(neutralise(value)) is type(value)


class TestXlsx:
    def test_title_headers_and_layout(self):
        response = xlsx_response(SampleExporter(ROWS))
        assert isinstance(response, FileResponse)
        assert response["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        ws = xlsx_rows(response)
        rows = list(ws.iter_rows(values_only=True))
        assert rows[0][0] == "测试导出"
        assert list(rows[1]) == SampleExporter.headers
        assert ws["A2"].font.bold
        assert ws.freeze_panes == "A3"
        assert ws.column_dimensions["B"].width > ws.column_dimensions["D"].width >= 8
        assert len(rows) == 2 + len(ROWS)

    def test_values_types_and_formats(self):
        ws = xlsx_rows(xlsx_response(SampleExporter(ROWS)))
        assert ws["A3"].value == "安阳鑫源科技有限公司"
        assert ws["B3"].data_type == "n"
        assert ws["B3"].value == pytest.approx(1234.567891)
        assert ws["B3"].number_format == "#,##0.00"
        assert ws["C3"].value.date() == datetime.date(2015, 3, 5)
        assert ws["C3"].number_format == "yyyy-mm-dd"
        assert ws["D3"].value == 12
        assert ws["E3"].value is None

    def test_formula_text_is_neutralised_numbers_are_not(self):
        ws = xlsx_rows(xlsx_response(SampleExporter(ROWS)))
        assert ws["A4"].value == "'=SUM(A1)"
        assert ws["A4"].data_type == "s"
        assert ws["E4"].value == "'+1"
        assert ws["A5"].value == "'-2"
        assert ws["E5"].value == "'@x"
        assert ws["A6"].value == "'\tcmd"
        # A negative number is still a number.
        assert ws["B4"].data_type == "n"
        assert ws["B4"].value == -2.5
        assert ws["D4"].value == -3

    def test_chinese_filename_with_date(self):
        response = xlsx_response(SampleExporter(ROWS))
        today = timezone.localdate().strftime("%Y%m%d")
        assert disposition_filename(response) == f"培育台账_{today}.xlsx"

    def test_empty_export_still_has_headers(self):
        ws = xlsx_rows(xlsx_response(SampleExporter([])))
        assert [c.value for c in ws[2]] == SampleExporter.headers

    def test_control_characters_are_dropped(self):
        ws = xlsx_rows(xlsx_response(SampleExporter([["甲\x0b乙", None, None, None, None]])))
        assert ws["A3"].value == "甲乙"


class TestCsv:
    def test_bom_headers_values(self):
        response = csv_response(SampleExporter(ROWS))
        assert isinstance(response, StreamingHttpResponse)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        text = csv_text(response)
        assert text.startswith("\ufeff名称,")
        rows = list(csv.reader(io.StringIO(text[1:])))
        assert rows[0] == SampleExporter.headers
        assert rows[1] == ["安阳鑫源科技有限公司", "1234.567891", "2015-03-05", "12", ""]
        assert rows[2] == ["'=SUM(A1)", "-2.50", "", "-3", "'+1"]
        assert rows[3] == ["'-2", "0", "", "0", "'@x"]
        assert rows[4] == ["'\tcmd", "", "", "", "'\r=1"]

    def test_chinese_filename_with_date(self):
        response = csv_response(SampleExporter(ROWS))
        today = timezone.localdate().strftime("%Y%m%d")
        assert disposition_filename(response) == f"培育台账_{today}.csv"

    def test_streams_lazily(self):
        seen = []

        class Lazy(SampleExporter):
            def iter_rows(self):
                for i in range(2000):
                    seen.append(i)
                    yield [f"企业{i}", Decimal(i), None, i, None]

        chunks = iter(csv_response(Lazy([])).streaming_content)
        next(chunks)  # BOM + headers
        assert seen == []
        next(chunks)
        assert len(seen) < 2000


class TestDispatch:
    def test_known_formats(self):
        assert isinstance(export_response(SampleExporter(ROWS), "xlsx"), FileResponse)
        assert isinstance(export_response(SampleExporter(ROWS), "csv"), StreamingHttpResponse)

    @pytest.mark.parametrize("fmt", ["xls", "pdf", "", "XLSX"])
    def test_unknown_format_is_404(self, fmt):
        with pytest.raises(Http404):
            export_response(SampleExporter(ROWS), fmt)
