"""The registers' lists: on screen (django-tables2) and in a spreadsheet (ListExporter)."""

from collections.abc import Iterator

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.exporters import CellValue, ListExporter

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
        if value and value <= timezone.localdate():
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


class CarrierExporter(ListExporter):
    """The carrier list as filtered on the page."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.filename = _("孵化载体")
        self.title = _("安阳市孵化载体登记表（%(day)s）") % {"day": timezone.localdate().isoformat()}
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
        rows = self.queryset.select_related("jurisdiction").order_by("jurisdiction", "name", "pk")
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
