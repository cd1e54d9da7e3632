"""The carrier list and the Little Giant reserve in a spreadsheet (xlsx or csv), as filtered on the page."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from anyang_hte.core.dates import today
from anyang_hte.core.exporters import CellValue, ListExporter

from .models import LittleGiantReserveEntry


class CarrierExporter(ListExporter):
    """The carrier list as filtered on the page."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.filename = _("孵化载体")
        self.title = _("安阳市孵化载体登记表（%(day)s）") % {"day": today().isoformat()}
        self.headers = [
            _("序号"),
            _("载体名称"),
            _("类型"),
            _("级别"),
            _("县区"),
            _("认定日期"),
            _("撤销日期"),
        ]

    def column_widths(self) -> list[float]:
        return [6, 40, 16, 10, 24, 12, 12]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        rows = self.queryset.select_related("jurisdiction").order_by("jurisdiction_id", "name", "pk")
        for number, carrier in enumerate(rows.iterator(chunk_size=500), start=1):
            yield [
                number,
                carrier.name,
                carrier.get_kind_display(),
                carrier.get_level_display(),
                carrier.jurisdiction.name,
                carrier.recognised_on,
                carrier.revoked_on,
            ]


class LittleGiantReserveExporter(ListExporter):
    """The reserve list of a year as filtered on the page: each condition's figure, the verdict, the entry.

    Money in exact yuan; the R&D share in percent with two decimals rounded down, as on the page.
    """

    def __init__(self, reserve):
        self.reserve = reserve
        year, previous = reserve.year, reserve.year - 1
        self.filename = _("科技小巨人备案%(year)d") % {"year": year}
        self.title = _("安阳市%(year)d年科技小巨人备案候选与推荐名单（%(day)s）") % {
            "year": year,
            "day": today().isoformat(),
        }
        self.headers = [
            _("序号"),
            _("企业名称"),
            _("统一社会信用代码"),
            _("县区"),
            _("科技型中小企业登记编号"),
            _("技术领域"),
            _("%(y)d年营业收入（元）") % {"y": previous},
            _("%(y)d年研发费用（元）") % {"y": previous},
            _("研发费用占营业收入比例（%）"),
            _("%(y)d年I类知识产权") % {"y": previous},
            _("%(y)d年II类知识产权") % {"y": previous},
            _("符合备案条件"),
            _("不符合的条件"),
            _("备案状态"),
            _("推荐说明"),
            _("不符合条件的推荐理由"),
        ]

    def column_widths(self) -> list[float]:
        return [6, 36, 22, 14, 22, 16, 16, 16, 12, 10, 10, 10, 40, 14, 30, 30]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        statuses = dict(LittleGiantReserveEntry.Status.choices)
        for number, row in enumerate(self.reserve.rows, start=1):
            e = row.enterprise
            yield [
                number,
                e.name,
                e.credit_code,
                e.jurisdiction.name,
                row.tech_sme_number if row.tech_sme_number is not None else _("无有效登记"),
                row.field_label,
                row.sales,
                row.rd,
                row.rd_share_percent,
                row.ip_class1,
                row.ip_class2,
                _("是") if row.is_candidate else _("否"),
                "；".join(row.failures),
                str(statuses[row.entry_status]) if row.entry_status else _("符合条件，未推荐"),
                row.entry_note,
                row.entry_reason,
            ]


def _totals_row(width: int, label: str, **cells) -> list[CellValue]:
    row: list[CellValue] = [label] + [None] * (width - 1)
    for index, value in cells.items():
        row[int(index.lstrip("c"))] = value
    return row


class TrainingExporter(ListExporter):
    """The training events as filtered and sorted on the page, with the number of events and attendances."""

    def __init__(self, events):
        self.events = events
        self.filename = _("政策培训")
        self.title = _("安阳市高新技术企业政策培训登记表（%(day)s）") % {"day": today().isoformat()}
        self.headers = [_("序号"), _("日期"), _("县区"), _("主题"), _("参训企业（家）")]

    def column_widths(self) -> list[float]:
        return [8, 12, 24, 48, 14]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        count = attendees = 0
        for count, event in enumerate(self.events, start=1):
            attendees += event.attendee_count
            yield [count, event.held_on, event.jurisdiction.name, event.topic, event.attendee_count]
        yield _totals_row(5, _("合计：%(n)d场") % {"n": count}, c4=attendees)


class CounselorExporter(ListExporter):
    """The policy counselors as filtered and sorted on the page, with head counts and firms counselled."""

    def __init__(self, counselors):
        self.counselors = counselors
        self.filename = _("政策辅导员")
        self.title = _("安阳市高新技术企业政策辅导员名册（%(day)s）") % {"day": today().isoformat()}
        self.headers = [_("序号"), _("姓名"), _("单位"), _("电话"), _("县区"), _("辅导企业（家）"), _("在岗")]

    def column_widths(self) -> list[float]:
        return [8, 12, 32, 16, 24, 14, 8]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        count = active = firms = 0
        for count, c in enumerate(self.counselors, start=1):
            active += c.active
            firms += c.enterprise_count
            yield [
                count,
                c.name,
                c.unit,
                c.phone,
                c.jurisdiction.name,
                c.enterprise_count,
                _("在岗") if c.active else _("不在岗"),
            ]
        label = _("合计：%(n)d人，在岗%(active)d人") % {"n": count, "active": active}
        yield _totals_row(7, label, c5=firms)


class PlanTaskExporter(ListExporter):
    """A quarter's reports of the plan's tasks, unit by unit as the page lists them, and what is missing."""

    def __init__(self, status, tasks):
        self.status, self.tasks = status, tasks
        period = {"year": status.year, "q": status.quarter}
        self.filename = _("行动计划任务进展%(year)d年第%(q)d季度") % period
        self.title = _("安阳市高新技术企业培育行动计划任务进展（%(year)d年第%(q)d季度）") % period
        self.headers = [
            _("任务"),
            _("类别"),
            _("任务内容"),
            _("责任单位"),
            _("报送情况"),
            _("进展情况"),
            _("报送人"),
            _("报送时间"),
        ]

    def column_widths(self) -> list[float]:
        return [6, 10, 48, 36, 10, 60, 16, 18]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        total = reported = 0
        for t in self.tasks:
            for u in t.units:
                total += 1
                report = u.report
                reported += report is not None
                yield [
                    t.task.number,
                    t.task.group,
                    t.task.summary,
                    u.unit.label,
                    _("已报送") if report else _("未报送"),
                    report.progress if report else "",
                    str(report.reported_by) if report else "",
                    report.reported_at if report else None,
                ]
        label = _("合计：%(n)d个责任单位，已报送%(done)d个，未报送%(missing)d个") % {
            "n": total,
            "done": reported,
            "missing": total - reported,
        }
        yield _totals_row(8, label)
