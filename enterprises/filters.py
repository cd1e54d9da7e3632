import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.filters import StrictFilterSet
from anyang_hte.core.lookups import icontains
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.workdays import Deadlines

from .deadlines import overdue_submissions
from .models import Enterprise, FirmSubmission, Stage, SubmissionKind, TechField
from .readiness.common import FAIL, MISSING, PASS, VERDICT_LABELS

# the URL's words for the three verdicts, labelled as the badge labels them
READINESS_CHOICES = [
    ("ready", VERDICT_LABELS[PASS]),
    ("not_ready", VERDICT_LABELS[FAIL]),
    ("unknown", VERDICT_LABELS[MISSING]),
]
EXPIRY_CHOICES = [("3", _("3个月内")), ("6", _("6个月内")), ("12", _("12个月内")), ("24", _("24个月内"))]


class EnterpriseFilter(StrictFilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("名称、信用代码或拼音首字母")}),
    )
    jurisdiction = django_filters.ModelChoiceFilter(
        label=_("县区"), queryset=Jurisdiction.objects.all(), empty_label=_("全部县区")
    )
    stage = django_filters.ChoiceFilter(label=_("培育阶段"), choices=Stage.choices, empty_label=_("全部阶段"))
    tech_field = django_filters.ChoiceFilter(
        label=_("技术领域"), choices=TechField.choices, empty_label=_("全部领域")
    )
    helper = django_filters.CharFilter(
        label=_("帮扶责任人"), field_name="helper_name", lookup_expr="startswith"
    )
    planned_year = django_filters.NumberFilter(label=_("计划申报年度"))
    readiness = django_filters.ChoiceFilter(
        label=_("高企条件"), choices=READINESS_CHOICES, method="filter_readiness", empty_label=_("不限")
    )
    overdue = django_filters.ChoiceFilter(
        label=_("有逾期节点"), choices=[("yes", _("是"))], method="filter_overdue", empty_label=_("不限")
    )
    expiring = django_filters.ChoiceFilter(
        label=_("证书到期"), choices=EXPIRY_CHOICES, method="filter_expiring", empty_label=_("不限")
    )

    class Meta:
        model = Enterprise
        fields = ["q", "jurisdiction", "stage", "tech_field", "helper", "planned_year"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_jurisdiction_bound:
            # A county sees one jurisdiction; offering others would only invite empty results.
            del self.filters["jurisdiction"]

    def filter_search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        # Each arm is one an index serves on PostgreSQL, so the OR is a BitmapOr of index scans: the name
        # through its trigram index (ILIKE, not UPPER(name) LIKE), the credit code's prefix through its
        # btree, the initials (stored lower-case) through their trigram index. "Contains" covers "starts
        # with", so the initials need one arm.
        cond = icontains("name", value) | Q(credit_code__startswith=value.upper())
        if value.isascii() and value.isalpha():
            cond |= Q(name_initials__contains=value.lower())
        return queryset.filter(cond)

    def filter_readiness(self, queryset, name, value):
        mapping = {"ready": True, "not_ready": False}
        if value == "unknown":
            return queryset.filter(hte_ready__isnull=True)
        return queryset.filter(hte_ready=mapping[value]) if value in mapping else queryset

    def filter_overdue(self, queryset, name, value):
        return queryset.with_overdue_milestones(timezone.localdate()) if value == "yes" else queryset

    def filter_expiring(self, queryset, name, value):
        return queryset.expiring_within(timezone.localdate(), int(value)) if value else queryset


class SubmissionFilter(StrictFilterSet):
    """The county's queue of firm submissions: open ones by default."""

    kind = django_filters.ChoiceFilter(
        label=_("填报内容"), choices=SubmissionKind.choices, empty_label=_("全部内容")
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=FirmSubmission.Status.choices, empty_label=_("全部状态")
    )
    year = django_filters.NumberFilter(label=_("年度"))
    submitted_from = django_filters.DateFilter(
        label=_("提交日期自"),
        field_name="submitted_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    submitted_to = django_filters.DateFilter(
        label=_("提交日期至"),
        field_name="submitted_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    jurisdiction = django_filters.ModelChoiceFilter(
        label=_("县区"),
        field_name="enterprise__jurisdiction",
        queryset=Jurisdiction.objects.all(),
        empty_label=_("全部县区"),
    )
    overdue = django_filters.ChoiceFilter(
        label=_("超期"),
        choices=[("1", _("只看超期"))],
        empty_label=_("不限期限"),
        method="filter_overdue",
    )

    class Meta:
        model = FirmSubmission
        fields = ["kind", "status", "year", "submitted_from", "submitted_to", "jurisdiction", "overdue"]

    def __init__(self, *args, user=None, deadlines: Deadlines | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadlines = deadlines
        if user is None or user.is_jurisdiction_bound:
            del self.filters["jurisdiction"]  # a county's queue is its own county's

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return overdue_submissions(queryset, self.deadlines or Deadlines.load())
