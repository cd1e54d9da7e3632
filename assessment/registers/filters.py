"""The registers' list filters; a county user is not offered other jurisdictions."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.dates import today
from anyang_hte.core.filters import StrictFilterSet
from anyang_hte.core.models import Jurisdiction
from enterprises.models import Enterprise, TechField

from .models import IncubationCarrier, LittleGiantReserveEntry, PolicyCounselor, TrainingEvent
from .selectors import LG_NOT_PROPOSED, in_force_q, reporting_years

CARRIER_STATUS = [("in_force", _("有效")), ("revoked", _("已撤销"))]
ACTIVE_CHOICES = [("yes", _("在岗")), ("no", _("不在岗"))]


class _ScopedFilterSet(StrictFilterSet):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_jurisdiction_bound:
            # A county sees one jurisdiction; offering others would only invite empty results.
            del self.filters["jurisdiction"]


def _jurisdiction_filter():
    return django_filters.ModelChoiceFilter(
        label=_("县区"), queryset=Jurisdiction.objects.all(), empty_label=_("全部县区")
    )


def _year_filter(field_name: str, label):
    return django_filters.NumberFilter(
        label=label,
        field_name=field_name,
        lookup_expr="year",
        widget=forms.NumberInput(attrs={"placeholder": _("如 2026")}),
    )


class CarrierFilter(_ScopedFilterSet):
    jurisdiction = _jurisdiction_filter()
    kind = django_filters.ChoiceFilter(
        label=_("类型"), choices=IncubationCarrier.Kind.choices, empty_label=_("全部类型")
    )
    level = django_filters.ChoiceFilter(
        label=_("级别"), choices=IncubationCarrier.Level.choices, empty_label=_("全部级别")
    )
    year = _year_filter("recognised_on", _("认定年度"))
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=CARRIER_STATUS, method="filter_status", empty_label=_("不限")
    )

    class Meta:
        model = IncubationCarrier
        fields = ["jurisdiction", "kind", "level"]

    def filter_status(self, queryset, name, value):
        on = today()
        if value == "in_force":
            return queryset.filter(in_force_q(on))
        if value == "revoked":
            return queryset.filter(revoked_on__lte=on)
        return queryset


class TrainingFilter(_ScopedFilterSet):
    jurisdiction = _jurisdiction_filter()
    year = _year_filter("held_on", _("年度"))
    topic = django_filters.CharFilter(label=_("主题"), lookup_expr="icontains")

    class Meta:
        model = TrainingEvent
        fields = ["jurisdiction"]


class CounselorFilter(_ScopedFilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_search")
    jurisdiction = _jurisdiction_filter()
    active = django_filters.ChoiceFilter(
        label=_("在岗"), choices=ACTIVE_CHOICES, method="filter_active", empty_label=_("不限")
    )

    class Meta:
        model = PolicyCounselor
        fields = ["jurisdiction"]

    def filter_search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(unit__icontains=value) | Q(phone__startswith=value)
        )

    def filter_active(self, queryset, name, value):
        if value in ("yes", "no"):
            return queryset.filter(active=value == "yes")
        return queryset


def _reserve_years():
    return [(str(y), _("%(y)d年") % {"y": y}) for y in reporting_years()]


class LittleGiantReserveFilter(_ScopedFilterSet):
    """The reserve list's year, county, field and status, over the enterprises the user sees.

    The year chooses which year's rule and entries the list shows and the status is applied to the
    evaluated rows (``selectors.lg_reserve_list``): both leave the queryset alone here.
    """

    year = django_filters.ChoiceFilter(label=_("备案年度"), choices=(), method="keep", empty_label=None)
    jurisdiction = _jurisdiction_filter()
    tech_field = django_filters.ChoiceFilter(
        label=_("技术领域"), choices=TechField.choices, empty_label=_("全部领域")
    )
    status = django_filters.ChoiceFilter(
        label=_("备案状态"),
        choices=[(LG_NOT_PROPOSED, _("符合条件，未推荐")), *LittleGiantReserveEntry.Status.choices],
        method="keep",
        empty_label=_("不限"),
    )

    class Meta:
        model = Enterprise
        fields = ["year", "jurisdiction", "tech_field", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = _reserve_years()  # up to this year, on every request

    def keep(self, queryset, name, value):
        return queryset

    def chosen(self, name: str) -> str:
        """The value of the filter ``name`` if it is valid, else ""."""
        if not self.is_bound:
            return ""
        self.form.is_valid()
        return self.form.cleaned_data.get(name) or ""
