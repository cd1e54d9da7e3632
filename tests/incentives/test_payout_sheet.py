"""The payout sheet read back: every amount, its capital numerals, the total, and the print settings."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404
from django.utils import timezone
from openpyxl import load_workbook

from anyang_hte.core.roles import Role
from incentives.exporters import PayoutSheetExporter, amount_in_words, payout_sheet_response
from incentives.models import FundingLine, FundingSource, PayoutBatch, RewardRule
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import FundingLineFactory, PayoutBatchFactory, RewardFactory

HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属县区",
    "奖励事项",
    "政策依据",
    "金额(元)",
    "金额大写",
    "户名",
    "开户银行",
    "银行账号",
    "备注",
]
EVIL_NAME = '=HYPERLINK("http://evil.example/x","点击领取")'
LOCKED_AT = datetime.datetime(2026, 3, 18, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

# (jurisdiction, enterprise name, rule, amount, capital numerals, bank account)
LINES = [
    ("410502", "安阳市鑫源科技有限公司", "HTE_NEW", "150000.00", "壹拾伍万元整", "6222021234567890123"),
    (
        "410581",
        "林州市红旗渠新材料有限公司",
        "LITTLE_GIANT",
        "300000.00",
        "叁拾万元整",
        "41050101234500000001",
    ),
    ("410502", EVIL_NAME, "LEADING", "500000.00", "伍拾万元整", "+8613800000000"),
    (
        "410505",
        "安阳殷都精密机械有限公司",
        "HTE_NEW",
        "123456.78",
        "壹拾贰万叁仟肆佰伍拾陆元柒角捌分",
        "0012345",
    ),
]
TOTAL, TOTAL_WORDS = Decimal("1073456.78"), "壹佰零柒万叁仟肆佰伍拾陆元柒角捌分"


@pytest.fixture
def batch(db):
    finance = UserFactory(username="city_fin", role=Role.CITY_FINANCE, jurisdiction=None)
    batch = PayoutBatchFactory(
        name="2026年第一批市级高企奖励资金",
        source=FundingSource.CITY,
        status=PayoutBatch.Status.LOCKED,
        created_by=finance,
        locked_by=finance,
        locked_at=LOCKED_AT,
    )
    for code, name, rule, amount, _words, account in LINES:
        enterprise = EnterpriseFactory(
            name=name, jurisdiction=jurisdiction(code), bank_name="中国工商银行安阳分行", bank_account=account
        )
        reward = RewardFactory(
            enterprise=enterprise, rule=RewardRule.objects.get(code=rule), status="approved"
        )
        FundingLineFactory(
            reward=reward,
            source=FundingSource.CITY,
            amount=Decimal(amount),
            status=FundingLine.Status.BATCHED,
            batch=batch,
        )
    # A cancelled line stays out of the sheet and its total.
    FundingLineFactory(amount=Decimal("99999.99"), status=FundingLine.Status.CANCELLED, batch=batch)
    return batch


def read_xlsx(batch):
    response = payout_sheet_response(batch, "xlsx")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return response, wb.active


def total_row_index(ws) -> int:
    """The 合计 row: the signature block follows it after a blank row."""
    return ws.max_row - 2


def data_rows(ws):
    """The sheet's rows by the enterprise name (row order is county, then name)."""
    return {row[1].value: row for row in ws.iter_rows(min_row=4, max_row=total_row_index(ws) - 1)}


