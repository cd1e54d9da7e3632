"""A drill-down (the records behind one indicator number) in a spreadsheet: the page's columns in its order,
every row (not one page), and a totals row. Money in 万元 with two decimals as on the page; the total is
summed in yuan first, so it is exact before it is rounded."""

from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

from anyang_hte.core.dates import today
from anyang_hte.core.exporters import CellValue, ListExporter
from anyang_hte.core.money import wan_rounded
from enterprises.models import Qualification

from . import indicators


def _wan(yuan) -> Decimal | None:
    return None if yuan is None else wan_rounded(yuan)


class DrilldownExporter(ListExporter):
    def __init__(
        self,
        *,
        kind: str,
        queryset,
        scope_name: str,
        indicator,
        year: int,
        with_county: bool,
        certificate_kind: str | None = None,
        period_end=None,
    ):
        self.kind, self.queryset, self.with_county = kind, queryset, with_county
        self.certificate_kind, self.period_end = certificate_kind, period_end
        self.filename = _("%(scope)s_%(indicator)s_%(year)d") % {
            "scope": scope_name,
            "indicator": indicator.label,
            "year": year,
        }
        self.title = _("%(scope)s · %(indicator)s（%(year)d年，导出于%(day)s）") % {
            "scope": scope_name,
            "indicator": indicator.label,
            "year": year,
            "day": today().isoformat(),
        }
        self.headers = [_("序号"), *self._headers()]

    def _headers(self) -> list[str]:
        county = [_("县区")]
        if self.kind == "enterprise":
            certificate = (
                [_("证书/登记编号"), _("认定/登记日期"), _("有效期至")] if self.certificate_kind else []
            )
            return [
                *(county if self.with_county else []),
                _("企业名称"),
                _("统一社会信用代码"),
                _("技术领域"),
                _("培育阶段"),
                *certificate,
                _("挂钩帮扶责任人"),
            ]
        if self.kind == "milestone":
            return [
                *county,
                _("企业名称"),
                _("事项"),
                _("计划完成日期"),
                _("实际完成日期"),
                _("挂钩帮扶责任人"),
            ]
        if self.kind == "reward":
            return [*county, _("企业名称"), _("奖励事项"), _("认定日期"), _("奖励金额（万元）"), _("状态")]
        if self.kind == "carrier":
            return [*county, _("名称"), _("类型"), _("级别"), _("认定日期")]
        if self.kind == "figures":
            return [
                *county,
                _("高新技术产业增加值（万元）"),
                _("规模以上工业增加值（万元）"),
                _("占比（%）"),
                _("数据来源"),
                _("录入人"),
            ]
        return [*county, _("日期"), _("主题")]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        number, money = 0, Decimal(0)
        for number, obj in enumerate(self._objects(), start=1):
            row = self._row(obj)
            if self.kind == "reward":
                money += obj.amount
            yield [number, *row]
        total = [_("合计：%(n)d条") % {"n": number}] + [None] * (len(self.headers) - 1)
        if self.kind == "reward":
            total[self.headers.index(_("奖励金额（万元）"))] = wan_rounded(money)
        yield total

    def _objects(self):
        if self.kind != "enterprise" or not self.certificate_kind:
            yield from self.queryset.iterator(chunk_size=500)
            return
        enterprises = list(self.queryset)
        latest = {}
        for q in Qualification.objects.filter(
            enterprise__in=[e.pk for e in enterprises],
            kind=self.certificate_kind,
            granted_on__lte=self.period_end,
        ).order_by("enterprise_id", "granted_on", "pk"):
            latest[q.enterprise_id] = q
        for e in enterprises:
            e.certificate = latest.get(e.pk)
            yield e

    def _row(self, o) -> list[CellValue]:
        if self.kind == "enterprise":
            certificate = []
            if self.certificate_kind:
                c = o.certificate
                certificate = [c.number, c.granted_on, c.expires_on] if c else [None, None, None]
            return [
                *([o.jurisdiction.name] if self.with_county else []),
                o.name,
                o.credit_code,
                o.get_tech_field_display(),
                o.get_stage_display(),
                *certificate,
                o.helper_name,
            ]
        if self.kind == "milestone":
            e = o.enterprise
            return [e.jurisdiction.name, e.name, o.title, o.due_on, o.done_on, e.helper_name]
        if self.kind == "reward":
            granted = o.qualification.granted_on if o.qualification_id else None
            return [
                o.jurisdiction.name,
                o.enterprise.name,
                o.rule.display_name,
                granted,
                _wan(o.amount),
                o.get_status_display(),
            ]
        if self.kind == "carrier":
            return [o.jurisdiction.name, o.name, o.get_kind_display(), o.get_level_display(), o.recognised_on]
        if self.kind == "figures":
            return [
                o.jurisdiction.name if o.jurisdiction_id else _("全市"),
                _wan(o.hightech_value_added),
                _wan(o.industrial_value_added),
                indicators.Parts(o.hightech_value_added, o.industrial_value_added).value,
                o.source,
                str(o.entered_by) if o.entered_by_id else "",
            ]
        return [o.jurisdiction.name, o.held_on, o.topic]
