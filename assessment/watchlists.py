"""Watch lists (预警清单): what needs a county's attention soon (the weekly reminder is a service).

Five lists, each a queryset built in one place so the pages, the exports, the counts and the weekly
notification agree:

- ``hte_expiring``: HTE certificates expiring in the next 12 months whose holder has no later HTE
  certificate yet (re-certification, 重新认定, is needed);
- ``lg_expiring``: Henan Little Giant titles (and the cultivation tier) expiring in the next 12 months,
  without a later title of the same kind;
- ``report_missing``: enterprises holding a valid HTE certificate granted before last year ended, with
  no annual figures (``AnnualFigures``) for last year. The annual development report is due by
  31 May; the portal has no separate report register, so a missing figures row stands for a missing
  report;
- ``milestones_overdue``: open helper timetable milestones (帮扶节点) past their due date;
- ``readiness_open``: enterprises planning to apply this year whose verdict for this year is 不符合 or
  待补充 (the same three values as the list badge and the readiness filter);
- ``ready_not_applying``: enterprises whose stored verdict is 符合 with no entry in the open application
  round (``applications.selectors.ready_not_applying``; empty while no round is open).

Every list is scoped through the models' ``for_user`` (a county sees its own rows only), and can be
narrowed to one jurisdiction. Counts per jurisdiction are one grouped query per list.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import CharField, Count, Exists, OuterRef, QuerySet, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.dates import add_months
from anyang_hte.core.exporters import CellValue, ListExporter
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import is_city_wide
from applications.selectors import open_round
from applications.selectors import ready_not_applying as _ready_not_applying
from enterprises.models import AnnualFigures, Enterprise, LedgerMilestone, Qualification, QualificationKind
from enterprises.readiness.common import VERDICT_LABELS, status_of

HORIZON_MONTHS = 12
LG_KINDS = (QualificationKind.LITTLE_GIANT, QualificationKind.LG_CULTIVATION)


@dataclass(frozen=True)
class WatchList:
    code: str
    label: str
    description: str
    icon: str
    short: str
    # the model the rows are, and the path from a row to its jurisdiction
    jurisdiction_field: str

    @property
    def rows_are_enterprises(self) -> bool:
        return self.jurisdiction_field == "jurisdiction"


HTE_EXPIRING = "hte_expiring"
LG_EXPIRING = "lg_expiring"
REPORT_MISSING = "report_missing"
MILESTONES_OVERDUE = "milestones_overdue"
READINESS_OPEN = "readiness_open"
READY_NOT_APPLYING = "ready_not_applying"

WATCHLISTS: dict[str, WatchList] = {
    w.code: w
    for w in (
        WatchList(
            HTE_EXPIRING,
            gettext_lazy("高企证书12个月内到期"),
            gettext_lazy("高新技术企业证书将在12个月内到期、且尚无新证书的企业，需组织重新认定申报。"),
            "bi-hourglass-split",
            gettext_lazy("高企证书到期"),
            "enterprise__jurisdiction",
        ),
        WatchList(
            LG_EXPIRING,
            gettext_lazy("科技小巨人12个月内到期"),
            gettext_lazy("河南省科技小巨人（含培育企业）称号将在12个月内到期、且尚无同类新称号的企业。"),
            "bi-award",
            gettext_lazy("小巨人到期"),
            "enterprise__jurisdiction",
        ),
        WatchList(
            REPORT_MISSING,
            gettext_lazy("高企年报未报"),
            gettext_lazy(
                "持有有效高企证书（上年底前取得）、但台账中没有上一年度年度数据的企业。"
                "高企年度发展情况报表应于每年5月31日前报送；本平台以“无上年度年度数据”视为年报缺报。"
            ),
            "bi-file-earmark-x",
            gettext_lazy("年报未报"),
            "jurisdiction",
        ),
        WatchList(
            MILESTONES_OVERDUE,
            gettext_lazy("帮扶节点逾期"),
            gettext_lazy("挂钩帮扶时间表中已过计划完成日期、尚未完成的节点。"),
            "bi-alarm",
            gettext_lazy("节点逾期"),
            "enterprise__jurisdiction",
        ),
        WatchList(
            READINESS_OPEN,
            gettext_lazy("今年计划申报、认定条件未满足"),
            gettext_lazy(
                "计划申报年度为今年、但今年申报的高企认定条件为“不符合”或“待补充”的企业；"
                "在企业页面的“认定条件”中逐项查看差距和缺项。"
            ),
            "bi-clipboard-x",
            gettext_lazy("申报条件未满足"),
            "jurisdiction",
        ),
        WatchList(
            READY_NOT_APPLYING,
            gettext_lazy("符合条件但未申报"),
            gettext_lazy(
                "高企认定条件为“符合”、但在当前开放的高企申报批次中没有申报意向（或已撤回）的企业；"
                "没有开放的申报批次时清单为空。"
            ),
            "bi-send-exclamation",
            gettext_lazy("符合未申报"),
            "jurisdiction",
        ),
    )
}


# --- the lists (unscoped) -----------------------------------------------------------------------


def _expiring(today: datetime.date, kinds) -> QuerySet:
    """Titles of ``kinds`` expiring within the horizon whose holder has no later title of that kind."""
    end = add_months(today, HORIZON_MONTHS)
    later = Qualification.objects.filter(
        enterprise=OuterRef("enterprise"),
        kind=OuterRef("kind"),
        revoked_on__isnull=True,
        granted_on__gt=OuterRef("granted_on"),
    )
    return (
        Qualification.objects.filter(
            kind__in=kinds,
            revoked_on__isnull=True,
            granted_on__lte=today,
            expires_on__gte=today,
            expires_on__lte=end,
        )
        .filter(~Exists(later))
        .select_related("enterprise__jurisdiction")
        .order_by("expires_on", "pk")  # qual_kind_expiry
    )


def hte_expiring(today: datetime.date) -> QuerySet:
    return _expiring(today, [QualificationKind.HTE])


def lg_expiring(today: datetime.date) -> QuerySet:
    return _expiring(today, LG_KINDS)


def report_missing(today: datetime.date) -> QuerySet:
    last_year = today.year - 1
    holds_hte = Qualification.objects.valid_on(today).filter(
        enterprise=OuterRef("pk"),
        kind=QualificationKind.HTE,
        granted_on__lte=datetime.date(last_year, 12, 31),
    )
    reported = AnnualFigures.objects.filter(enterprise=OuterRef("pk"), year=last_year)
    return (
        Enterprise.objects.filter(Exists(holds_hte))
        .filter(~Exists(reported))
        .select_related("jurisdiction")
        .order_by("jurisdiction_id", "name", "pk")
    )


def readiness_open(today: datetime.date) -> QuerySet:
    """Planned to apply this year, this year's verdict 不符合 or 待补充 (the stored ``hte_ready``)."""
    return (
        Enterprise.objects.filter(planned_year=today.year)
        .exclude(hte_ready=True)
        .select_related("jurisdiction")
        .order_by("jurisdiction_id", "name", "pk")
    )


