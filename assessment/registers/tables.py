"""The registers' lists on screen (django-tables2); the carrier list's spreadsheet is in exporters.py."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.dates import today

from .models import IncubationCarrier, PolicyCounselor, TrainingEvent

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
    jurisdiction = tables.Column(verbose_name=gettext_lazy("县区"), order_by=("jurisdiction", "name"))
    recognised_on = tables.DateColumn(verbose_name=gettext_lazy("认定日期"), format="Y-m-d")
    revoked_on = tables.Column(verbose_name=gettext_lazy("状态"), empty_values=())

    class Meta:
        model = IncubationCarrier
        fields = ()
        sequence = ("name", "kind", "level", "jurisdiction", "recognised_on", "revoked_on", "actions")
        attrs = TABLE_ATTRS
        empty_text = gettext_lazy("没有符合条件的孵化载体。")
        order_by = ("jurisdiction", "name")

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
    jurisdiction = tables.Column(verbose_name=gettext_lazy("县区"), order_by=("jurisdiction", "-held_on"))
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
    jurisdiction = tables.Column(verbose_name=gettext_lazy("县区"), order_by=("jurisdiction", "name"))
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
        order_by = ("jurisdiction", "name")

    def render_active(self, value):
        if value:
            return format_html('<span class="badge text-bg-success">{}</span>', _("在岗"))
        return format_html('<span class="badge text-bg-secondary">{}</span>', _("不在岗"))

    def render_actions(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("registers:counselor_edit", args=[record.pk]), _("修改")
        )
