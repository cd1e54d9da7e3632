"""The ledger spreadsheet importer: preview, all-or-nothing apply, scope, history, the command."""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role
from enterprises.import_parsing import COLUMNS, HELP_SHEET, TEMPLATE_SHEET, TEMPLATE_TITLE
from enterprises.importers import (
    CREATED,
    INVALID,
    UNCHANGED,
    UPDATED,
    LedgerImportResult,
    RowError,
    build_template_workbook,
    plan_ledger_import,
)
from enterprises.models import AnnualFigures, Enterprise, Stage, TechField
from enterprises.pinyin import name_initials
from enterprises.readiness import assess_enterprise
from enterprises.services import apply_ledger_import
from enterprises.services.imports import AUDIT_ACTION
from tests.factories import EnterpriseFactory, FiguresFactory, UserFactory, jurisdiction, make_credit_code

HEADERS = [c.header for c in COLUMNS]
KEY_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
TODAY = timezone.localdate()


def line(**values) -> list:
    """One spreadsheet line in template column order, from model-field keywords."""
    cells = [None] * len(COLUMNS)
    for key, value in values.items():
        cells[KEY_INDEX[key]] = value
    return cells


def ent(n: int, **values) -> list:
    """A typical row for enterprise ``n``."""
    base = {
        "name": f"安阳导入测试科技有限公司{n}",
        "credit_code": make_credit_code(n),
        "jurisdiction": "文峰区",
        "tech_field": "电子信息",
        "registered_on": "2018-03-05",
        "declared_stage": "高企后备",
        "year": 2025,
        "sales_revenue": "3000",
        "rd_expense": "180.5",
        "staff_count": 100,
        "st_staff_count": 20,
    }
    base.update(values)
    return line(**base)


def xlsx(
    lines, *, headers=HEADERS, preamble=((TEMPLATE_TITLE,),), merges=(), sheet_before=False
) -> io.BytesIO:
    """A workbook: ``preamble`` lines (a title by default), the header line, then ``lines``."""
    wb = Workbook()
    ws = wb.active
    if sheet_before:
        ws.title = "封面"
        ws["A1"] = "说明"
        ws = wb.create_sheet("台账")
    for values in preamble:
        ws.append(list(values))
    ws.append(list(headers))
    for values in lines:
        ws.append(list(values))
    for rng in merges:
        ws.merge_cells(rng)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def csv_bytes(lines, *, encoding="utf-8", headers=HEADERS) -> io.BytesIO:
    text = io.StringIO()
    csv.writer(text).writerows([headers, *lines])
    return io.BytesIO(text.getvalue().encode(encoding))


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture
def wenfeng(db):
    return jurisdiction("410502")


@pytest.fixture
def official(county_official):
    return county_official


def plan_of(fileobj, filename="台账.xlsx", *, user, j=None):
    return plan_ledger_import(fileobj, filename, jurisdiction=j or jurisdiction("410502"), user=user)


def messages(plan) -> list[str]:
    return [f"{e.row}|{e.column}|{e.message}" for e in plan.errors]


# --- the template ------------------------------------------------------------------------------


class TestTemplate:
    def test_title_header_and_help_sheet(self, db):
        wb = load_workbook(io.BytesIO(build_template_workbook()))
        assert wb.sheetnames == [TEMPLATE_SHEET, HELP_SHEET]
        ws = wb[TEMPLATE_SHEET]
        assert ws["A1"].value == TEMPLATE_TITLE
        assert [c.value for c in ws[2]] == HEADERS
        assert ws["B2"].font.bold
        assert ws.max_row == 2  # no example row
        assert ws.column_dimensions["B"].width >= 20
        help_text = "\n".join(str(c.value) for row in wb[HELP_SHEET].iter_rows() for c in row if c.value)
        for value in ("文峰区", "高新区", "410571", *TechField.labels, *Stage.labels, "培育库"):
            assert str(value) in help_text

    def test_empty_template_is_refused_as_header_only(self, official):
        plan = plan_of(io.BytesIO(build_template_workbook()), user=official)
        assert plan.rows == [] and [(e.row, e.message) for e in plan.errors] == [
            (0, "文件中只有表头，没有任何数据行。")
        ]


