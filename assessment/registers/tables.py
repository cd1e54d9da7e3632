"""The registers' lists on screen (django-tables2); their spreadsheets are in exporters.py."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.dates import today
from anyang_hte.core.money import format_wan

from .little_giant import FAIL, MISSING, PASS
from .models import IncubationCarrier, LittleGiantReserveEntry, PolicyCounselor, TrainingEvent

TABLE_ATTRS = {"class": "table table-sm table-hover table-striped align-middle ledger-table mb-0"}


def _jurisdiction(value) -> str:
    return value.short_name or value.name


class _EditableTable(tables.Table):
    """A table whose last column links to the row's edit pages when the viewer may edit."""

    actions = tables.Column(verbose_name="", empty_values=(), orderable=False)

    def __init__(self, *args, can_edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_edit = can_edit
        if not can_edit:
            self.columns.hide("actions")

    def render_jurisdiction(self, value):
        return _jurisdiction(value)


class CarrierTable(_EditableTable):
    name = tables.Column(verbose_name=gettext_lazy("载体名称"))
    kind = tables.Column(verbose_name=gettext_lazy("类型"))
    level = tables.Column(verbose_name=gettext_lazy("级别"))
    jurisdiction = tables.Column(verbose_name=gettext_lazy("县区"), order_by=("jurisdiction_id", "name"))
    recognised_on = tables.DateColumn(verbose_name=gettext_lazy("认定日期"), format="Y-m-d")
    revoked_on = tables.Column(verbose_name=gettext_lazy("状态"), empty_values=())

    class Meta:
        model = IncubationCarrier
        fields = ()
        sequence = ("name", "kind", "level", "jurisdiction", "recognised_on", "revoked_on", "actions")
        attrs = TABLE_ATTRS
        empty_text = gettext_lazy("没有符合条件的孵化载体。")
        order_by = ("jurisdiction_id", "name")

    def render_revoked_on(self, value):
        if value and value <= today():
            return format_html(
                '<span class="badge text-bg-secondary">{}</span>',
                _("%(day)s撤销") % {"day": value.isoformat()},
            )
        return format_html('<span class="badge text-bg-success">{}</span>', _("有效"))

    def render_actions(self, record):
        edit = format_html(
            '<a href="{}">{}</a>', reverse("registers:carrier_edit", args=[record.pk]), _("修改")
        )
        if record.revoked_on:
            return edit
        return format_html(
            '{} · <a href="{}">{}</a>', edit, reverse("registers:carrier_revoke", args=[record.pk]), _("撤销")
        )


class TrainingTable(_EditableTable):
    held_on = tables.DateColumn(
        verbose_name=gettext_lazy("日期"),
        format="Y-m-d",
        linkify=("registers:training_detail", {"pk": tables.A("pk")}),
    )
    jurisdiction = tables.Column(verbose_name=gettext_lazy("县区"), order_by=("jurisdiction_id", "-held_on"))
    topic = tables.Column(verbose_name=gettext_lazy("主题"), attrs={"td": {"class": "text-wrap"}})
    attendee_count = tables.Column(verbose_name=gettext_lazy("参训企业"), attrs={"td": {"class": "text-end"}})

    class Meta:
        model = TrainingEvent
        fields = ()
        sequence = ("held_on", "jurisdiction", "topic", "attendee_count", "actions")
        attrs = TABLE_ATTRS
        empty_text = gettext_lazy("没有符合条件的培训活动。")
        order_by = ("-held_on",)

    def render_actions(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("registers:training_edit", args=[record.pk]), _("修改")
        )


class CounselorTable(_EditableTable):
    name = tables.Column(
        verbose_name=gettext_lazy("姓名"), linkify=("registers:counselor_detail", {"pk": tables.A("pk")})
    )
    unit = tables.Column(verbose_name=gettext_lazy("单位"))
    phone = tables.Column(verbose_name=gettext_lazy("电话"))
    jurisdiction = tables.Column(verbose_name=gettext_lazy("县区"), order_by=("jurisdiction_id", "name"))
    enterprise_count = tables.Column(
        verbose_name=gettext_lazy("辅导企业"), attrs={"td": {"class": "text-end"}}
    )
    active = tables.Column(verbose_name=gettext_lazy("在岗"))

    class Meta:
        model = PolicyCounselor
        fields = ()
        sequence = ("name", "unit", "phone", "jurisdiction", "enterprise_count", "active", "actions")
        attrs = TABLE_ATTRS
        empty_text = gettext_lazy("没有符合条件的政策辅导员。")
        order_by = ("jurisdiction_id", "name")

    def render_active(self, value):
        if value:
            return format_html('<span class="badge text-bg-success">{}</span>', _("在岗"))
        return format_html('<span class="badge text-bg-secondary">{}</span>', _("不在岗"))

    def render_actions(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("registers:counselor_edit", args=[record.pk]), _("修改")
        )


# --- the Little Giant reserve ------------------------------------------------------------------

MARKS = {
    PASS: ("bi-check-circle-fill text-success", gettext_lazy("符合")),
    FAIL: ("bi-x-circle-fill text-danger", gettext_lazy("不符合")),
    MISSING: ("bi-question-circle-fill text-warning", gettext_lazy("缺少数据")),
}
STATUS_BADGES = {
    LittleGiantReserveEntry.Status.PROPOSED: "text-bg-warning",
    LittleGiantReserveEntry.Status.CONFIRMED: "text-bg-success",
    LittleGiantReserveEntry.Status.DECLINED: "text-bg-dark",
    LittleGiantReserveEntry.Status.WITHDRAWN: "text-bg-light border",
    LittleGiantReserveEntry.Status.REMOVED: "text-bg-secondary",
}


def mark(state: str, text) -> str:
    """A condition's figure with its verdict: a coloured icon (with the verdict as its title) and the text."""
    icon, label = MARKS[state]
    return format_html('<i class="bi {}" title="{}" data-state="{}"></i> {}', icon, label, state, text)


def status_badge(status: str | None) -> str:
    if not status:
        return format_html('<span class="badge text-bg-info">{}</span>', _("符合条件，未推荐"))
    return format_html(
        '<span class="badge {}" data-status="{}">{}</span>',
        STATUS_BADGES[status],
        status,
        LittleGiantReserveEntry.Status(status).label,
    )


class LittleGiantReserveTable(tables.Table):
    """Candidates and entries of one year (``selectors.lg_reserve_list`` rows), each condition's figure."""

    name = tables.Column(verbose_name=gettext_lazy("企业"), accessor="enterprise", empty_values=())
    jurisdiction = tables.Column(verbose_name=gettext_lazy("县区"), accessor="enterprise", empty_values=())
    tech_sme = tables.Column(verbose_name=gettext_lazy("科技型中小企业登记"), empty_values=())
    field = tables.Column(verbose_name=gettext_lazy("技术领域"), empty_values=())
    rd_share = tables.Column(
        verbose_name=gettext_lazy("上年研发费用/营业收入（万元）"),
        empty_values=(),
        attrs={"td": {"class": "text-end"}},
    )
    ip = tables.Column(verbose_name=gettext_lazy("上年I类/II类知识产权"), empty_values=())
    status = tables.Column(verbose_name=gettext_lazy("备案状态"), accessor="entry_status", empty_values=())
    actions = tables.Column(verbose_name="", empty_values=())

    class Meta:
        orderable = False
        attrs = TABLE_ATTRS
        empty_text = gettext_lazy("没有符合条件的企业，也没有推荐记录。")
        row_attrs = {"data-testid": "reserve-row", "data-enterprise": lambda record: record.enterprise.pk}

    def __init__(self, *args, year: int, can_propose: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.year, self.can_propose = year, can_propose
        previous = year - 1
        # The table's own copies of the columns: the headers name the figures' year.
        self.columns["rd_share"].column.verbose_name = _("%(y)d年研发费用/营业收入（万元）") % {"y": previous}
        self.columns["ip"].column.verbose_name = _("%(y)d年I类/II类知识产权") % {"y": previous}

    def render_name(self, record):
        e = record.enterprise
        return format_html(
            '<a href="{}">{}</a><div class="small text-muted font-monospace">{}</div>',
            reverse("enterprises:detail", args=[e.pk]),
            e.name,
            e.credit_code,
        )

    def render_jurisdiction(self, record):
        return _jurisdiction(record.enterprise.jurisdiction)

    def render_tech_sme(self, record):
        if record.tech_sme_number is None:
            return mark(FAIL, _("无有效登记"))
        return mark(PASS, record.tech_sme_number or _("已登记"))

    def render_field(self, record):
        return mark(record.field, record.field_label or _("未填写"))

    def render_rd_share(self, record):
        if record.rd_share == MISSING:
            return mark(MISSING, _("缺少数据"))
        pct = record.rd_share_percent
        return mark(
            record.rd_share,
            format_html(
                '<strong>{}</strong><div class="small text-muted">{} / {}</div>',
                f"{pct}%" if pct is not None else "—",
                format_wan(record.rd),
                format_wan(record.sales),
            ),
        )

    def render_ip(self, record):
        if record.ip == MISSING:
            return mark(MISSING, _("缺少数据"))
        return mark(record.ip, f"{record.ip_class1 or 0} / {record.ip_class2 or 0}")

    def render_status(self, record):
        badge = status_badge(record.entry_status)
        if record.entry_id and record.entry_was_candidate is False:
            return format_html(
                '{} <span class="badge text-bg-danger" title="{}">{}</span>',
                badge,
                _("推荐时不符合条件，县区已写明理由"),
                _("例外推荐"),
            )
        return badge

    def render_actions(self, record):
        if record.entry_id:
            label = _("办理") if record.entry_status == LittleGiantReserveEntry.Status.PROPOSED else _("查看")
            return format_html(
                '<a href="{}">{}</a>', reverse("registers:lg_reserve_entry", args=[record.entry_id]), label
            )
        if self.can_propose:
            return format_html(
                '<a class="btn btn-sm btn-outline-primary py-0" href="{}">{}</a>',
                reverse("registers:lg_reserve_propose", args=[record.enterprise.pk]),
                _("推荐"),
            )
        return ""
