import csv
import datetime
import io
import math
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from anyang_hte.core.exporters import csv_response, write_xlsx, xlsx_response
from anyang_hte.core.money import yuan_to_wan
from enterprises.exporters import LedgerExporter
from enterprises.models import Enterprise, Stage
from tests.factories import EnterpriseFactory, FiguresFactory, jurisdiction

# The ledger import template's columns (enterprises/import_parsing.py), in its order: every field of the
# enterprise's ledger record and every yearly figure. The export carries exactly these, so that an
# export (edited or not) can be imported again.
IMPORT_TEMPLATE_HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属县区",
    "技术领域",
    "成立日期",
    "地址",
    "法定代表人",
    "联系人",
    "联系电话",
    "开户银行",
    "银行账号",
    "户名",
    "研发机构名称",
    "研发机构级别",
    "主要产品属于禁止、限制或淘汰类",
    "培育阶段",
    "挂钩帮扶责任人",
    "责任人电话",
    "责任人单位",
    "计划申报年度",
    "年度",
    "营业收入(万元)",
    "总收入(万元)",
    "研发费用(万元)",
    "境内研发费用(万元)",
    "成本费用总额(万元)",
    "职工总数",
    "科技人员数",
    "高新技术产品(服务)收入(万元)",
    "资产总额(万元)",
    "净资产(万元)",
    "工业增加值(万元)",
    "I类知识产权数",
    "II类知识产权数",
    "科技成果转化数",
    "备注",
]
COL = {header: index for index, header in enumerate(IMPORT_TEMPLATE_HEADERS)}


def read_xlsx(response):
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    headers = list(rows[1])
    return headers, [dict(zip(headers, row, strict=True)) for row in rows[2:]]


@pytest.fixture
def ledger(db):
    ready = EnterpriseFactory(
        name="安阳鑫源科技有限公司",
        stage=Stage.HTE,
        declared_stage=Stage.HTE_CANDIDATE,
        helper_name="李四",
        helper_phone="13800000000",
        planned_year=2026,
        notes='=HYPERLINK("http://x")',
        hte_ready=True,
        tsme_score=85,
    )
    FiguresFactory(enterprise=ready, year=2025, sales_revenue=Decimal("12345678.91"))
    FiguresFactory(enterprise=ready, year=2024, sales_revenue=Decimal("1.00"))
    bare = EnterpriseFactory(name="安阳空白企业", tech_field="", registered_on=None, hte_ready=False)
    return ready, bare


