"""The bulletin (通报): the jurisdictions ranked on the assessment indicators for a year.

The numbers come from ``selectors.indicator_table`` (the same definitions as the dashboard and the
exports), that is from the rollup's snapshots: a year without a complete and fresh set is ``computing``
(the page says so while its rollup runs; the xlsx is not issued until it is done). Rows are ordered
by the rank on new HTEs against target (the first of the plan's two assessment indicators), then by
the rank on valid HTEs; each indicator keeps its own rank column.

The bulletin is issued, so it is always in Chinese (``translation.override(settings.LANGUAGE_CODE)``),
whatever language the reader's portal is in. It is offered as a print-ready xlsx (A4 landscape, the
header rows repeated on every page, frozen header) and as a printable HTML page.
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from anyang_hte.core.exporters import XLSX_CONTENT_TYPE
from applications.selectors import RoundNumbers

from .indicators import new_hte_rule_label


@dataclass
class Measure:
    """One assessment indicator of one row: the value, its target, the progress and the rank."""

    value: Decimal | None
    target: Decimal | None = None
    progress: Decimal | None = None  # a fraction: 0.85 is 85 %
    rank: int | None = None

    @property
    def progress_percent(self) -> Decimal | None:
        return None if self.progress is None else self.progress * 100


@dataclass
class BulletinRow:
    code: str
    name: str
    new_hte: Measure
    valid_hte: Measure
    tech_sme: Decimal | None
    hte_candidates: Decimal | None
    helper_share: Decimal | None  # a fraction
    overdue_milestones: Decimal | None
    is_total: bool = False
    order: int | None = None  # 序号 in the bulletin

    @property
    def measures(self) -> list[Measure]:
        return [self.new_hte, self.valid_hte]

    @property
    def helper_share_percent(self) -> Decimal | None:
        return None if self.helper_share is None else self.helper_share * 100


@dataclass
class Bulletin:
    year: int
    issued_on: datetime.date
    rows: list[BulletinRow]
    total: BulletinRow
    computed_at: datetime.datetime | None = None  # the snapshots' (None: none yet)
    notes: list[str] = field(default_factory=list)
    round: RoundNumbers | None = None  # the year's HTE application round, per county (None: no round)
    computing: list[int] = field(default_factory=list)  # [year] while its snapshots are being computed

    @property
    def title(self) -> str:
        return _("安阳市高新技术企业培育工作通报（%(year)d年）") % {"year": self.year}

    @property
    def issuer(self) -> str:
        return _("安阳市科学技术局")

    @property
    def filename(self) -> str:
        return _("高新技术企业培育工作通报_%(year)d年_%(day)s.xlsx") % {
            "year": self.year,
            "day": f"{self.issued_on:%Y%m%d}",
        }


def _rank_key(row: BulletinRow):
    # a stable sort: ties keep the official order of the jurisdictions
    big = 10**6
    return (row.new_hte.rank or big, row.valid_hte.rank or big)


def bulletin_data(year: int, *, issued_on: datetime.date | None = None) -> Bulletin:
    """The bulletin of ``year``: its rows in rank order and the city's totals row, in Chinese."""
    from . import selectors

    with translation.override(settings.LANGUAGE_CODE):
        table = selectors.indicator_table(year)
        rows = [_row(r) for r in table if not r["is_city"]]
        rows.sort(key=_rank_key)
        for order, row in enumerate(rows, start=1):
            row.order = order
        city = next(r for r in table if r["is_city"])
        numbers, round_source = selectors.application_round(year)
        ready = city["source"] == selectors.SNAPSHOT and round_source == selectors.SNAPSHOT
        return Bulletin(
            year=year,
            issued_on=issued_on or timezone.localdate(),
            rows=rows,
            total=_row(city, is_total=True),
            computed_at=city["computed_at"],
            notes=notes(year),
            round=numbers,
            computing=[] if ready else [year],
        )


def notes(year: int) -> list[str]:
    return [
        _("新认定高新技术企业：%(year)d年内新认定的高新技术企业（%(rule)s；已撤销的不计入）。")
        % {"year": year, "rule": new_hte_rule_label()},
        _("有效高新技术企业：%(year)d年12月31日（当年为统计当日）证书在有效期内的高新技术企业。")
        % {"year": year},
        _("完成率 = 完成数 ÷ 目标数；排名按完成数从高到低，数量相同的并列。"),
        _("挂钩帮扶落实率：台账企业中明确了挂钩帮扶责任人、有时间表且没有逾期节点的企业所占比例。"),
        _("表中县区按新认定高新技术企业排名排列，其次按有效高新技术企业排名。"),
    ]