def ready_not_applying(today: datetime.date) -> QuerySet:
    """符合 (the stored ``hte_ready``) and no entry in the open round (named on each row, one query)."""
    current = open_round()
    return (
        _ready_not_applying()
        .annotate(open_round_name=Value(str(current) if current else "", output_field=CharField()))
        .select_related("jurisdiction")
        .order_by("jurisdiction_id", "name", "pk")
    )


def milestones_overdue(today: datetime.date) -> QuerySet:
    return (
        LedgerMilestone.objects.overdue(today)
        .select_related("enterprise__jurisdiction")
        .order_by("due_on", "pk")
    )


_BUILDERS = {
    HTE_EXPIRING: hte_expiring,
    LG_EXPIRING: lg_expiring,
    REPORT_MISSING: report_missing,
    MILESTONES_OVERDUE: milestones_overdue,
    READINESS_OPEN: readiness_open,
    READY_NOT_APPLYING: ready_not_applying,
}


def watchlist_queryset(
    code: str, *, user, today: datetime.date, jurisdiction: Jurisdiction | None = None
) -> QuerySet:
    """The rows of one list that ``user`` may see, optionally of one jurisdiction only."""
    qs = _BUILDERS[code](today).for_user(user)
    if jurisdiction is not None:
        qs = qs.filter(**{WATCHLISTS[code].jurisdiction_field: jurisdiction})
    return qs


