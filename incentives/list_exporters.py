"""The reward list (and review queue) and the funding lines waiting for a batch, as xlsx or csv.

Each export holds the rows the page shows, filtered and sorted as on the screen (the view hands over
the table's own ordered queryset), then a 合计 row: the count and the exact sum in yuan.
"""

from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.exporters import CellValue, ListExporter
from anyang_hte.core.money import CENT

from .tables import days_waiting


def _day(value):
    return timezone.localdate(value) if value else None


class RewardListExporter(ListExporter):
    def __init__(self, rewards, *, queue: bool = False):
        """``rewards``: the list's scoped, filtered and ordered queryset (``queue``: the review queue)."""
        self.rewards = rewards
        self.filename = _("奖励审核队列") if queue else _("奖励兑现")
        self.title = _("奖励审核队列（待审核）") if queue else _("奖励申报与审核")
        self.headers = [
            _("序号"),
            _("企业名称"),
            _("统一社会信用代码"),
            _("县区"),
            _("奖励事项"),
            _("认定日期"),
            _("金额（元）"),
            _("状态"),
            _("生成日期"),
            _("提交日期"),
            _("等待天数"),
        ]

    def column_widths(self) -> list[float]:
        return [6, 34, 22, 14, 26, 12, 16, 10, 12, 12, 10]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        total, count, today = Decimal("0.00"), 0, timezone.localdate()
        for reward in self.rewards.iterator(chunk_size=2000):
            count += 1
            total += reward.amount
            yield [
                count,
                reward.enterprise.name,
                reward.enterprise.credit_code,
                reward.jurisdiction.name,
                reward.rule.display_name,
                reward.qualification.granted_on,
                reward.amount.quantize(CENT),
                reward.get_status_display(),
                _day(reward.created_at),
                _day(reward.submitted_at),
                days_waiting(reward, today),
            ]
        yield [_("合计（%(n)d 笔）") % {"n": count}, None, None, None, None, None, total.quantize(CENT)]


class LineListExporter(ListExporter):
    def __init__(self, lines):
        """``lines``: the approved, unbatched lines this office pays, filtered and ordered as on screen."""
        self.lines = lines
        self.filename = _("待拨付资金")
        self.title = _("已批准、待编入批次的资金")
        self.headers = [
            _("序号"),
            _("企业名称"),
            _("统一社会信用代码"),
            _("县区"),
            _("奖励事项"),
            _("资金来源"),
            _("批准日期"),
            _("金额（元）"),
            _("状态"),
            _("批次"),
        ]

    def column_widths(self) -> list[float]:
        return [6, 34, 22, 14, 26, 12, 12, 16, 10, 20]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        total, count = Decimal("0.00"), 0
        for line in self.lines.iterator(chunk_size=2000):
            count += 1
            total += line.amount
            yield [
                count,
                line.reward.enterprise.name,
                line.reward.enterprise.credit_code,
                line.jurisdiction.name,
                line.reward.rule.display_name,
                line.get_source_display(),
                _day(line.reward.approved_at),
                line.amount.quantize(CENT),
                line.get_status_display(),
                line.batch.name if line.batch else "",
            ]
        yield [_("合计（%(n)d 笔）") % {"n": count}, None, None, None, None, None, None, total.quantize(CENT)]
