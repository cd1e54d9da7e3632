import datetime

import django_tables2 as tables
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.templatetags.money import wan
from anyang_hte.core.workdays import Deadlines

from . import deadlines as limits
from .models import FundingLine, PayoutBatch, Reward
from .permissions import can_review


class _DeadlineTable(tables.Table):
    """A table with a 期限 column: the time limit of the row's open step, judged on the page's day."""

    def __init__(self, *args, deadlines: Deadlines | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._deadlines = deadlines

    @property
    def deadlines(self) -> Deadlines:
        if self._deadlines is None:
            self._deadlines = Deadlines.load()
        return self._deadlines


def deadline_column():
    return tables.Column(verbose_name=_("期限"), empty_values=(), orderable=False)


# A status's badge colour (the same as incentives/_status.html, which pages that show one status use).
BADGE_COLOURS = {"paid": "success", "approved": "primary", "submitted": "warning", "locked": "warning"}
BADGE_COLOURS |= {"returned": "danger", "rejected": "dark", "batched": "info", "cancelled": "light"}


class StatusColumn(tables.Column):
    """The row's status as its badge, rendered here: a TemplateColumn renders a template for every cell
    (with the date columns' templates, a third of the review queue's time at a million enterprises)."""

    def render(self, value, record):
        # record.status, not value: django-tables2 hands a choice field's label as the value, which no
        # colour matched (every status showed grey while the template rendered this column). A badge is
        # made once per model, status and language (translating the label was a fifth of a queue page).
        key = (type(record), record.status, get_language())
        badge = _BADGES.get(key)
        if badge is None:
            badge = _BADGES[key] = format_html(
                '<span class="badge text-bg-{}">{}</span>',
                BADGE_COLOURS.get(record.status, "secondary"),
                record.get_status_display(),
            )
        return badge


_BADGES: dict[tuple, str] = {}  # StatusColumn's badges: a few statuses of a few models in two languages


class DayColumn(tables.Column):
    """A date or a moment as its day, Y-m-d (a moment in the portal's time zone). Not django-tables2's
    DateColumn, which compiles its template again for every cell."""

    def render(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return f"{value:%Y-%m-%d}"


def status_column():
    return StatusColumn(verbose_name=_("状态"), order_by="status")


class WanColumn(tables.Column):
    """Money as officials read it: 万元, two decimals, with the page's total in the footer."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "attrs", {"td": {"class": "money"}, "th": {"class": "money"}, "tf": {"class": "money"}}
        )
        super().__init__(*args, **kwargs)

    def render(self, value):
        return wan(value)


def days_waiting(reward: Reward, today=None) -> int | None:
    """Calendar days a submitted reward has waited for the bureau since it was submitted (else None)."""
    if reward.status != Reward.Status.SUBMITTED or reward.submitted_at is None:
        return None
    today = today or timezone.localdate()
    return (today - timezone.localdate(reward.submitted_at)).days


class RewardTable(_DeadlineTable):
    """The reward list; for a reviewer (``reviewer=``) a tick box on each reward they may approve now, for
    the review queue's bulk approval (the boxes belong to the form ``bulk-approve``)."""

    select = tables.Column(
        verbose_name=_("选择"), accessor="pk", orderable=False, attrs={"th": {"class": "text-center"}}
    )
    enterprise = tables.Column(
        verbose_name=_("企业名称"),
        linkify=("incentives:reward_detail", {"pk": tables.A("pk")}),
        order_by=("enterprise__name",),
    )
    jurisdiction = tables.Column(verbose_name=_("县区"))
    rule = tables.Column(verbose_name=_("奖励事项"), accessor="rule__display_name", order_by=("rule__name",))
    granted_on = tables.Column(verbose_name=_("认定日期"), accessor="qualification__granted_on")
    amount = WanColumn(verbose_name=_("金额（万元）"))
    status = status_column()
    created_at = DayColumn(verbose_name=_("生成日期"))
    submitted_at = DayColumn(verbose_name=_("提交日期"), default="—")
    waiting = tables.Column(
        verbose_name=_("等待天数"),
        accessor="pk",
        order_by=("-submitted_at",),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    deadline = deadline_column()

    class Meta:
        model = Reward
        fields = ()
        sequence = (
            "select",
            "enterprise",
            "jurisdiction",
            "rule",
            "granted_on",
            "amount",
            "status",
            "created_at",
            "submitted_at",
            "waiting",
            "deadline",
        )
        attrs = {"class": "table table-sm table-hover table-striped align-middle ledger-table"}
        empty_text = _("没有符合条件的奖励。")
        template_name = "includes/table_body_rows.html"  # its rows come from body_rows()

    def __init__(self, *args, reviewer=None, **kwargs):
        self.reviewer = reviewer
        if reviewer is None:
            kwargs["exclude"] = (*kwargs.get("exclude", ()), "select")
        super().__init__(*args, **kwargs)

    def body_rows(self):
        """The page's rows as HTML: the cells django-tables2's template would render (the columns'
        render methods, "—" for an empty value), built in one pass instead of its per-cell lookups and
        signature inspection, which made most of the review queue's time at a million enterprises."""
        empty = self.default
        detail = reverse("incentives:reward_detail", args=[0]).replace("/0/", "/{}/")
        cells = {
            "select": self.render_select,
            "enterprise": lambda r: format_html('<a href="{}">{}</a>', detail.format(r.pk), r.enterprise),
            "jurisdiction": lambda r: conditional_escape(self.render_jurisdiction(r.jurisdiction)),
            "rule": lambda r: conditional_escape(r.rule.display_name or empty),
            "granted_on": lambda r: conditional_escape(formats.localize(r.qualification.granted_on)),
            "amount": lambda r: empty if r.amount is None else conditional_escape(wan(r.amount)),
            "status": lambda r: StatusColumn.render(None, r.status, r),
            "created_at": lambda r: DayColumn.render(None, r.created_at),
            "submitted_at": lambda r: (
                empty if r.submitted_at is None else DayColumn.render(None, r.submitted_at)
            ),
            "waiting": lambda r: conditional_escape(self.render_waiting(r)),
            "deadline": lambda r: conditional_escape(self.render_deadline(r)),
        }
        tds = [(cells[column.name], column.attrs["td"].as_html()) for column in self.columns]
        for bound in self.paginated_rows:
            row = "".join(f"<td {attrs}>{cell(bound.record)}</td>" for cell, attrs in tds)
            yield mark_safe(f'<tr class="{bound.get_even_odd_css_class()}">{row}</tr>')  # noqa: S308 (escaped above)

    def render_select(self, record):
        if not can_review(self.reviewer, record)[0]:
            return ""
        return format_html(
            '<input type="checkbox" class="form-check-input" name="rewards" value="{}" form="bulk-approve"'
            ' aria-label="{}" data-testid="select-{}">',
            record.pk,
            _("选择 %(name)s") % {"name": record.enterprise.name},
            record.pk,
        )

    def render_jurisdiction(self, value):
        return value.short_name or value.name

    def render_waiting(self, record):
        days = days_waiting(record)
        return "—" if days is None else days

    def render_deadline(self, record):
        state = limits.reward_state(record, self.deadlines)
        return state.badge() if state else "—"


class LineTable(_DeadlineTable):
    enterprise = tables.Column(
        verbose_name=_("企业名称"),
        accessor="reward__enterprise__name",
        linkify=lambda record: record.reward.get_absolute_url(),
    )
    jurisdiction = tables.Column(verbose_name=_("县区"))
    rule = tables.Column(
        verbose_name=_("奖励事项"), accessor="reward__rule__display_name", order_by=("reward__rule__name",)
    )
    source = tables.Column(verbose_name=_("资金来源"))
    amount = WanColumn(verbose_name=_("金额（万元）"))
    status = status_column()
    batch = tables.Column(verbose_name=_("批次"))
    deadline = deadline_column()

    class Meta:
        model = FundingLine
        fields = ()
        sequence = ("enterprise", "jurisdiction", "rule", "source", "amount", "status", "batch", "deadline")
        attrs = {"class": "table table-sm table-hover table-striped align-middle ledger-table"}
        empty_text = _("没有符合条件的资金明细。")

    def render_jurisdiction(self, value):
        return value.short_name or value.name

    def render_deadline(self, record):
        state = limits.line_state(record, self.deadlines)
        return state.badge() if state else "—"


class BatchTable(tables.Table):
    name = tables.Column(
        verbose_name=_("批次名称"), linkify=("incentives:batch_detail", {"pk": tables.A("pk")})
    )
    source = tables.Column(verbose_name=_("资金来源"))
    jurisdiction = tables.Column(verbose_name=_("县区"), default="—")
    line_count = tables.Column(verbose_name=_("笔数"), attrs={"td": {"class": "text-end"}})
    total = WanColumn(verbose_name=_("合计（万元）"))
    status = status_column()
    created_at = DayColumn(verbose_name=_("创建日期"))

    class Meta:
        model = PayoutBatch
        fields = ()
        sequence = ("name", "source", "jurisdiction", "line_count", "total", "status", "created_at")
        attrs = {"class": "table table-sm table-hover table-striped align-middle ledger-table"}
        empty_text = _("尚无拨付批次。")
