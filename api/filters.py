"""The API's filters: the same fields the pages filter on (django-filter), by natural keys."""

import django_filters
from django.utils.translation import gettext_lazy as _

from applications.models import RoundEntry
from assessment.models import IndicatorSnapshot
from enterprises.models import AnnualFigures, Enterprise, Qualification, QualificationKind, Stage, TechField
from incentives.models import Reward


class EnterpriseFilter(django_filters.FilterSet):
    jurisdiction = django_filters.CharFilter(field_name="jurisdiction__code", help_text=_("县区代码。"))
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    tech_field = django_filters.ChoiceFilter(choices=TechField.choices)
    hte_ready = django_filters.BooleanFilter(help_text=_("本年度是否符合高企认定条件。"))
    planned_year = django_filters.NumberFilter()
    name = django_filters.CharFilter(lookup_expr="contains", help_text=_("名称包含。"))

    class Meta:
        model = Enterprise
        fields = ["jurisdiction", "stage", "tech_field", "hte_ready", "planned_year", "name"]


class FiguresFilter(django_filters.FilterSet):
    credit_code = django_filters.CharFilter(field_name="enterprise__credit_code")
    year = django_filters.NumberFilter()
    jurisdiction = django_filters.CharFilter(field_name="enterprise__jurisdiction__code")

    class Meta:
        model = AnnualFigures
        fields = ["credit_code", "year", "jurisdiction"]


class QualificationFilter(django_filters.FilterSet):
    credit_code = django_filters.CharFilter(field_name="enterprise__credit_code")
    kind = django_filters.ChoiceFilter(choices=QualificationKind.choices)
    granted_from = django_filters.DateFilter(field_name="granted_on", lookup_expr="gte")
    granted_to = django_filters.DateFilter(field_name="granted_on", lookup_expr="lte")
    jurisdiction = django_filters.CharFilter(field_name="enterprise__jurisdiction__code")

    class Meta:
        model = Qualification
        fields = ["credit_code", "kind", "granted_from", "granted_to", "jurisdiction"]


class RewardFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Reward.Status.choices)
    rule = django_filters.CharFilter(field_name="rule__code")
    jurisdiction = django_filters.CharFilter(field_name="jurisdiction__code")
    credit_code = django_filters.CharFilter(field_name="enterprise__credit_code")
    approved_from = django_filters.DateFilter(field_name="approved_at", lookup_expr="date__gte")
    approved_to = django_filters.DateFilter(field_name="approved_at", lookup_expr="date__lte")

    class Meta:
        model = Reward
        fields = ["status", "rule", "jurisdiction", "credit_code", "approved_from", "approved_to"]


class IndicatorFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    scope = django_filters.CharFilter(help_text=_("县区代码，或 city（全市）。"))
    indicator = django_filters.CharFilter()

    class Meta:
        model = IndicatorSnapshot
        fields = ["year", "scope", "indicator"]


class RoundEntryFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="round__year")
    status = django_filters.ChoiceFilter(choices=RoundEntry.Status.choices)
    jurisdiction = django_filters.CharFilter(field_name="enterprise__jurisdiction__code")
    credit_code = django_filters.CharFilter(field_name="enterprise__credit_code")

    class Meta:
        model = RoundEntry
        fields = ["year", "status", "jurisdiction", "credit_code"]