class TestXlsx:
    def test_title_info_and_header(self, batch):
        response, ws = read_xlsx(batch)
        assert ws["A1"].value == "2026年第一批市级高企奖励资金"
        assert "A1:L1" in {str(r) for r in ws.merged_cells.ranges}
        assert "A2:L2" in {str(r) for r in ws.merged_cells.ranges}
        assert (
            ws["A2"].value
            == "拨付批次：2026年第一批市级高企奖励资金　资金来源：市级财政　编制日期：2026-03-18"
        )
        assert [c.value for c in ws[3]] == HEADERS
        filename = unquote(response["Content-Disposition"].split("filename*=utf-8''", 1)[1])
        assert filename == f"拨付清单_2026年第一批市级高企奖励资金_{timezone.localdate():%Y%m%d}.xlsx"

    def test_every_amount_and_its_capital_numerals(self, batch):
        _response, ws = read_xlsx(batch)
        assert total_row_index(ws) == 3 + len(LINES) + 1
        rows = data_rows(ws)
        names = {name if name != EVIL_NAME else "'" + EVIL_NAME for _c, name, *_rest in LINES}
        assert set(rows) == names
        for code, name, rule, amount, words, _account in LINES:
            row = rows[name if name != EVIL_NAME else "'" + EVIL_NAME]
            assert row[3].value == jurisdiction(code).name
            assert row[4].value == RewardRule.objects.get(code=rule).name
            assert row[5].value == "安政办〔2017〕100号"
            assert Decimal(str(row[6].value)) == Decimal(amount)
            assert row[6].number_format == "#,##0.00"
            assert row[7].value == words
        assert [row[0].value for row in ws.iter_rows(min_row=4, max_row=total_row_index(ws) - 1)] == [
            1,
            2,
            3,
            4,
        ]

    def test_total_row(self, batch):
        _response, ws = read_xlsx(batch)
        total = ws[total_row_index(ws)]
        assert total[0].value == "合计"
        assert total[1].value == "共 4 笔"
        assert Decimal(str(total[6].value)) == TOTAL == sum(Decimal(amount) for *_x, amount, _w, _a in LINES)
        assert total[6].number_format == "#,##0.00"
        assert total[7].value == TOTAL_WORDS
        assert total[6].font.bold

    def test_text_cells_are_neutralised_and_accounts_are_text(self, batch):
        _response, ws = read_xlsx(batch)
        rows = data_rows(ws)
        evil = rows["'" + EVIL_NAME]
        assert evil[1].data_type == "s"  # a string, not a formula
        assert evil[10].value == "'+8613800000000"
        accounts = {row[10].value for row in rows.values()}
        assert {"6222021234567890123", "41050101234500000001", "0012345"} <= accounts
        for row in rows.values():
            assert row[10].data_type == "s" and row[10].number_format == "@"
            assert row[2].data_type == "s"  # the credit code too
        formulas = [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
        assert formulas == []

    def test_ready_to_print(self, batch):
        _response, ws = read_xlsx(batch)
        assert ws.freeze_panes == "A4"
        assert ws.print_title_rows == "$3:$3"
        assert ws.page_setup.orientation == "landscape"
        assert str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.print_options.gridLines
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert ws.column_dimensions["B"].width >= 30
        assert ws.column_dimensions["H"].width >= 25

    def test_draft_batch_is_marked(self, batch):
        PayoutBatch.objects.filter(pk=batch.pk).update(status=PayoutBatch.Status.DRAFT, locked_at=None)
        batch.refresh_from_db()
        _response, ws = read_xlsx(batch)
        assert "未锁定" in ws["A2"].value
        assert f"编制日期：{timezone.localdate().isoformat()}" in ws["A2"].value

    def test_county_batch_names_its_county(self, db):
        finance = UserFactory(
            username="wf_fin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction("410502")
        )
        batch = PayoutBatchFactory(
            name="文峰区第一批", source="county", jurisdiction=jurisdiction("410502"), created_by=finance
        )
        _response, ws = read_xlsx(batch)
        assert "资金来源：县区财政（文峰区）" in ws["A2"].value
        assert ws["A4"].value == "合计" and ws["G4"].value == 0 and ws["H4"].value == "零元整"


class TestCsv:
    def test_same_columns_and_total(self, batch):
        response = payout_sheet_response(batch, "csv")
        text = b"".join(response.streaming_content).decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0] == HEADERS
        assert len(rows) == 1 + len(LINES) + 1
        by_name = {row[1]: row for row in rows[1:-1]}
        for _code, name, _rule, amount, words, account in LINES:
            row = by_name[name if name != EVIL_NAME else "'" + EVIL_NAME]
            assert (row[6], row[7]) == (amount, words)
            assert row[10] == (account if not account.startswith("+") else "'" + account)
        assert rows[-1][0] == "合计" and rows[-1][6] == str(TOTAL) and rows[-1][7] == TOTAL_WORDS
        filename = unquote(response["Content-Disposition"].split("filename*=utf-8''", 1)[1])
        assert filename.startswith("拨付清单_2026年第一批市级高企奖励资金_") and filename.endswith(".csv")

    def test_unknown_format_is_404(self, batch):
        with pytest.raises(Http404):
            payout_sheet_response(batch, "pdf")


class TestNotes:
    def test_share_and_payment_in_remarks(self, batch):
        line = FundingLine.objects.filter(batch=batch, reward__rule__code="HTE_NEW").order_by("pk").first()
        rows = list(PayoutSheetExporter(batch).iter_rows())
        remark = next(r[11] for r in rows[:-1] if r[1] == line.reward.enterprise.name)
        assert "市级财政承担部分" in remark and "300,000.00" in remark


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("300000.00", "叁拾万元整"),
        ("150000", "壹拾伍万元整"),
        ("100000.50", "壹拾万元伍角"),
        ("1000000.05", "壹佰万元零伍分"),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_the_sheet_stays_chinese_for_an_english_user(db):
    """The bank and the archive read Chinese: the sheet ignores the user's language."""
    from django.utils import translation

    from incentives.exporters import payout_sheet_response
    from tests.incentives.factories import FundingLineFactory, PayoutBatchFactory

    batch = PayoutBatchFactory(status="locked")
    FundingLineFactory(batch=batch, status="batched")
    with translation.override("en"):
        response = payout_sheet_response(batch, "csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "企业名称" in body and "金额大写" in body and "Enterprise name" not in body


class TestReadyToSign:
    def test_account_holder_column_defaults_to_the_enterprise_name(self, batch):
        from enterprises.models import Enterprise

        Enterprise.objects.filter(name=LINES[0][1]).update(
            bank_account_holder="安阳市鑫源科技有限公司（基本户）"
        )
        _response, ws = read_xlsx(batch)
        rows = data_rows(ws)
        assert rows[LINES[0][1]][8].value == "安阳市鑫源科技有限公司（基本户）"
        assert rows[LINES[1][1]][8].value == LINES[1][1]  # blank holder: the enterprise's own name

    def test_signature_block_under_the_total_and_inside_the_print_area(self, batch):
        _response, ws = read_xlsx(batch)
        total = total_row_index(ws)
        assert ws.cell(total, 1).value == "合计"
        assert all(cell.value is None for cell in ws[total + 1])
        labels = [cell.value for cell in ws[total + 2] if cell.value]
        assert labels[:3] == ["制表人：", "审核人：", "负责人："] and labels[3].startswith("日期：")
        assert ws.print_area.endswith(f"$L${total + 2}")
