"""The audit log page's filters: date range, person, action, object type, object id and free text."""

import datetime
import json

import django_filters
from django import forms
from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .audit_actions import action_choices
from .dates import start_of
from .filters import StrictFilterSet
from .models import AuditLog

# The apps whose records are audited (the portal's own, not Django's or the packages').
AUDITED_APPS = ("core", "enterprises", "incentives", "applications", "assessment", "registers", "firms")


def object_type_choices() -> list[tuple[str, str]]:
    """``app_label.model`` of every model of the portal's apps, by its verbose name (no query)."""
    choices = [
        (f"{m._meta.app_label}.{m._meta.model_name}", str(m._meta.verbose_name))
        for m in apps.get_models()
        if m._meta.app_label in AUDITED_APPS and not m.__name__.startswith("Historical")  # field history
    ]
    return sorted(choices, key=lambda c: c[1])


class AuditLogFilter(StrictFilterSet):
    # Whole local days as a range of the stored time (not created_at::date, which no index serves): the
    # page's newest-first index (auditlog_created_id) reads only the days asked for.
    date_from = django_filters.DateFilter(
        label=_("起始日期"),
        method="filter_date_from",
        widget=forms.DateInput({"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("截止日期"),
        method="filter_date_to",
        widget=forms.DateInput({"type": "date"}),
    )
    person = django_filters.CharFilter(
        label=_("操作人"),
        method="filter_person",
        widget=forms.TextInput(attrs={"placeholder": _("姓名或用户名；“系统”")}),
    )
    action = django_filters.ChoiceFilter(label=_("事项"), choices=(), empty_label=_("全部事项"))
    object_type = django_filters.ChoiceFilter(
        label=_("对象类型"),
        choices=object_type_choices,
        method="filter_object_type",
        empty_label=_("全部类型"),
    )
    object_id = django_filters.CharFilter(label=_("对象编号"), field_name="object_id")
    q = django_filters.CharFilter(
        label=_("内容包含"),
        method="filter_text",
        widget=forms.TextInput(attrs={"placeholder": _("事项代码或内容中的文字")}),
    )

    class Meta:
        model = AuditLog
        fields = ["date_from", "date_to", "person", "action", "object_type", "object_id", "q"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # In the reader's language, so computed per request.
        self.filters["action"].extra["choices"] = action_choices()
        self.filters["object_type"].extra["choices"] = object_type_choices()

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=start_of(value)) if value else queryset

    def filter_date_to(self, queryset, name, value):
        return (
            queryset.filter(created_at__lt=start_of(value + datetime.timedelta(days=1)))
            if value
            else queryset
        )

    def filter_person(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        cond = Q(user__username__icontains=value) | Q(user__display_name__icontains=value)
        if value in (str(_("系统")), "system"):
            cond |= Q(user__isnull=True)
        return queryset.filter(cond)

    def filter_object_type(self, queryset, name, value):
        app_label, _dot, model = (value or "").partition(".")
        return (
            queryset.filter(content_type__app_label=app_label, content_type__model=model)
            if model
            else queryset
        )

    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        # PostgreSQL's jsonb text shows Chinese as it is; SQLite keeps the JSON text as \\u escapes.
        escaped = json.dumps(value)[1:-1]
        cond = Q(action__icontains=value) | Q(data__icontains=value) | Q(object_id=value)
        if escaped != value:
            cond |= Q(data__icontains=escaped)
        return queryset.filter(cond)
