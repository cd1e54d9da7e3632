"""The bulletin (通报) xlsx, read back with openpyxl: every value, every rank, the totals row, print setup."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from assessment import indicators, selectors
from assessment.bulletin import bulletin_data, write_xlsx
from assessment.models import CountingRule, Target
from tests.factories import EnterpriseFactory, MilestoneFactory, QualificationFactory, jurisdiction, rolled_up

pytestmark = [pytest.mark.django_db]

YEAR = timezone.localdate().year
JAN_1 = datetime.date(YEAR, 1, 1)
FIRST_DATA_ROW = 6


def qual(enterprise, kind, granted_on):
    from enterprises.services import qualification_expiry

    return QualificationFactory(
        enterprise=enterprise,
        kind=kind,
        granted_on=granted_on,
        expires_on=qualification_expiry(kind, granted_on),
    )


@pytest.fixture
def data():
    CountingRule.objects.create(recertification_is_new=False)  # g's re-certification is not new here
    wf, lz = jurisdiction("410502"), jurisdiction("410581")
    a, b, c, d, e = (EnterpriseFactory(jurisdiction=wf, helper_name="张三") for _ in range(5))
    f, g = (EnterpriseFactory(jurisdiction=lz, helper_name="") for _ in range(2))
    qual(a, "hte", JAN_1)
    qual(b, "hte", JAN_1)
    qual(c, "hte", JAN_1.replace(year=YEAR - 2))
    qual(d, "tech_sme", JAN_1)
    qual(e, "hte_candidate", JAN_1.replace(year=YEAR - 1))
    qual(f, "hte", JAN_1)
    qual(g, "hte", JAN_1.replace(year=YEAR - 4))  # expired, then re-certified: valid, not new
    qual(g, "hte", JAN_1)
    MilestoneFactory(enterprise=a, due_on=datetime.date(YEAR + 1, 6, 30))  # a: helper with a timetable
    MilestoneFactory(enterprise=d, due_on=JAN_1.replace(year=YEAR - 1))  # d: overdue
    for juris, new, valid in ((wf, 4, 6), (lz, 2, 5)):
        Target.objects.create(jurisdiction=juris, year=YEAR, indicator="new_hte", value=new)
        Target.objects.create(jurisdiction=juris, year=YEAR, indicator="valid_hte", value=valid)
    rolled_up(YEAR)  # the nightly job: the bulletin reads snapshots only


def read(data_bytes):
    return openpyxl.load_workbook(io.BytesIO(data_bytes)).active


def values(ws, row):
    return [ws.cell(row, col).value for col in range(1, 15)]


def approx(value):
    return pytest.approx(value, abs=1e-9) if value is not None else None


def test_bulletin_xlsx_every_value_and_rank(data, client, reviewer):
    client.force_login(reviewer)
    client.cookies["django_language"] = "en"  # issued documents are Chinese whatever the reader's language
    response = client.get(reverse("assessment:bulletin_xlsx"), {"year": YEAR})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    ws = read(response.content)
    today = timezone.localdate()

    assert ws["A1"].value == f"安阳市高新技术企业培育工作通报（{YEAR}年）"
    assert ws["A2"].value == "发布单位：安阳市科学技术局"
    assert ws["H2"].value == f"发布日期：{today.year}年{today.month}月{today.day}日"
    assert ws["A4"].value == "序号" and ws["B4"].value == "县区"
    assert ws["C4"].value == "新认定高新技术企业" and ws["G4"].value == "有效高新技术企业"
    assert [ws.cell(5, c).value for c in range(3, 11)] == ["完成数", "目标", "完成率", "排名"] * 2
    assert [ws.cell(4, c).value for c in range(11, 15)] == [
        "科技型中小企业（家）",
        "高企后备（家）",
        "挂钩帮扶落实率",
        "逾期帮扶节点（个）",
    ]

    # hand-computed: 文峰区 2 new of 4, 3 valid of 6; 林州市 1 new of 2, 2 valid of 5; the rest nothing
    assert values(ws, 6) == [1, "文峰区", 2, 4, approx(0.5), 1, 3, 6, approx(0.5), 1, 1, 1, approx(0.2), 1]
    assert values(ws, 7) == [2, "林州市", 1, 2, approx(0.5), 2, 2, 5, approx(0.4), 2, 0, 0, approx(0), 0]
    others = [j for j in indicators.jurisdictions() if j.code not in ("410502", "410581")]
    for offset, juris in enumerate(others):
        row = 8 + offset
        assert values(ws, row) == [3 + offset, juris.name, 0, None, None, 3, 0, None, None, 3, 0, 0, None, 0]
    total = 8 + len(others)
    assert values(ws, total) == [
        "全市合计",
        None,
        3,
        6,
        approx(0.5),
        None,
        5,
        11,
        approx(0.455),
        None,
        1,
        1,
        approx(0.1429),
        1,
    ]
    assert f"A{total}:B{total}" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.cell(total + 2, 1).value == "说明："

    # print-ready
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.print_title_rows == "$4:$5"
    assert ws.freeze_panes == "C6"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.cell(6, 5).number_format == "0.0%"


def test_bulletin_rows_agree_with_the_selector(data):
    """Whatever the fixture, every number in the file is the selector's."""
    out = io.BytesIO()
    with translation.override("en"):
        write_xlsx(bulletin_data(YEAR), out)
    ws = read(out.getvalue())
    table = {r["name"]: r for r in selectors.indicator_table(YEAR)}
    seen = 0
    for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 11):
        cells = values(ws, row)
        r = table[cells[1]]
        for col, code in ((2, "new_hte"), (6, "valid_hte")):
            assert cells[col] == r["values"][code]
            assert cells[col + 1] == (None if r["targets"][code] is None else int(r["targets"][code]))
            expected = r["progress"][code]
            assert cells[col + 2] == (None if expected is None else approx(float(expected / 100)))
            assert cells[col + 3] == r["rank"][code]
        assert cells[10] == r["values"]["tech_sme"] and cells[11] == r["values"]["hte_candidates"]
        share = r["values"]["helper_share"]
        assert cells[12] == (None if share is None else approx(float(share / 100)))
        assert cells[13] == r["values"]["overdue_milestones"]
        seen += 1
    assert seen == 11
    # rows in rank order (new HTEs, then valid HTEs)
    ranks = [(ws.cell(r, 6).value, ws.cell(r, 10).value) for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 11)]
    assert ranks == sorted(ranks)
    assert ws.cell(FIRST_DATA_ROW + 11, 1).value == "全市合计"


def test_the_bulletin_of_a_year_being_computed_is_not_issued(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("assessment:bulletin_xlsx"), {"year": YEAR - 3})
    assert (
        response.status_code == 302 and response.url == reverse("assessment:bulletin") + f"?year={YEAR - 3}"
    )
    page = client.get(response.url).content.decode()
    assert "正在汇总计算" in page and 'data-testid="rollup-progress"' in page
    assert "数据正在汇总计算" in page  # the document says so, it shows no live numbers


def test_bulletin_is_city_wide_only(client, county_official):
    client.force_login(county_official)
    assert client.get(reverse("assessment:bulletin_xlsx")).status_code == 403


def test_progress_fraction_is_exact(data):
    bulletin = bulletin_data(YEAR)
    lz = next(r for r in bulletin.rows if r.code == "410581")
    assert lz.valid_hte.progress == Decimal("0.4")
    assert bulletin.total.valid_hte.progress == Decimal("0.455")