class TestLedgerExporter:
    def test_headers_are_exactly_the_import_template(self, db):
        exporter = LedgerExporter(Enterprise.objects.all(), year=2025)
        assert exporter.headers == IMPORT_TEMPLATE_HEADERS
        assert len(exporter.column_widths()) == len(exporter.headers)

    def test_every_ledger_field_and_figure_is_a_column(self):
        from enterprises.import_parsing import COLUMN_BY_KEY
        from enterprises.services.figures import FIGURE_FIELDS
        from enterprises.services.ledger import ENTERPRISE_FIELDS

        assert set(ENTERPRISE_FIELDS) | set(FIGURE_FIELDS) | {"credit_code", "year"} <= set(COLUMN_BY_KEY)

    def test_xlsx_round_trip_headers_and_values(self, ledger):
        response = xlsx_response(LedgerExporter(Enterprise.objects.all(), year=2025))
        headers, rows = read_xlsx(response)
        assert headers == IMPORT_TEMPLATE_HEADERS
        first, second = rows
        assert first["序号"] == 1
        assert first["企业名称"] == "安阳鑫源科技有限公司"
        assert first["所属县区"] == jurisdiction().name
        assert first["技术领域"] == "电子信息"
        assert first["成立日期"].date() == datetime.date(2015, 3, 5)
        assert first["培育阶段"] == "高企后备"  # declared, what the import reads, not the derived stage
        assert first["主要产品属于禁止、限制或淘汰类"] == "否"
        assert first["挂钩帮扶责任人"] == "李四"
        assert first["责任人电话"] == "13800000000"
        assert first["计划申报年度"] == 2026
        assert first["年度"] == 2025
        assert first["营业收入(万元)"] == pytest.approx(1234.567891)
        assert first["研发费用(万元)"] == 180
        assert first["高新技术产品(服务)收入(万元)"] == 2400
        assert first["职工总数"] == 100
        assert first["科技人员数"] == 20
        assert first["I类知识产权数"] == 1
        assert first["II类知识产权数"] == 5
        assert first["备注"] == '\'=HYPERLINK("http://x")'

        assert second["序号"] == 2
        assert second["技术领域"] is None
        assert second["成立日期"] is None
        assert second["培育阶段"] is None
        assert second["年度"] is None  # no figures for the year
        assert second["营业收入(万元)"] is None

    def test_money_cells_are_numbers_with_two_decimals_shown(self, ledger):
        response = xlsx_response(LedgerExporter(Enterprise.objects.all(), year=2025))
        wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        cell = wb.active.cell(row=3, column=COL["营业收入(万元)"] + 1)
        assert cell.data_type == "n"
        assert cell.number_format == "#,##0.00"

    def test_year_selects_figures(self, ledger):
        rows = list(LedgerExporter(Enterprise.objects.all(), year=2024).iter_rows())
        assert rows[0][COL["年度"]] == 2024
        assert rows[0][COL["营业收入(万元)"]] == Decimal("0.0001")

    def test_by_default_one_row_per_enterprise_and_year(self, ledger):
        exporter = LedgerExporter(Enterprise.objects.all())
        rows = list(exporter.iter_rows())
        assert [(r[COL["序号"]], r[COL["企业名称"]], r[COL["年度"]]) for r in rows] == [
            (1, "安阳鑫源科技有限公司", 2024),
            (2, "安阳鑫源科技有限公司", 2025),
            (3, "安阳空白企业", None),
        ]
        assert rows[0][: COL["年度"]][1:] == rows[1][: COL["年度"]][1:]  # the enterprise's columns repeat
        assert exporter.count() == 3 and exporter.count(cap=1) == 2
        assert exporter.title == "安阳市高新技术企业培育台账"

    def test_csv_is_exact(self, ledger):
        text = b"".join(csv_response(LedgerExporter(Enterprise.objects.all(), year=2025)).streaming_content)
        text = text.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text[1:])))
        assert rows[0]["营业收入(万元)"] == "1234.567891"
        assert rows[0]["研发费用(万元)"] == "180.00"
        assert rows[0]["成立日期"] == "2015-03-05"
        assert rows[0]["备注"].startswith("'=")
        assert rows[0]["职工总数"] == "100"
        assert rows[1]["年度"] == ""

    def test_exports_only_the_given_queryset(self, ledger, county_official, other_county_official):
        EnterpriseFactory(name="林州企业", jurisdiction=jurisdiction("410581"))
        rows = list(LedgerExporter(Enterprise.objects.for_user(county_official), year=2025).iter_rows())
        assert [r[1] for r in rows] == ["安阳鑫源科技有限公司", "安阳空白企业"]
        rows = list(LedgerExporter(Enterprise.objects.for_user(other_county_official), year=2025).iter_rows())
        assert [r[1] for r in rows] == ["林州企业"]

    def test_chinese_filename(self, db):
        response = xlsx_response(LedgerExporter(Enterprise.objects.none(), year=2025))
        today = timezone.localdate().strftime("%Y%m%d")
        encoded = "%E5%9F%B9%E8%82%B2%E5%8F%B0%E8%B4%A6"  # 培育台账
        assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{encoded}_{today}.xlsx"


class TestChunking:
    CHUNK = 10

    @pytest.mark.parametrize("count", [5, 50])
    def test_two_queries_per_chunk(self, db, django_assert_num_queries, count):
        for enterprise in EnterpriseFactory.create_batch(count):
            FiguresFactory(enterprise=enterprise, year=2025)
        exporter = LedgerExporter(Enterprise.objects.all(), year=2025, chunk_size=self.CHUNK)
        chunks = math.ceil(count / self.CHUNK)
        # One more (empty) page query when the last chunk is full.
        expected = 2 * chunks + (1 if count % self.CHUNK == 0 else 0)
        with django_assert_num_queries(expected):
            rows = list(exporter.iter_rows())
        assert [r[0] for r in rows] == list(range(1, count + 1))
        assert all(r[COL["年度"]] == 2025 for r in rows)

    def test_rows_are_read_one_chunk_at_a_time(self, db, django_assert_num_queries):
        EnterpriseFactory.create_batch(50)
        rows = LedgerExporter(Enterprise.objects.all(), year=2025, chunk_size=self.CHUNK).iter_rows()
        with django_assert_num_queries(2):
            next(rows)

    def test_chunks_do_not_skip_or_repeat(self, db):
        made = EnterpriseFactory.create_batch(23)
        rows = list(LedgerExporter(Enterprise.objects.all(), year=2025, chunk_size=5).iter_rows())
        assert [r[2] for r in rows] == [e.credit_code for e in sorted(made, key=lambda e: e.pk)]

    def test_xlsx_query_count_does_not_grow_per_row(self, db, django_assert_max_num_queries):
        EnterpriseFactory.create_batch(50)
        with django_assert_max_num_queries(2 * 5 + 1):
            xlsx_response(LedgerExporter(Enterprise.objects.all(), year=2025, chunk_size=self.CHUNK))