def _fraction(percent: Decimal | None) -> Decimal | None:
    """85.0 (per cent, as the selectors give it) -> 0.85."""
    return None if percent is None else Decimal(percent) / 100


def _measure(r: dict, code: str) -> Measure:
    return Measure(r["values"][code], r["targets"][code], _fraction(r["progress"][code]), r["rank"].get(code))


def _row(r: dict, *, is_total: bool = False) -> BulletinRow:
    """A bulletin row from one row of ``selectors.indicator_table``."""
    return BulletinRow(
        code=r["scope"],
        name=r["name"],
        new_hte=_measure(r, "new_hte"),
        valid_hte=_measure(r, "valid_hte"),
        tech_sme=r["values"]["tech_sme"],
        hte_candidates=r["values"]["hte_candidates"],
        helper_share=_fraction(r["values"]["helper_share"]),
        overdue_milestones=r["values"]["overdue_milestones"],
        is_total=is_total,
    )


# --- xlsx --------------------------------------------------------------------------------------

COLUMNS = 14  # 序号, 县区, 4 × new, 4 × valid, 4 others
HEADER_TOP, HEADER_BOTTOM = 4, 5
FIRST_DATA_ROW = HEADER_BOTTOM + 1
COUNT_FORMAT = "#,##0"
TARGET_FORMAT = "#,##0.##"
PERCENT_FORMAT = "0.0%"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WIDTHS = [6, 24, 9, 9, 9, 7, 9, 9, 9, 7, 11, 10, 11, 10]


