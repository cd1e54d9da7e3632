"""What the API reads and accepts. Output never carries bank data or people's contact details."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications.models import RoundEntry
from assessment.models import IndicatorSnapshot
from enterprises.models import AnnualFigures, Enterprise, Qualification, QualificationKind
from enterprises.services.figures import FIGURE_FIELDS
from incentives.models import FundingLine, Reward


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("拒绝的类别，如 invalid、token_expired、scope_missing。"))
    detail = serializers.CharField(help_text=_("拒绝的原因。"))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text=_("逐字段的原因。")
    )


class JurisdictionRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class Readiness(serializers.Serializer):
    hte = serializers.ChoiceField(
        choices=["ready", "not_ready", "unknown"],
        help_text=_("本年度高企认定条件判断：ready 符合，not_ready 不符合，unknown 无法判断（缺少数据）。"),
    )
    hte_label = serializers.CharField()
    tech_sme_score = serializers.IntegerField(allow_null=True)


class EnterpriseSerializer(serializers.ModelSerializer):
    jurisdiction = JurisdictionRef()
    stage = serializers.CharField()
    stage_label = serializers.CharField(source="get_stage_display")
    readiness = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = [
            "credit_code",
            "name",
            "jurisdiction",
            "tech_field",
            "registered_on",
            "stage",
            "stage_label",
            "readiness",
            "planned_year",
            "updated_at",
        ]

    @extend_schema_field(Readiness)
    def get_readiness(self, obj) -> dict:
        verdict = {True: "ready", False: "not_ready", None: "unknown"}[obj.hte_ready]
        labels = {"ready": _("符合"), "not_ready": _("不符合"), "unknown": _("无法判断")}
        return {"hte": verdict, "hte_label": str(labels[verdict]), "tech_sme_score": obj.tsme_score}


class FiguresSerializer(serializers.ModelSerializer):
    credit_code = serializers.CharField(source="enterprise.credit_code")

    class Meta:
        model = AnnualFigures
        fields = ["credit_code", "year", *FIGURE_FIELDS, "updated_at"]


class QualificationSerializer(serializers.ModelSerializer):
    credit_code = serializers.CharField(source="enterprise.credit_code")
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Qualification
        fields = [
            "id",
            "credit_code",
            "kind",
            "kind_label",
            "number",
            "granted_on",
            "expires_on",
            "source",
            "revoked_on",
            "granted_elsewhere",
        ]


class LineSerializer(serializers.ModelSerializer):
    jurisdiction = serializers.CharField(source="jurisdiction.code")
    paid_on = serializers.SerializerMethodField()

    class Meta:
        model = FundingLine
        fields = ["id", "source", "jurisdiction", "amount", "status", "paid_on"]

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_paid_on(self, obj):
        payment = getattr(obj, "payment", None)
        return payment.paid_on.isoformat() if payment is not None else None


class RewardSerializer(serializers.ModelSerializer):
    credit_code = serializers.CharField(source="enterprise.credit_code")
    enterprise_name = serializers.CharField(source="enterprise.name")
    jurisdiction = serializers.CharField(source="jurisdiction.code")
    rule = serializers.CharField(source="rule.code")
    rule_name = serializers.CharField(source="rule.name")
    status_label = serializers.CharField(source="get_status_display")
    lines = LineSerializer(many=True)

    class Meta:
        model = Reward
        fields = [
            "id",
            "credit_code",
            "enterprise_name",
            "jurisdiction",
            "rule",
            "rule_name",
            "amount",
            "status",
            "status_label",
            "submitted_at",
            "approved_at",
            "created_at",
            "lines",
        ]


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorSnapshot
        fields = ["scope", "year", "indicator", "value", "computed_at"]


class RoundEntrySerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="round.year")
    credit_code = serializers.CharField(source="enterprise.credit_code")
    enterprise_name = serializers.CharField(source="enterprise.name")
    jurisdiction = serializers.CharField(source="enterprise.jurisdiction.code")
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = RoundEntry
        fields = [
            "id",
            "year",
            "credit_code",
            "enterprise_name",
            "jurisdiction",
            "status",
            "status_label",
            "declared_at",
            "reason",
            "outcome_reason",
            "updated_at",
        ]


# --- writes -------------------------------------------------------------------------------------

CREDIT_CODE_HELP = _("统一社会信用代码（18位）。")


class CertificationItem(serializers.Serializer):
    credit_code = serializers.CharField(max_length=32, help_text=CREDIT_CODE_HELP)
    kind = serializers.ChoiceField(choices=QualificationKind.choices)
    granted_on = serializers.DateField()
    number = serializers.CharField(max_length=64, help_text=_("证书编号。"))


class CertificationRequest(serializers.Serializer):
    items = CertificationItem(many=True, allow_empty=False, max_length=500)


class CertificationResult(serializers.Serializer):
    credit_code = serializers.CharField()
    kind = serializers.CharField()
    granted_on = serializers.DateField()
    number = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["created", "unchanged"], help_text=_("created 新登记；unchanged 此前已登记，本次未作改动。")
    )
    qualification = serializers.IntegerField()


class CertificationResponse(serializers.Serializer):
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    results = CertificationResult(many=True)


def _figure_field(help_text):
    return serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, help_text=help_text
    )


YUAN = _("元（精确到分）。")


def _count_field():
    return serializers.IntegerField(min_value=0, max_value=100000, required=False, allow_null=True)


class FiguresSubmission(serializers.Serializer):
    """A firm's yearly figures: money in exact yuan (as the API reads them back), staff as yearly averages."""

    year = serializers.IntegerField(min_value=2000, max_value=2100)
    sales_revenue = _figure_field(YUAN)
    total_income = _figure_field(YUAN)
    rd_expense = _figure_field(YUAN)
    rd_expense_domestic = _figure_field(YUAN)
    total_costs = _figure_field(YUAN)
    hightech_revenue = _figure_field(YUAN)
    total_assets = _figure_field(YUAN)
    net_assets = _figure_field(YUAN)
    industrial_value_added = _figure_field(YUAN)
    staff_count = serializers.DecimalField(max_digits=9, decimal_places=1, required=False, allow_null=True)
    st_staff_count = serializers.DecimalField(max_digits=9, decimal_places=1, required=False, allow_null=True)
    ip_class1_count = _count_field()
    ip_class2_count = _count_field()
    conversions_count = _count_field()


class SubmissionResponse(serializers.Serializer):
    submission = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    year = serializers.IntegerField()


class ListRow(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    credit_code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    certificate_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class OfficialListRequest(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QualificationKind.choices)
    granted_on = serializers.DateField()
    title = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    dry_run = serializers.BooleanField(required=False, default=False)
    rows = ListRow(many=True, allow_empty=False)


class OfficialListResponse(serializers.Serializer):
    dry_run = serializers.BooleanField()
    already_imported = serializers.BooleanField()
    official_list = serializers.IntegerField(allow_null=True)
    matched = serializers.IntegerField()
    unmatched = serializers.IntegerField()
    new_qualifications = serializers.IntegerField()
    new_rewards = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