# --- reading messy files -----------------------------------------------------------------------


class TestTolerance:
    def test_messy_workbook(self, official):
        headers = [h.replace("(", "（").replace(")", "）") for h in HEADERS]
        headers[KEY_INDEX["name"]] = " 企业\u3000名称 "
        headers[KEY_INDEX["ip_class1_count"]] = "Ⅰ类知识产权数"
        code1, code2, code3, code4 = (make_credit_code(n) for n in (1, 2, 3, 4))
        preamble = [[TEMPLATE_TITLE], ["附件1"], ["填报单位：文峰区科技局"], []]
        rows = [
            ent(1, credit_code=code1.lower(), registered_on=datetime.datetime(2018, 3, 5)),  # noqa: DTZ001 (Excel is naive)
            ent(
                2, credit_code="\u3000" + fullwidth(code2) + " ", registered_on=43164.0, jurisdiction="410502"
            ),
            [],
            ent(
                3,
                credit_code=code3,
                registered_on="2018年3月5日",
                sales_revenue="1,234.5",
                declared_stage="科小",
            ),
            ent(
                4, credit_code=code4, registered_on="2018.3.5", staff_count="１２０", sales_revenue="１２３４"
            ),
            ent(5, registered_on="2018/3/5", jurisdiction="文峰区", declared_stage=""),
            ["合 计", None, None, None, None, None, None, None, None, None, None, 99999],
            ["注：金额单位为万元"],
        ]
        plan = plan_of(xlsx(rows, headers=headers, preamble=preamble, merges=["A1:S1"]), user=official)
        assert messages(plan) == []
        assert [(r.row, r.action) for r in plan.rows] == [(n, CREATED) for n in (6, 7, 9, 10, 11)]
        result = apply_ledger_import(plan, by=official)
        assert result == LedgerImportResult(created=5, updated=0, unchanged=0)
        first = Enterprise.objects.get(credit_code=code1)
        assert Enterprise.objects.get(credit_code=code2).registered_on == datetime.date(2018, 3, 5)
        for code in (code1, code2, code3, code4):
            assert Enterprise.objects.get(credit_code=code).registered_on == datetime.date(2018, 3, 5)
        assert first.jurisdiction == jurisdiction("410502")
        assert first.tech_field == TechField.ELECTRONIC_INFO
        assert first.declared_stage == Stage.HTE_CANDIDATE
        assert first.stage == Stage.NONE  # derived from qualifications, none were created
        assert first.created_by == official
        assert first.name_initials == name_initials(first.name)
        third = Enterprise.objects.get(credit_code=code3)
        assert third.declared_stage == Stage.TECH_SME
        figures = AnnualFigures.objects.get(enterprise=third, year=2025)
        assert figures.sales_revenue == Decimal("12345000.00")
        assert figures.rd_expense == Decimal("1805000.00")
        fourth = AnnualFigures.objects.get(enterprise__credit_code=code4)
        assert (fourth.staff_count, fourth.sales_revenue) == (120, Decimal("12340000.00"))
        assert Enterprise.objects.get(credit_code=make_credit_code(5)).declared_stage == ""

    def test_header_found_below_several_title_rows_and_on_a_later_sheet(self, official):
        preamble = [["安阳市"], ["高新技术企业培育台账"], [], ["单位：万元"]]
        plan = plan_of(xlsx([ent(1)], preamble=preamble, sheet_before=True), user=official)
        assert messages(plan) == []
        assert [(r.row, r.action) for r in plan.rows] == [(6, CREATED)]

    def test_no_header(self, official):
        plan = plan_of(xlsx([ent(1)], headers=["名称", "代码"]), user=official)
        assert plan.errors == [RowError(0, "(文件)", plan.errors[0].message)]
        assert "企业名称" in plan.errors[0].message

    def test_vertically_merged_enterprise_cells_fill_down(self, official):
        rows = [ent(1, year=2024), line(year=2025, sales_revenue="4000")]
        merges = [f"{col}3:{col}4" for col in "BCDEFG"]
        plan = plan_of(xlsx(rows, merges=merges), user=official)
        assert messages(plan) == []
        apply_ledger_import(plan, by=official)
        enterprise = Enterprise.objects.get()
        assert sorted(enterprise.figures.values_list("year", "sales_revenue")) == [
            (2024, Decimal("30000000.00")),
            (2025, Decimal("40000000.00")),
        ]

    def test_rows_with_only_a_sequence_number_are_skipped(self, official):
        rows = [ent(1), line(seq=2), line(seq=3)]
        plan = plan_of(xlsx(rows), user=official)
        assert messages(plan) == [] and len(plan.rows) == 1

    def test_unknown_columns_are_listed_not_fatal(self, official):
        plan = plan_of(xlsx([[*ent(1), "x"]], headers=[*HEADERS, "当前阶段"]), user=official)
        assert messages(plan) == [] and plan.ignored_columns == ["当前阶段"]

    def test_money_column_in_yuan_is_refused(self, official):
        headers = [h.replace("营业收入(万元)", "营业收入(元)") for h in HEADERS]
        plan = plan_of(xlsx([ent(1)], headers=headers), user=official)
        assert any("单位应为万元" in m for m in messages(plan))

    @pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
    def test_csv(self, official, encoding):
        rows = [
            ent(1, registered_on="2018/3/5", sales_revenue="1,234.567891"),
            ent(2, credit_code=make_credit_code(2).lower()),
        ]
        plan = plan_of(csv_bytes(rows, encoding=encoding), "台账.csv", user=official)
        assert messages(plan) == []
        assert [(r.row, r.action, r.name) for r in plan.rows] == [
            (2, CREATED, "安阳导入测试科技有限公司1"),
            (3, CREATED, "安阳导入测试科技有限公司2"),
        ]
        apply_ledger_import(plan, by=official)
        figures = AnnualFigures.objects.get(enterprise__credit_code=make_credit_code(1))
        assert figures.sales_revenue == Decimal("12345678.91")

    def test_xls_and_other_files_are_refused(self, official):
        assert "另存为 .xlsx" in plan_of(io.BytesIO(b"\xd0\xcf"), "a.xls", user=official).errors[0].message
        assert ".csv" in plan_of(io.BytesIO(b"x"), "a.pdf", user=official).errors[0].message
        assert "Excel" in plan_of(io.BytesIO(b"not a zip"), "a.xlsx", user=official).errors[0].message

    def test_broken_sheet_xml(self, official):
        source = xlsx([ent(n) for n in range(1, 30)]).getvalue()
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w") as zout:
            for item in zin.infolist():
                body = zin.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    body = body[: len(body) // 2]
                zout.writestr(item, body)
        out.seek(0)
        plan = plan_of(out, user=official)
        assert plan.errors[-1].row == 0 and "无法读取" in plan.errors[-1].message

    def test_size_limit(self, official, settings):
        settings.IMPORT_MAX_BYTES = 1000
        plan = plan_of(xlsx([ent(n) for n in range(1, 50)]), user=official)
        assert plan.rows == [] and "分批" in plan.errors[0].message

    def test_row_limit(self, official, settings):
        settings.IMPORT_MAX_ROWS = 2
        plan = plan_of(xlsx([ent(1), ent(2), ent(3)]), user=official)
        assert [e.row for e in plan.errors] == [5]
        assert "分批" in plan.errors[0].message


# --- cell errors -------------------------------------------------------------------------------


class TestCellErrors:
    @pytest.mark.parametrize(
        ("values", "column", "fragment"),
        [
            (
                {"registered_on": "2018-13-45"},
                "成立日期",
                "日期无法识别：'2018-13-45'，请用 2018-03-05 或 2018年3月5日 格式",
            ),
            ({"registered_on": "去年"}, "成立日期", "日期无法识别"),
            ({"registered_on": 2018}, "成立日期", "日期无法识别"),
            ({"registered_on": "2999-01-01"}, "成立日期", "晚于今天"),
            ({"credit_code": make_credit_code(1)[:-1] + "0"}, "统一社会信用代码", "第18位校验码不符"),
            ({"credit_code": "1234"}, "统一社会信用代码", "应为18位"),
            ({"credit_code": None}, "统一社会信用代码", "请填写统一社会信用代码"),
            ({"sales_revenue": "0.0000001"}, "营业收入(万元)", "精确到了0.01元以下"),
            ({"sales_revenue": "-5"}, "营业收入(万元)", "不能为负数"),
            ({"sales_revenue": "三千"}, "营业收入(万元)", "不是有效的数字"),
            ({"staff_count": "12.55"}, "职工总数", "最多保留一位小数"),
            ({"staff_count": -1}, "职工总数", "不能为负数"),
            ({"staff_count": 10, "st_staff_count": 11}, "科技人员数", "不能大于职工总数"),
            ({"planned_year": 1999}, "计划申报年度", "2000到2100"),
            ({"year": TODAY.year + 1}, "年度", "无法识别"),
            ({"year": None}, "年度", "请同时填写数据所属的年度"),
            ({"tech_field": "人工智能"}, "技术领域", "电子信息"),
            ({"declared_stage": "独角兽"}, "培育阶段", "高企后备"),
            ({"jurisdiction": "朝阳区"}, "所属县区", "未知的县区"),
            ({"name": "企" * 201}, "企业名称", "最多200个字"),
            ({"helper_phone": "1" * 33}, "责任人电话", "最多32个字"),
        ],
    )
    def test_error_names_row_column_and_reason(self, official, values, column, fragment):
        plan = plan_of(xlsx([ent(1), ent(2, **values)]), user=official)
        assert len(plan.errors) == 1, messages(plan)
        error = plan.errors[0]
        assert (error.row, error.column) == (4, column)
        assert fragment in error.message
        assert [r.action for r in plan.rows] == [CREATED, INVALID]

    def test_error_column_is_the_files_own_header_text(self, official):
        headers = [h.replace("(", "（").replace(")", "）") for h in HEADERS]
        plan = plan_of(xlsx([ent(1, sales_revenue="x")], headers=headers), user=official)
        assert plan.errors[0].column == "营业收入（万元）"

    def test_every_error_is_collected(self, official):
        rows = [ent(1, registered_on="x", staff_count="y"), ent(2, credit_code="bad"), ent(3)]
        plan = plan_of(xlsx(rows), user=official)
        assert [(e.row, e.column) for e in plan.errors] == [
            (3, "成立日期"),
            (3, "职工总数"),
            (4, "统一社会信用代码"),
        ]

    def test_new_enterprise_needs_a_name(self, official):
        plan = plan_of(xlsx([ent(1, name=None)]), user=official)
        assert [(e.row, e.column) for e in plan.errors] == [(3, "企业名称")]


# --- several rows per enterprise ---------------------------------------------------------------


class TestSeveralYears:
    def test_same_code_several_years(self, official):
        rows = [
            ent(1, year=2023),
            ent(1, year=2024, sales_revenue="3500"),
            line(credit_code=make_credit_code(1), year=2025),
        ]
        plan = plan_of(xlsx(rows), user=official)
        assert messages(plan) == []
        apply_ledger_import(plan, by=official)
        assert Enterprise.objects.count() == 1
        assert sorted(AnnualFigures.objects.values_list("year", flat=True)) == [2023, 2024]

    def test_conflicting_enterprise_values_error_on_the_later_row(self, official):
        rows = [ent(1, year=2023), ent(1, year=2024, tech_field="新材料")]
        plan = plan_of(xlsx(rows), user=official)
        assert [(e.row, e.column) for e in plan.errors] == [(4, "技术领域")]
        assert "第3行" in plan.errors[0].message and "电子信息" in plan.errors[0].message

    def test_same_code_and_year_twice(self, official):
        plan = plan_of(xlsx([ent(1), ent(1, sales_revenue="1")]), user=official)
        assert [(e.row, e.column) for e in plan.errors] == [(4, "年度")]
        assert "第3行" in plan.errors[0].message


# --- preview and apply -------------------------------------------------------------------------


@pytest.fixture
def existing(wenfeng):
    same = EnterpriseFactory(
        name="安阳导入测试科技有限公司1",
        credit_code=make_credit_code(1),
        declared_stage=Stage.HTE_CANDIDATE,
        registered_on=datetime.date(2018, 3, 5),
    )
    FiguresFactory(
        enterprise=same,
        year=2025,
        sales_revenue=Decimal("30000000.00"),
        rd_expense=Decimal("1805000.00"),
        rd_expense_domestic=Decimal("1000000.00"),
        staff_count=100,
        st_staff_count=20,
        hightech_revenue=None,
        ip_class1_count=None,
        ip_class2_count=None,
    )
    changed = EnterpriseFactory(
        name="安阳导入测试科技有限公司2",
        credit_code=make_credit_code(2),
        declared_stage=Stage.HTE_CANDIDATE,
        registered_on=datetime.date(2018, 3, 5),
        helper_name="王五",
        notes="老备注",
    )
    return same, changed


class TestPreviewAndApply:
    def test_classification_and_changed_fields(self, official, existing):
        rows = [ent(1), ent(2, declared_stage="高企", sales_revenue="2000"), ent(3)]
        history_before = Enterprise.history.count()
        plan = plan_of(xlsx(rows), user=official)
        assert messages(plan) == []
        assert [(r.row, r.action) for r in plan.rows] == [(3, UNCHANGED), (4, UPDATED), (5, CREATED)]
        assert plan.rows[1].changed_fields == (
            "培育阶段",
            "年度",
            "营业收入(万元)",
            "研发费用(万元)",
            "职工总数",
            "科技人员数",
        )
        assert (plan.created, plan.updated, plan.unchanged) == (1, 1, 1)
        # A preview writes nothing.
        assert Enterprise.objects.count() == 2 and Enterprise.history.count() == history_before

        result = apply_ledger_import(plan, by=official)
        assert result == LedgerImportResult(created=1, updated=1, unchanged=1)
        changed = Enterprise.objects.get(credit_code=make_credit_code(2))
        assert changed.declared_stage == Stage.HTE
        assert AnnualFigures.objects.get(enterprise=changed, year=2025).sales_revenue == Decimal(
            "20000000.00"
        )

    def test_blank_cells_do_not_erase(self, official, existing):
        _same, changed = existing
        rows = [line(credit_code=make_credit_code(2), helper_phone="13900000000")]
        plan = plan_of(xlsx(rows), user=official)
        assert [(r.action, r.changed_fields) for r in plan.rows] == [(UPDATED, ("责任人电话",))]
        apply_ledger_import(plan, by=official)
        changed.refresh_from_db()
        assert (changed.name, changed.helper_name, changed.notes) == (
            "安阳导入测试科技有限公司2",
            "王五",
            "老备注",
        )
        assert changed.tech_field == TechField.ELECTRONIC_INFO and changed.helper_phone == "13900000000"

    def test_blank_figure_cells_keep_stored_figures(self, official, existing):
        same, _changed = existing
        plan = plan_of(
            xlsx([line(credit_code=same.credit_code, year=2025, ip_class1_count=2)]), user=official
        )
        apply_ledger_import(plan, by=official)
        figures = AnnualFigures.objects.get(enterprise=same, year=2025)
        assert (figures.ip_class1_count, figures.staff_count, figures.rd_expense_domestic) == (
            2,
            100,
            Decimal("1000000.00"),
        )

    def test_reimport_is_unchanged_and_apply_is_idempotent(self, official, wenfeng):
        data = xlsx([ent(1), ent(2), ent(2, year=2024)]).getvalue()
        plan = plan_of(io.BytesIO(data), user=official)
        assert apply_ledger_import(plan, by=official) == LedgerImportResult(3, 0, 0)
        counts = (Enterprise.objects.count(), AnnualFigures.objects.count(), Enterprise.history.count())
        assert apply_ledger_import(plan, by=official) == LedgerImportResult(0, 0, 3)
        again = plan_of(io.BytesIO(data), user=official)
        assert [r.action for r in again.rows] == [UNCHANGED] * 3
        assert apply_ledger_import(again, by=official) == LedgerImportResult(0, 0, 3)
        assert (
            Enterprise.objects.count(),
            AnnualFigures.objects.count(),
            Enterprise.history.count(),
        ) == counts

    def test_one_bad_row_writes_nothing(self, official, existing):
        rows = [ent(2, declared_stage="高企"), ent(3), ent(4, registered_on="2018-13-45")]
        plan = plan_of(xlsx(rows), user=official)
        with pytest.raises(DomainError, match="1处错误"):
            apply_ledger_import(plan, by=official)
        assert Enterprise.objects.count() == 2
        assert Enterprise.objects.get(credit_code=make_credit_code(2)).declared_stage == Stage.HTE_CANDIDATE
        assert not AuditLog.objects.filter(action=AUDIT_ACTION).exists()

    def test_failure_while_writing_rolls_everything_back(self, official, existing, monkeypatch):
        def boom(*args, **kwargs):
            raise RuntimeError("audit failed")

        monkeypatch.setattr("enterprises.services.imports.audit_log", boom)
        plan = plan_of(xlsx([ent(2, declared_stage="高企"), ent(3)]), user=official)
        with pytest.raises(RuntimeError):
            apply_ledger_import(plan, by=official)
        assert Enterprise.objects.count() == 2
        assert Enterprise.objects.get(credit_code=make_credit_code(2)).declared_stage == Stage.HTE_CANDIDATE

    def test_history_and_one_audit_entry(self, official, existing):
        before = Enterprise.history.count()
        figures_before = AnnualFigures.history.count()
        plan = plan_of(xlsx([ent(1), ent(2, declared_stage="高企"), ent(3), ent(4)]), user=official, j=None)
        apply_ledger_import(plan, by=official)
        assert Enterprise.history.count() == before + 3  # 2 created, 1 updated, the unchanged row adds none
        assert AnnualFigures.history.count() == figures_before + 3
        record = Enterprise.history.filter(credit_code=make_credit_code(2)).latest("history_date")
        assert record.history_type == "~"
        assert record.history_user == official
        assert record.history_change_reason == "台账导入：台账.xlsx"
        assert record.declared_stage == Stage.HTE
        created = Enterprise.history.get(credit_code=make_credit_code(3))
        assert created.history_type == "+"
        (log,) = AuditLog.objects.filter(action=AUDIT_ACTION)
        assert log.object_id == str(jurisdiction("410502").pk) and log.user == official
        assert log.data["filename"] == "台账.xlsx"
        assert (log.data["created"], log.data["updated"], log.data["unchanged"]) == (2, 1, 1)

    def test_readiness_is_refreshed_after_commit(self, official, wenfeng, django_capture_on_commit_callbacks):
        plan = plan_of(xlsx([ent(1, hightech_revenue="2400", ip_class1_count=1)]), user=official)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            apply_ledger_import(plan, by=official)
        assert len(callbacks) == 1
        enterprise = Enterprise.objects.get()
        assessment = assess_enterprise(enterprise, today=TODAY)
        assert (enterprise.hte_ready, enterprise.tsme_score) == (
            assessment.hte_ready,
            assessment.tech_sme.total,
        )
        assert enterprise.tsme_score is not None

    def test_st_staff_checked_against_stored_staff(self, official, existing):
        same, _changed = existing
        plan = plan_of(
            xlsx([line(credit_code=same.credit_code, year=2025, st_staff_count=150)]), user=official
        )
        assert [(e.row, e.column) for e in plan.errors] == [(3, "科技人员数")]
        assert "100" in plan.errors[0].message

    def test_rd_expense_below_stored_domestic_rd(self, official, existing):
        same, _changed = existing
        plan = plan_of(xlsx([line(credit_code=same.credit_code, year=2025, rd_expense="50")]), user=official)
        assert [(e.row, e.column) for e in plan.errors] == [(3, "研发费用(万元)")]
        assert "境内研发费用" in plan.errors[0].message


# --- scope -------------------------------------------------------------------------------------


class TestScope:
    def test_row_naming_another_jurisdiction(self, official):
        plan = plan_of(
            xlsx([ent(1), ent(2, jurisdiction="林州市"), ent(3, jurisdiction="高新区")]), user=official
        )
        assert [(e.row, e.column) for e in plan.errors] == [(4, "所属县区"), (5, "所属县区")]
        assert "本次导入只能写入文峰区的企业" in plan.errors[0].message

    def test_code_registered_in_another_jurisdiction_is_not_revealed(self, official):
        other = EnterpriseFactory(
            name="林州秘密企业", credit_code=make_credit_code(7), jurisdiction=jurisdiction("410581")
        )
        plan = plan_of(xlsx([ent(7, jurisdiction=None, name="别的名字")]), user=official)
        (error,) = plan.errors
        assert (error.row, error.column) == (3, "统一社会信用代码")
        assert "其他县区" in error.message and "市科技局" in error.message
        assert other.name not in error.message and "林州" not in error.message
        assert plan.rows[0].name == "别的名字" and plan.rows[0].action == INVALID

    def test_preview_does_not_show_the_name_registered_elsewhere(self, official):
        EnterpriseFactory(
            name="林州秘密企业", credit_code=make_credit_code(7), jurisdiction=jurisdiction("410581")
        )
        plan = plan_of(xlsx([line(credit_code=make_credit_code(7), helper_name="张三")]), user=official)
        assert [(r.name, r.action) for r in plan.rows] == [("", INVALID)]
        assert "林州秘密企业" not in repr(plan)

    def test_user_of_another_county_is_refused(self, other_county_official):
        with pytest.raises(DomainError):
            plan_of(xlsx([ent(1)]), user=other_county_official)

    def test_reviewer_without_import_right_is_refused(self, reviewer):
        with pytest.raises(DomainError):
            plan_of(xlsx([ent(1)]), user=reviewer)

    def test_admin_may_import_into_any_jurisdiction(self, db):
        admin = UserFactory(username="admin1", role=Role.ADMIN, jurisdiction=None)
        plan = plan_of(xlsx([ent(1, jurisdiction="林州市")]), user=admin, j=jurisdiction("410581"))
        assert messages(plan) == []
        apply_ledger_import(plan, by=admin)
        assert Enterprise.objects.get().jurisdiction.code == "410581"

    def test_apply_checks_the_applying_user(self, official, other_county_official):
        plan = plan_of(xlsx([ent(1)]), user=official)
        with pytest.raises(DomainError):
            apply_ledger_import(plan, by=other_county_official)
        assert not Enterprise.objects.exists()


# --- a round trip with the ledger export ---------------------------------------------------------


def test_an_edited_export_imports_again_unchanged(official, existing):
    from anyang_hte.core.exporters import write_xlsx
    from enterprises.exporters import LedgerExporter

    same, changed = existing
    Enterprise.objects.filter(pk=same.pk).update(notes='=HYPERLINK("x")', helper_phone="+86 13800000000")
    out = io.BytesIO()
    write_xlsx(LedgerExporter(Enterprise.objects.all(), year=2025), out)
    out.seek(0)
    plan = plan_of(out, user=official)
    assert messages(plan) == []
    assert [r.action for r in plan.rows] == [UNCHANGED, UNCHANGED]
    assert plan.ignored_columns == []


# --- the management command --------------------------------------------------------------------


class TestCommand:
    def run(self, path, *args):
        out = io.StringIO()
        try:
            call_command("import_ledger", str(path), *args, stdout=out)
            code = 0
        except SystemExit as exc:
            code = exc.code
        return code, out.getvalue().splitlines()

    def test_imports(self, tmp_path, wenfeng):
        path = tmp_path / "台账.xlsx"
        path.write_bytes(xlsx([ent(1), ent(2)]).getvalue())
        code, lines = self.run(path, "--jurisdiction", "410502")
        assert (code, lines) == (0, ["created 2, updated 0, unchanged 0, errors 0"])
        assert Enterprise.objects.count() == 2
        assert AuditLog.objects.get(action=AUDIT_ACTION).user is None
        code, lines = self.run(path, "--jurisdiction", "410502")
        assert (code, lines) == (0, ["created 0, updated 0, unchanged 2, errors 0"])

    def test_dry_run_writes_nothing(self, tmp_path, wenfeng):
        path = tmp_path / "台账.csv"
        path.write_bytes(csv_bytes([ent(1)], encoding="gb18030").getvalue())
        code, lines = self.run(path, "--jurisdiction", "410502", "--dry-run")
        assert (code, lines) == (0, ["created 1, updated 0, unchanged 0, errors 0"])
        assert not Enterprise.objects.exists()

    def test_errors_exit_1_and_write_nothing(self, tmp_path, wenfeng):
        path = tmp_path / "台账.xlsx"
        path.write_bytes(
            xlsx([ent(1), ent(2, registered_on="2018-13-45"), ent(3, staff_count=-1)]).getvalue()
        )
        code, lines = self.run(path, "--jurisdiction", "410502")
        assert code == 1
        assert lines[0] == "created 1, updated 0, unchanged 0, errors 2"
        assert (
            lines[1]
            == "row 4, column 成立日期: 日期无法识别：'2018-13-45'，请用 2018-03-05 或 2018年3月5日 格式。"
        )
        assert lines[2].startswith("row 5, column 职工总数: ")
        assert not Enterprise.objects.exists()

    def test_unknown_jurisdiction(self, tmp_path, wenfeng):
        path = tmp_path / "台账.xlsx"
        path.write_bytes(xlsx([ent(1)]).getvalue())
        with pytest.raises(CommandError, match="999999"):
            self.run(path, "--jurisdiction", "999999")

    def test_missing_file(self, tmp_path, wenfeng):
        with pytest.raises(CommandError):
            self.run(tmp_path / "none.xlsx", "--jurisdiction", "410502")


# --- many rows (the timing is `make bench`: scripts/bench_import.py) ------------------------------


def test_many_rows_cross_every_chunk_and_batch(official, monkeypatch, django_capture_on_commit_callbacks):
    """The bulk paths at small chunk sizes: every look-up, insert, history row and readiness task is
    split many times over, and the result is the same as row by row."""
    monkeypatch.setattr("enterprises.importers.CHUNK", 7)
    monkeypatch.setattr("enterprises.services.imports.CHUNK", 7)
    monkeypatch.setattr("enterprises.services.imports.BATCH", 5)
    monkeypatch.setattr("enterprises.services.imports.READINESS_TASK_SIZE", 40)
    rows = 120
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([TEMPLATE_TITLE])
    ws.append(HEADERS)
    for n in range(1, rows + 1):
        ws.append(
            ent(
                n,
                registered_on=datetime.date(2018, 3, 5),
                sales_revenue=Decimal(n),
                hightech_revenue=n / 2,
                ip_class1_count=0,
                ip_class2_count=n % 5,
            )
        )
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    plan = plan_of(data, user=official)
    assert plan.errors == [] and plan.created == rows
    with django_capture_on_commit_callbacks() as callbacks:
        result = apply_ledger_import(plan, by=official)
    assert len(callbacks) == 3  # the readiness refresh, in tasks of 40 enterprises
    for callback in callbacks:
        callback()
    assert result.created == rows
    assert Enterprise.objects.count() == rows and AnnualFigures.objects.count() == rows
    assert Enterprise.history.count() == rows and AnnualFigures.history.count() == rows
    assert Enterprise.objects.filter(tsme_score__isnull=True).count() == 0
    for enterprise in Enterprise.objects.all():
        assessment = assess_enterprise(enterprise, today=TODAY)
        assert (enterprise.hte_ready, enterprise.tsme_score) == (
            assessment.hte_ready,
            assessment.tech_sme.total,
        )
    data.seek(0)
    again = plan_of(data, user=official)
    assert again.unchanged == rows and again.errors == []