@pytest.mark.parametrize(
    ("yuan", "wan"),
    [
        (None, None),
        (Decimal("30000000.00"), Decimal("3000.00")),
        (Decimal("12345678.91"), Decimal("1234.567891")),
        (Decimal("100.10"), Decimal("0.01001")),
        (Decimal("-5000.00"), Decimal("-0.50")),
        (Decimal("0.00"), Decimal("0.00")),
    ],
)
def test_yuan_to_wan_is_exact(yuan, wan):
    result = yuan_to_wan(yuan)
    assert result == wan
    assert str(result) == str(wan)


class TestImportRoundTrip:
    """An unedited export, imported again into its county, is read without errors and changes nothing."""

    @pytest.fixture
    def county_ledger(self, db):
        ready = EnterpriseFactory(
            name="安阳鑫源科技有限公司",
            declared_stage=Stage.HTE_CANDIDATE,
            helper_name="李四",
            helper_phone="13800000000",
            planned_year=2026,
            notes="已走访",
        )
        FiguresFactory(
            enterprise=ready,
            year=2025,
            sales_revenue=Decimal("12345678.91"),
            rd_expense=Decimal("100.10"),
            rd_expense_domestic=Decimal("100.10"),
            hightech_revenue=Decimal("9876543.21"),
        )
        EnterpriseFactory(name="安阳空白企业", tech_field="", registered_on=None)

    def test_template_columns_are_the_importers(self):
        from enterprises.import_parsing import COLUMNS

        assert [c.header for c in COLUMNS] == IMPORT_TEMPLATE_HEADERS

    @pytest.mark.parametrize(("respond", "suffix"), [(xlsx_response, "xlsx"), (csv_response, "csv")])
    def test_export_imports_unchanged(self, county_ledger, county_official, respond, suffix):
        from enterprises.importers import plan_ledger_import

        exporter = LedgerExporter(Enterprise.objects.for_user(county_official), year=2025)
        data = b"".join(respond(exporter).streaming_content)
        plan = plan_ledger_import(
            io.BytesIO(data), f"台账.{suffix}", jurisdiction=jurisdiction(), user=county_official
        )
        assert plan.errors == []
        assert plan.ignored_columns == []
        assert [(r.name, r.action, r.changed_fields) for r in plan.rows] == [
            ("安阳鑫源科技有限公司", "unchanged", ()),
            ("安阳空白企业", "unchanged", ()),
        ]


def test_english_export_imports_again_for_a_chinese_user(db, county_official):
    """The template's columns are a data format: Chinese headers and values in every language."""
    from django.utils import translation

    from enterprises.importers import plan_ledger_import
    from enterprises.models import Enterprise
    from tests.factories import EnterpriseFactory, FiguresFactory

    ent = EnterpriseFactory(jurisdiction=county_official.jurisdiction, declared_stage="hte_candidate")
    FiguresFactory(enterprise=ent, year=2025)
    with translation.override("en"):
        exporter = LedgerExporter(Enterprise.objects.all(), year=2025)
        rows = list(exporter.iter_rows())
        assert "技术领域" in exporter.headers and "电子信息" in rows[0]
        buffer = io.BytesIO()
        write_xlsx(exporter, buffer)
    plan = plan_ledger_import(
        io.BytesIO(buffer.getvalue()),
        "export.xlsx",
        jurisdiction=county_official.jurisdiction,
        user=county_official,
    )
    assert not plan.errors and plan.unchanged == 1