def counts_by_jurisdiction(*, today: datetime.date, user) -> dict[int, dict[str, int]]:
    """``{jurisdiction_id: {list code: rows}}`` with every list present (0 when empty); one query a list,
    scoped to ``user`` (the weekly task counts city-wide as the system)."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(WATCHLISTS, 0))
    for code, watch in WATCHLISTS.items():
        qs = _BUILDERS[code](today).for_user(user)
        field = f"{watch.jurisdiction_field}_id"
        for row in qs.order_by().values(field).annotate(n=Count("pk")):
            counts[row[field]][code] = row["n"]
    return dict(counts)


@dataclass
class CountRow:
    jurisdiction: Jurisdiction | None  # None: the totals row
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[tuple[WatchList, int]]:
        return [(WATCHLISTS[code], self.counts[code]) for code in WATCHLISTS]


def count_table(*, today: datetime.date, user) -> tuple[list[CountRow], CountRow]:
    """One row per jurisdiction the user sees (in the official order), and the totals row."""
    counts = counts_by_jurisdiction(today=today, user=user)
    jurisdictions = Jurisdiction.objects.all()
    if not is_city_wide(user):
        jurisdictions = jurisdictions.filter(pk=user.jurisdiction_id)
    rows = [CountRow(j, counts.get(j.pk, dict.fromkeys(WATCHLISTS, 0))) for j in jurisdictions]
    totals = CountRow(None, {code: sum(r.counts[code] for r in rows) for code in WATCHLISTS})
    return rows, totals


# --- exports -------------------------------------------------------------------------------------


def days_left(day: datetime.date | None, today: datetime.date) -> int | None:
    return (day - today).days if day else None


class WatchListExporter(ListExporter):
    def __init__(self, code: str, rows: QuerySet, *, today: datetime.date):
        self.code, self.rows, self.today = code, rows, today
        watch = WATCHLISTS[code]
        self.filename = _("预警清单_%(name)s") % {"name": watch.label}
        self.title = _("%(name)s（截至%(day)s）") % {"name": watch.label, "day": f"{today:%Y-%m-%d}"}
        self.headers = headers(code)

    def iter_rows(self) -> Iterator[list[CellValue]]:
        for index, row in enumerate(self.rows.iterator(chunk_size=500), start=1):
            yield [index, *row_cells(self.code, row, self.today)]

    def column_widths(self) -> list[float]:
        widths = {"#": 6, _("企业名称"): 36, _("统一社会信用代码"): 22, _("事项"): 30}
        return [float(widths.get(h, 14)) for h in self.headers]


def headers(code: str) -> list[str]:
    base = ["#", _("县区"), _("企业名称"), _("统一社会信用代码")]
    if code in (HTE_EXPIRING, LG_EXPIRING):
        return [
            *base,
            _("资质类型"),
            _("证书/登记编号"),
            _("认定日期"),
            _("有效期至"),
            _("剩余天数"),
            _("挂钩帮扶责任人"),
        ]
    if code == REPORT_MISSING:
        return [*base, _("高企证书编号"), _("认定日期"), _("有效期至"), _("挂钩帮扶责任人"), _("责任人电话")]
    if code == READINESS_OPEN:
        return [*base, _("计划申报年度"), _("高企认定条件"), _("挂钩帮扶责任人"), _("责任人电话")]
    if code == READY_NOT_APPLYING:
        return [*base, _("申报批次"), _("计划申报年度"), _("挂钩帮扶责任人"), _("责任人电话")]
    return [*base, _("事项"), _("计划完成日期"), _("逾期天数"), _("挂钩帮扶责任人")]


def row_cells(code: str, row, today: datetime.date) -> list[CellValue]:
    """The cells after "#" of one row: the page and the exports share them."""
    if code == REPORT_MISSING:
        hte = getattr(row, "current_hte", None)
        return [
            row.jurisdiction.name,
            row.name,
            row.credit_code,
            hte.number if hte else "",
            hte.granted_on if hte else None,
            hte.expires_on if hte else None,
            row.helper_name,
            row.helper_phone,
        ]
    if code == READINESS_OPEN:
        return [
            row.jurisdiction.name,
            row.name,
            row.credit_code,
            row.planned_year,
            str(VERDICT_LABELS[status_of(row.hte_ready)]),
            row.helper_name,
            row.helper_phone,
        ]
    if code == READY_NOT_APPLYING:
        return [
            row.jurisdiction.name,
            row.name,
            row.credit_code,
            row.open_round_name,
            row.planned_year,
            row.helper_name,
            row.helper_phone,
        ]
    ent = row.enterprise
    base = [ent.jurisdiction.name, ent.name, ent.credit_code]
    if code in (HTE_EXPIRING, LG_EXPIRING):
        return [
            *base,
            row.get_kind_display(),
            row.number,
            row.granted_on,
            row.expires_on,
            days_left(row.expires_on, today),
            ent.helper_name,
        ]
    return [*base, row.title, row.due_on, (today - row.due_on).days, ent.helper_name]


def with_current_hte(enterprises, today: datetime.date):
    """Attach each enterprise's latest valid HTE certificate (``current_hte``) in one query."""
    enterprises = list(enterprises)
    latest: dict[int, Qualification] = {}
    for q in (
        Qualification.objects.valid_on(today)
        .filter(kind=QualificationKind.HTE, enterprise__in=[e.pk for e in enterprises])
        .order_by("enterprise_id", "granted_on")
    ):
        latest[q.enterprise_id] = q  # the last one granted wins
    for e in enterprises:
        e.current_hte = latest.get(e.pk)
    return enterprises


class _ReportMissingRows:
    """Iterate the report-missing enterprises in chunks, each with its current HTE certificate."""

    def __init__(self, qs: QuerySet, today: datetime.date, chunk: int = 500):
        self.qs, self.today, self.chunk = qs, today, chunk

    def iterator(self, chunk_size: int = 500):
        batch = []
        for e in self.qs.iterator(chunk_size=chunk_size):
            batch.append(e)
            if len(batch) >= self.chunk:
                yield from with_current_hte(batch, self.today)
                batch = []
        if batch:
            yield from with_current_hte(batch, self.today)


def exporter_for(code: str, qs: QuerySet, *, today: datetime.date) -> WatchListExporter:
    rows = _ReportMissingRows(qs, today) if code == REPORT_MISSING else qs
    return WatchListExporter(code, rows, today=today)
