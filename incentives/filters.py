import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.filters import StrictFilterSet
from anyang_hte.core.forms import DATE_INPUT
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.workdays import Deadlines

from . import deadlines as limits
from .funding import paying_office
from .models import FundingLine, FundingSource, Reward, RewardRule


class _RuleField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.policy_document}）"


class RuleFilter(django_filters.ModelChoiceFilter):
    """A reward rule to filter by, named in the page's language (seeded rules; see ``display_name``)."""

    field_class = _RuleField


class _Search(StrictFilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("企业名称或信用代码")}),
    )

    def __init__(self, *args, user, deadlines: Deadlines | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._deadlines = deadlines
        if user.is_jurisdiction_bound and "jurisdiction" in self.filters:
            del self.filters["jurisdiction"]

    @property
    def deadlines(self) -> Deadlines:
        """The calendar and time limits the 超期 filter judges by (the page's own, when it passed one)."""
        if self._deadlines is None:
            self._deadlines = Deadlines.load()
        return self._deadlines

    def filter_search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        prefix = "reward__" if queryset.model is FundingLine else ""
        return queryset.filter(
            Q(**{f"{prefix}enterprise__name__icontains": value})
            | Q(**{f"{prefix}enterprise__credit_code__startswith": value.upper()})
        )


class RewardFilter(_Search):
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=Reward.Status.choices, empty_label=_("全部状态")
    )
    rule = RuleFilter(label=_("奖励事项"), queryset=RewardRule.objects.all(), empty_label=_("全部事项"))
    jurisdiction = django_filters.ModelChoiceFilter(
        label=_("县区"), queryset=Jurisdiction.objects.all(), empty_label=_("全部县区")
    )
    year = django_filters.NumberFilter(
        label=_("认定年度"), field_name="qualification__granted_on", lookup_expr="year"
    )
    overdue = django_filters.ChoiceFilter(
        label=_("超期"),
        choices=[
            (limits.OVERDUE_ANY, _("只看超期")),
            ("submit", _("申报超期（县区）")),
            ("review", _("审核超期（市科技局）")),
            ("payment", _("拨付超期（财政）")),
        ],
        empty_label=_("不限期限"),
        method="filter_overdue",
    )

    class Meta:
        model = Reward
        fields = ["q", "status", "rule", "jurisdiction", "year", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return limits.overdue_rewards(queryset, self.deadlines, limits.OVERDUE_STEPS[value])


class LineFilter(_Search):
    rule = RuleFilter(
        label=_("奖励事项"),
        field_name="reward__rule",
        queryset=RewardRule.objects.all(),
        empty_label=_("全部事项"),
    )
    jurisdiction = django_filters.ModelChoiceFilter(
        label=_("县区"), queryset=Jurisdiction.objects.all(), empty_label=_("全部县区")
    )
    source = django_filters.ChoiceFilter(
        label=_("资金来源"), choices=FundingSource.choices, empty_label=_("全部")
    )
    approved_from = django_filters.DateFilter(
        label=_("批准日期起"),
        field_name="reward__approved_at",
        lookup_expr="date__gte",
        widget=DATE_INPUT,
    )
    approved_to = django_filters.DateFilter(
        label=_("批准日期止"),
        field_name="reward__approved_at",
        lookup_expr="date__lte",
        widget=DATE_INPUT,
    )

    overdue = django_filters.ChoiceFilter(
        label=_("超期"),
        choices=[("1", _("只看超期"))],
        empty_label=_("不限期限"),
        method="filter_overdue",
    )

    class Meta:
        model = FundingLine
        fields = ["q", "rule", "jurisdiction", "source", "approved_from", "approved_to", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            reward__approved_at__date__lte=limits.payment_overdue_approved_to(self.deadlines)
        )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        office = paying_office(user)
        if office is not None:
            # A finance office pays one source: the city's, or its own county's. Offer only that one.
            label = (
                FundingSource(office.source).label
                if office.source == FundingSource.CITY
                else _("%(county)s财政") % {"county": user.jurisdiction.name}
            )
            self.filters["source"].extra["choices"] = [(office.source, label)]