def _number(value):
    """Whole numbers as int (Excel shows 12, not 12.0000), others as Decimal."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else value


def write_xlsx(bulletin: Bulletin, target) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        _write(bulletin, target)


def _write(bulletin: Bulletin, target) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = _("通报%(year)d") % {"year": bulletin.year}
    last_col = get_column_letter(COLUMNS)

    ws.merge_cells(f"A1:{last_col}1")
    ws["A1"] = bulletin.title
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 32

    ws.merge_cells("A2:G2")
    ws["A2"] = _("发布单位：%(issuer)s") % {"issuer": bulletin.issuer}
    ws.merge_cells(f"H2:{last_col}2")
    ws["H2"] = _("发布日期：%(day)s") % {"day": _chinese_date(bulletin.issued_on)}
    ws["H2"].alignment = Alignment(horizontal="right")
    ws.merge_cells(f"A3:{last_col}3")
    ws["A3"] = _computed_text(bulletin)
    ws["A3"].font = Font(size=9, color="555555")

    groups = [
        (3, _("新认定高新技术企业")),
        (7, _("有效高新技术企业")),
    ]
    measure_heads = [_("完成数"), _("目标"), _("完成率"), _("排名")]
    singles = {
        1: _("序号"),
        2: _("县区"),
        11: _("科技型中小企业（家）"),
        12: _("高企后备（家）"),
        13: _("挂钩帮扶落实率"),
        14: _("逾期帮扶节点（个）"),
    }
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, text in singles.items():
        letter = get_column_letter(col)
        ws.merge_cells(f"{letter}{HEADER_TOP}:{letter}{HEADER_BOTTOM}")
        ws.cell(HEADER_TOP, col, text)
    for start, text in groups:
        ws.merge_cells(
            start_row=HEADER_TOP,
            start_column=start,
            end_row=HEADER_TOP,
            end_column=start + len(measure_heads) - 1,
        )
        ws.cell(HEADER_TOP, start, text)
        for offset, head in enumerate(measure_heads):
            ws.cell(HEADER_BOTTOM, start + offset, head)
    for row in ws.iter_rows(min_row=HEADER_TOP, max_row=HEADER_BOTTOM, max_col=COLUMNS):
        for cell in row:
            cell.font, cell.fill, cell.alignment, cell.border = Font(bold=True), fill, CENTER, BORDER
    ws.row_dimensions[HEADER_TOP].height = 22
    ws.row_dimensions[HEADER_BOTTOM].height = 30

    r = FIRST_DATA_ROW
    for row in [*bulletin.rows, bulletin.total]:
        _write_row(ws, r, row)
        r += 1

    r += 1
    ws.cell(r, 1, _("说明："))
    ws.cell(r, 1).font = Font(bold=True, size=9)
    for note in bulletin.notes:
        r += 1
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=COLUMNS)
        ws.cell(r, 1, note).font = Font(size=9)
    r += 2
    ws.merge_cells(start_row=r, start_column=10, end_row=r, end_column=COLUMNS)
    ws.cell(r, 10, bulletin.issuer).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=r + 1, start_column=10, end_row=r + 1, end_column=COLUMNS)
    ws.cell(r + 1, 10, _chinese_date(bulletin.issued_on)).alignment = Alignment(horizontal="center")

    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 3)
    ws.print_title_rows = f"{HEADER_TOP}:{HEADER_BOTTOM}"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    ws.oddFooter.center.text = _("第 &P 页，共 &N 页")
    ws.print_area = f"A1:{last_col}{r + 1}"
    if bulletin.round is not None:
        _write_round(wb, bulletin.round)
    wb.save(target)


def _write_round(wb, numbers: RoundNumbers) -> None:
    """The year's application round on its own sheet: the steps and pass rates per county, then the
    reasons for failure."""
    ws = wb.create_sheet(_("高企申报%(year)d") % {"year": numbers.round.year})
    heads = [_("县区"), *(str(label) for _code, label in numbers.stages), *numbers.rate_labels]
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(heads))
    ws["A1"] = _("%(round)s情况（单位：家）") % {"round": numbers.round}
    ws["A1"].font = Font(bold=True, size=14)
    for col, head in enumerate(heads, start=1):
        cell = ws.cell(3, col, str(head))
        cell.font, cell.alignment, cell.border = Font(bold=True), CENTER, BORDER
    r = 4
    for row in [*numbers.rows, numbers.total]:
        values = [row.name, *(c["value"] for c in row.cells)]
        values += [None if rate is None else rate / 100 for rate in row.rates]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(r, col, value)
            cell.border = BORDER
            if col > 1 + len(numbers.stages):
                cell.number_format = PERCENT_FORMAT
            if row.jurisdiction is None:
                cell.font = Font(bold=True)
        r += 1
    r += 1
    f = numbers.failures
    lines = [
        _("县区暂缓：%(n)d家") % {"n": f.held},
        _("企业撤回：%(n)d家") % {"n": f.withdrawn},
        _("初审退回：%(n)d家（%(items)s）")
        % {
            "n": f.returned,
            "items": "、".join(f"{name} {n}" for _c, name, n in f.returned_by_condition) or "—",
        },
        _("省级未认定：%(n)d家（%(items)s）")
        % {
            "n": f.not_certified,
            "items": "、".join(f"{name} {n}" for _c, name, n in f.not_certified_by_reason) or "—",
        },
    ]
    ws.cell(r, 1, _("未通过原因统计：")).font = Font(bold=True, size=9)
    for line in lines:
        r += 1
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(heads))
        ws.cell(r, 1, line).font = Font(size=9)
    ws.column_dimensions["A"].width = 24
    for col in range(2, len(heads) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 12


def _write_row(ws, r: int, row: BulletinRow) -> None:
    cells = [_("全市合计"), None] if row.is_total else [row.order, row.name]
    for m in (row.new_hte, row.valid_hte):
        cells += [_number(m.value), _number(m.target), m.progress, m.rank]
    cells += [
        _number(row.tech_sme),
        _number(row.hte_candidates),
        row.helper_share,
        _number(row.overdue_milestones),
    ]
    formats = {3: COUNT_FORMAT, 4: TARGET_FORMAT, 5: PERCENT_FORMAT, 7: COUNT_FORMAT, 8: TARGET_FORMAT}
    formats |= {9: PERCENT_FORMAT, 11: COUNT_FORMAT, 12: COUNT_FORMAT, 13: PERCENT_FORMAT, 14: COUNT_FORMAT}
    for col, value in enumerate(cells, start=1):
        cell = ws.cell(r, col, value)
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="left" if col == 2 else "center", vertical="center")
        if col in formats:
            cell.number_format = formats[col]
        if row.is_total:
            cell.font = Font(bold=True)
    if row.is_total:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        ws.cell(r, 1).alignment = CENTER


def _chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _computed_text(bulletin: Bulletin) -> str:
    if bulletin.computed_at is None:
        return _("数据为实时计算结果。")
    at = timezone.localtime(bulletin.computed_at)
    return _("数据汇总时间：%(at)s") % {"at": f"{at:%Y-%m-%d %H:%M}"}


def xlsx_response(bulletin: Bulletin) -> HttpResponse:
    out = io.BytesIO()
    write_xlsx(bulletin, out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, bulletin.filename)
    return response
