"""The whole ledger comes in (issue 10, item 3): every ledger field and yearly figure in the template,
several years per firm (one row per firm and year, or one sheet per year), the export is the template
(it imports back unchanged), and a refused cell is shown as it was typed."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from anyang_hte.core.errors import DomainError
from anyang_hte.core.exporters import csv_response, xlsx_response
from enterprises.exporters import LedgerExporter
from enterprises.import_parsing import COLUMNS, TEMPLATE_SHEET, TEMPLATE_TITLE
from enterprises.importers import CREATED, INVALID, UNCHANGED, UPDATED, plan_ledger_import
from enterprises.models import AnnualFigures, Enterprise, RDInstitutionLevel, Stage, TechField
from enterprises.services import apply_ledger_import
from enterprises.services.figures import FIGURE_FIELDS
from enterprises.services.ledger import ENTERPRISE_FIELDS
from tests.factories import EnterpriseFactory, FiguresFactory, jurisdiction, make_credit_code

HEADERS = [c.header for c in COLUMNS]
KEY_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}


def line(**values) -> list:
    cells = [None] * len(COLUMNS)
    for key, value in values.items():
        cells[KEY_INDEX[key]] = value
    return cells


FIRM = {
    "name": "安阳全量导入科技有限公司",
    "jurisdiction": "文峰区",
    "tech_field": "新材料",
    "registered_on": "2016-05-20",
    "address": "安阳市文峰区中华路88号",
    "legal_representative": "王建国",
    "contact_name": "李敏",
    "contact_phone": "0372-5951234",
    "bank_name": "中国银行安阳分行",
    "bank_account": "6222020200112233445",
    "bank_account_holder": "安阳全量导入科技有限公司（基本户）",
    "rd_institution": "安阳市新材料工程技术研究中心",
    "rd_institution_level": "市级",
    "restricted_industry": "否",
    "declared_stage": "高企后备",
    "helper_name": "赵六",
    "helper_phone": "13800000000",
    "helper_unit": "文峰区科技局",
    "planned_year": 2026,
    "notes": "县区台账",
}


def figures(year: int, grow: int = 0) -> dict:
    return {
        "year": year,
        "sales_revenue": 3000 + grow,
        "total_income": 3050 + grow,
        "rd_expense": 180.5,
        "rd_expense_domestic": 170,
        "total_costs": 2500,
        "staff_count": 95.5,
        "st_staff_count": 20,
        "hightech_revenue": 2100,
        "total_assets": 5000,
        "net_assets": 2600.25,
        "industrial_value_added": 900,
        "ip_class1_count": 1,
        "ip_class2_count": 6,
        "conversions_count": 3,
    }


def firm_row(n: int, year: int, **values) -> list:
    return line(**{**FIRM, "credit_code": make_credit_code(n), **figures(year), **values})


def workbook(sheets: dict[str, list[list]], *, headers=HEADERS) -> io.BytesIO:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        ws.append([TEMPLATE_TITLE])
        ws.append(list(headers))
        for row in rows:
            ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def plan_of(fileobj, user, filename="台账.xlsx"):
    return plan_ledger_import(fileobj, filename, jurisdiction=jurisdiction("410502"), user=user)


def found(plan) -> list[tuple]:
    return [(e.sheet, e.row, e.column) for e in plan.errors]


def test_every_ledger_field_and_yearly_figure_is_a_template_column():
    keys = {c.key for c in COLUMNS}
    assert set(ENTERPRISE_FIELDS) <= keys
    assert set(FIGURE_FIELDS) <= keys
    for header in (
        "境内研发费用(万元)",
        "成本费用总额(万元)",
        "资产总额(万元)",
        "净资产(万元)",
        "总收入(万元)",
    ):
        assert header in HEADERS
    for header in (
        "工业增加值(万元)",
        "高新技术产品(服务)收入(万元)",
        "地址",
        "法定代表人",
        "联系人",
        "户名",
    ):
        assert header in HEADERS
    assert {"开户银行", "银行账号", "研发机构名称", "研发机构级别", "年度"} <= set(HEADERS)


class TestTemplateRoundTrip:
    def test_filled_template_imports_every_field_and_exports_back_unchanged(self, county_official):
        from enterprises.importers import build_template_workbook

        wb = load_workbook(io.BytesIO(build_template_workbook()))
        ws = wb[TEMPLATE_SHEET]
        assert [c.value for c in ws[2]] == HEADERS
        ws.append(firm_row(1, 2024))
        ws.append(firm_row(1, 2025, sales_revenue=3600))
        filled = io.BytesIO()
        wb.save(filled)
        filled.seek(0)

        plan = plan_of(filled, county_official)
        assert plan.errors == []
        assert [(r.row, r.action, r.year) for r in plan.rows] == [(3, CREATED, 2024), (4, CREATED, 2025)]
        apply_ledger_import(plan, by=county_official)

        firm = Enterprise.objects.get()
        assert (firm.address, firm.legal_representative, firm.contact_name) == (
            "安阳市文峰区中华路88号",
            "王建国",
            "李敏",
        )
        assert (firm.bank_name, firm.bank_account, firm.bank_account_holder) == (
            "中国银行安阳分行",
            "6222020200112233445",
            "安阳全量导入科技有限公司（基本户）",
        )
        assert (firm.rd_institution, firm.rd_institution_level) == (
            "安阳市新材料工程技术研究中心",
            RDInstitutionLevel.CITY,
        )
        assert (firm.helper_unit, firm.restricted_industry, firm.tech_field) == (
            "文峰区科技局",
            False,
            TechField.NEW_MATERIALS,
        )
        assert firm.declared_stage == Stage.HTE_CANDIDATE
        first, second = AnnualFigures.objects.filter(enterprise=firm).order_by("year")
        assert (first.year, first.sales_revenue, second.sales_revenue) == (
            2024,
            Decimal("30000000.00"),
            Decimal("36000000.00"),
        )
        assert (first.rd_expense_domestic, first.total_costs, first.total_assets) == (
            Decimal("1700000.00"),
            Decimal("25000000.00"),
            Decimal("50000000.00"),
        )
        assert (first.net_assets, first.industrial_value_added, first.total_income) == (
            Decimal("26002500.00"),
            Decimal("9000000.00"),
            Decimal("30500000.00"),
        )
        assert (first.staff_count, first.conversions_count) == (Decimal("95.5"), 3)

        for respond, suffix in ((xlsx_response, "xlsx"), (csv_response, "csv")):
            exporter = LedgerExporter(Enterprise.objects.for_user(county_official))
            data = b"".join(respond(exporter).streaming_content)
            again = plan_of(io.BytesIO(data), county_official, f"导出.{suffix}")
            assert again.errors == [] and again.ignored_columns == []
            assert [(r.action, r.year, r.changed_fields) for r in again.rows] == [
                (UNCHANGED, 2024, ()),
                (UNCHANGED, 2025, ()),
            ]

    def test_demo_ledger_exported_and_imported_back_is_unchanged(self, county_official):
        from enterprises.demo import seed_demo_ledger

        seed_demo_ledger(per_jurisdiction=4)
        county = county_official.jurisdiction
        firms = Enterprise.objects.for_user(county_official)
        assert firms.exists() and AnnualFigures.objects.filter(enterprise__jurisdiction=county).exists()
        before = (Enterprise.history.count(), AnnualFigures.history.count())
        exporter = LedgerExporter(firms)
        data = b"".join(xlsx_response(exporter).streaming_content)
        rows = exporter.count()
        assert rows > firms.count()  # several years per firm

        plan = plan_of(io.BytesIO(data), county_official)
        assert plan.errors == []
        assert (plan.created, plan.updated, plan.unchanged) == (0, 0, rows)
        assert apply_ledger_import(plan, by=county_official).unchanged == rows
        assert (Enterprise.history.count(), AnnualFigures.history.count()) == before


class TestSeveralYearsInRows:
    def test_one_row_per_firm_and_year_previews_then_writes(self, county_official):
        existing = EnterpriseFactory(credit_code=make_credit_code(2), name="安阳已登记企业")
        FiguresFactory(enterprise=existing, year=2024, sales_revenue=Decimal("30000000.00"))
        rows = [
            firm_row(1, 2023),
            firm_row(1, 2024, sales_revenue=3300),
            firm_row(1, 2025, sales_revenue=3900),
            line(credit_code=make_credit_code(2), year=2024, sales_revenue=3000),
            line(credit_code=make_credit_code(2), year=2025, sales_revenue=3500, total_assets=8000),
        ]
        plan = plan_of(workbook({"台账": rows}), county_official)
        assert plan.errors == []
        assert [(r.row, r.action, r.year) for r in plan.rows] == [
            (3, CREATED, 2023),
            (4, CREATED, 2024),
            (5, CREATED, 2025),
            (6, UNCHANGED, 2024),
            (7, UPDATED, 2025),
        ]
        assert plan.rows[4].changed_fields == ("年度", "营业收入(万元)", "资产总额(万元)")
        assert not Enterprise.objects.filter(credit_code=make_credit_code(1)).exists()  # a preview only
        apply_ledger_import(plan, by=county_official)
        new = Enterprise.objects.get(credit_code=make_credit_code(1))
        assert sorted(new.figures.values_list("year", flat=True)) == [2023, 2024, 2025]
        assert existing.figures.get(year=2025).total_assets == Decimal("80000000.00")

    def test_one_bad_year_writes_nothing(self, county_official):
        rows = [firm_row(1, 2023), firm_row(1, 2024, net_assets="两千"), firm_row(3, 2025)]
        plan = plan_of(workbook({"台账": rows}), county_official)
        assert found(plan) == [("", 4, "净资产(万元)")]
        assert [r.action for r in plan.rows] == [CREATED, INVALID, CREATED]
        with pytest.raises(DomainError, match="1处错误"):
            apply_ledger_import(plan, by=county_official)
        assert not Enterprise.objects.exists() and not AnnualFigures.objects.exists()

    def test_conflicting_enterprise_columns_are_a_row_error(self, county_official):
        rows = [
            firm_row(1, 2023),
            firm_row(1, 2024, bank_account="6222020200199999999", rd_institution_level="省级"),
        ]
        plan = plan_of(workbook({"台账": rows}), county_official)
        assert found(plan) == [("", 4, "银行账号"), ("", 4, "研发机构级别")]
        bank, level = plan.errors
        assert "第3行" in bank.message and "6222020200112233445" in bank.message
        assert bank.value == "6222020200199999999"
        assert "市级" in level.message and "省级" in level.message
        assert [r.action for r in plan.rows] == [CREATED, INVALID]

    def test_domestic_rd_above_rd(self, county_official):
        plan = plan_of(workbook({"台账": [firm_row(1, 2024, rd_expense_domestic=200)]}), county_official)
        assert found(plan) == [("", 3, "境内研发费用(万元)")]
        assert "200" in plan.errors[0].message and "180.5" in plan.errors[0].message

    def test_domestic_rd_above_the_stored_rd(self, county_official):
        firm = EnterpriseFactory(credit_code=make_credit_code(1))
        FiguresFactory(enterprise=firm, year=2024, rd_expense=Decimal("1000000.00"), rd_expense_domestic=None)
        rows = [line(credit_code=firm.credit_code, year=2024, rd_expense_domestic=150)]
        plan = plan_of(workbook({"台账": rows}), county_official)
        assert found(plan) == [("", 3, "境内研发费用(万元)")]
        assert "系统中已登记" in plan.errors[0].message


class TestOneSheetPerYear:
    def sheets(self):
        firm = {"credit_code": make_credit_code(1), **{k: v for k, v in FIRM.items()}}
        return {
            "2023年": [line(**firm, **{**figures(2023), "year": None})],
            "2024": [line(**firm, **{**figures(2024), "year": None, "sales_revenue": 3400})],
            "汇总": [line(**firm)],
        }

    def test_each_sheet_is_its_year(self, county_official):
        plan = plan_of(workbook(self.sheets()), county_official)
        assert plan.errors == []
        assert plan.sheets == ["2023年", "2024"] and plan.ignored_sheets == ["汇总"]
        assert [(r.sheet, r.row, r.action, r.year) for r in plan.rows] == [
            ("2023年", 3, CREATED, 2023),
            ("2024", 3, CREATED, 2024),
        ]
        apply_ledger_import(plan, by=county_official)
        firm = Enterprise.objects.get()
        assert list(firm.figures.order_by("year").values_list("year", "sales_revenue")) == [
            (2023, Decimal("30000000.00")),
            (2024, Decimal("34000000.00")),
        ]
        again = plan_of(workbook(self.sheets()), county_official)
        assert [r.action for r in again.rows] == [UNCHANGED, UNCHANGED]

    def test_errors_name_the_sheet_and_nothing_is_written(self, county_official):
        sheets = self.sheets()
        sheets["2024"][0][KEY_INDEX["year"]] = 2023
        sheets["2024"].append(line(credit_code=make_credit_code(1), legal_representative="张三"))
        plan = plan_of(workbook(sheets), county_official)
        assert found(plan) == [("2024", 3, "年度"), ("2024", 4, "法定代表人")]
        year, person = plan.errors
        assert "2024年度" in year.message and year.value == "2023"
        assert "“2023年”表第3行" in person.message and person.value == "张三"
        with pytest.raises(DomainError):
            apply_ledger_import(plan, by=county_official)
        assert not Enterprise.objects.exists()

    def test_command_reads_sheets_and_names_them(self, tmp_path, county_official):
        sheets = self.sheets()
        path = tmp_path / "分年度台账.xlsx"
        path.write_bytes(workbook(sheets).getvalue())
        out = io.StringIO()
        call_command("import_ledger", str(path), "--jurisdiction", "410502", stdout=out)
        assert out.getvalue().splitlines() == ["created 2, updated 0, unchanged 0, errors 0"]
        sheets["2024"][0][KEY_INDEX["staff_count"]] = "九十"
        path.write_bytes(workbook(sheets).getvalue())
        out = io.StringIO()
        with pytest.raises(SystemExit):
            call_command("import_ledger", str(path), "--jurisdiction", "410502", stdout=out)
        assert out.getvalue().splitlines()[1] == "sheet 2024, row 3, column 职工总数: “九十”不是有效的数字。"


class TestTolerance:
    def test_header_variants_and_values(self, county_official):
        headers = [h.replace("(", "（").replace(")", "）") for h in HEADERS]
        for key, variant in (
            ("bank_name", "开户行"),
            ("legal_representative", "法人代表"),
            ("bank_account_holder", "账户户名"),
            ("rd_expense_domestic", "其中：境内研发费用（万元）"),
            ("contact_name", "联\u3000系\u3000人"),
        ):
            headers[KEY_INDEX[key]] = variant
        row = firm_row(
            1,
            2024,
            credit_code=make_credit_code(1).lower(),
            rd_institution_level="省",
            restricted_industry="是",
            staff_count="９５.５",
        )
        plan = plan_of(workbook({"台账": [row]}, headers=headers), county_official)
        assert plan.errors == []
        apply_ledger_import(plan, by=county_official)
        firm = Enterprise.objects.get()
        assert (firm.bank_name, firm.legal_representative, firm.contact_name) == (
            "中国银行安阳分行",
            "王建国",
            "李敏",
        )
        assert (firm.rd_institution_level, firm.restricted_industry) == (RDInstitutionLevel.PROVINCE, True)
        assert firm.figures.get().rd_expense_domestic == Decimal("1700000.00")

    @pytest.mark.parametrize(
        ("header", "fragment"), [("资产总额(元)", "单位应为万元"), ("资产总额", "没有注明金额单位")]
    )
    def test_money_columns_say_their_unit(self, county_official, header, fragment):
        headers = [header if h == "资产总额(万元)" else h for h in HEADERS]
        plan = plan_of(workbook({"台账": [firm_row(1, 2024)]}, headers=headers), county_official)
        (error,) = plan.errors
        assert error.row == 2 and fragment in error.message and "资产总额(万元)" in error.message


class TestBadValueAsTyped:
    @pytest.mark.parametrize(
        ("values", "column", "typed"),
        [
            ({"staff_count": 12.55}, "职工总数", "12.55"),
            ({"staff_count": "１２.５５"}, "职工总数", "１２.５５"),
            ({"registered_on": datetime.datetime(2999, 1, 1)}, "成立日期", "2999-01-01"),  # noqa: DTZ001
            ({"registered_on": 2018}, "成立日期", "2018"),
            ({"sales_revenue": "3,000元"}, "营业收入(万元)", "3,000元"),
            ({"total_costs": "-5"}, "成本费用总额(万元)", "-5"),
            ({"restricted_industry": "可能"}, "主要产品属于禁止、限制或淘汰类", "可能"),
            ({"rd_institution_level": "区级"}, "研发机构级别", "区级"),
            ({"st_staff_count": 150, "staff_count": 100}, "科技人员数", "150"),
            ({"credit_code": " 9141050" + "0ABCDEFGHIJ"}, "统一社会信用代码", " 91410500ABCDEFGHIJ"),
        ],
    )
    def test_error_shows_the_cell_as_typed(self, county_official, values, column, typed):
        plan = plan_of(workbook({"台账": [firm_row(1, 2024, **values)]}), county_official)
        (error,) = plan.errors
        assert (error.row, error.column, error.value) == (3, column, typed)

    def test_blank_required_cell_has_no_value(self, county_official):
        plan = plan_of(workbook({"台账": [firm_row(1, 2024, credit_code=None)]}), county_official)
        (error,) = plan.errors
        assert (error.column, error.value) == ("统一社会信用代码", "")

    def test_preview_page_shows_row_column_typed_value_and_reason(self, client, county_official):
        rows = [firm_row(1, 2024, staff_count="12.55", name="安阳预览企业"), firm_row(2, 2024)]
        client.force_login(county_official)
        upload = io.BytesIO(workbook({"台账": rows}).getvalue())
        upload.name = "台账.xlsx"
        response = client.post(
            reverse("enterprises:import"), {"file": upload, "jurisdiction": county_official.jurisdiction_id}
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "<td>3</td><td>职工总数</td>" in page
        assert '<code class="pre-wrap text-body">12.55</code>' in page
        assert "最多保留一位小数" in page and "安阳预览企业" in page
        assert "确认导入" not in page

    def test_preview_page_lists_changed_columns_and_confirms(self, client, county_official):
        firm = EnterpriseFactory(credit_code=make_credit_code(1), name=FIRM["name"])
        client.force_login(county_official)
        upload = io.BytesIO(
            workbook(
                {"台账": [line(credit_code=firm.credit_code, bank_account="6222000011112222")]}
            ).getvalue()
        )
        upload.name = "台账.xlsx"
        location = client.post(
            reverse("enterprises:import"), {"file": upload, "jurisdiction": county_official.jurisdiction_id}
        )["Location"]
        page = client.get(location).content.decode()
        assert "<td>银行账号</td>" in page and "确认导入" in page
        response = client.post(location)
        assert response.status_code == 302
        firm.refresh_from_db()
        assert firm.bank_account == "6222000011112222"
