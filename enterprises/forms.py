from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.forms import DATE_INPUT, WanYuanField
from anyang_hte.core.models import Jurisdiction

from .identifiers import validate_credit_code
from .import_files import size_problem
from .models import (
    AnnualFigures,
    Distinction,
    Enterprise,
    Incident,
    InnovationAssessment,
    IntellectualProperty,
    LedgerMilestone,
    QualificationKind,
    ServiceVisit,
    Stage,
)
from .readiness.innovation import POINT_FIELDS
from .services import ENTERPRISE_FIELDS


class EnterpriseForm(forms.ModelForm):
    credit_code = forms.CharField(
        label=gettext_lazy("统一社会信用代码"),
        max_length=40,
        help_text=gettext_lazy("18位，可含小写或全角字符，系统自动规范化后校验。"),
    )

    class Meta:
        model = Enterprise
        fields = ["credit_code", *ENTERPRISE_FIELDS]
        widgets = {
            "registered_on": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["jurisdiction"]
        if user.jurisdiction_id and user.is_jurisdiction_bound:
            field.queryset = Jurisdiction.objects.filter(pk=user.jurisdiction_id)
            field.initial = user.jurisdiction_id
            field.empty_label = None
        self.fields["declared_stage"].choices = [("", "---------"), *Stage.choices]
        if self.instance.pk:
            self.fields["credit_code"].disabled = True
            self.fields["credit_code"].help_text = gettext_lazy("信用代码是企业的唯一标识，登记后不可修改。")

    def clean_credit_code(self):
        if self.instance.pk:
            return self.instance.credit_code
        return validate_credit_code(self.cleaned_data["credit_code"])

    def validate_unique(self):
        # A duplicate credit code is the service's to refuse: it links to the enterprise already there.
        pass

    def clean_planned_year(self):
        year = self.cleaned_data.get("planned_year")
        if year is not None and not (2000 <= year <= 2100):
            raise ValidationError(_("计划申报年度应在2000年至2100年之间。"))
        return year

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ENTERPRISE_FIELDS}


class StaffField(forms.DecimalField):
    """A yearly average head count: one decimal (95.5), never silently cut to a whole number."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 1)
        super().__init__(**kwargs)
        self.widget.attrs.update({"step": "0.1", "inputmode": "decimal"})

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            whole = value == value.to_integral_value()
            return format(value.normalize(), "f") if whole else format(value, "f")
        return value


STAFF_HELP = gettext_lazy("全年月平均人数的平均数，可保留一位小数。")


class FiguresForm(forms.ModelForm):
    sales_revenue = WanYuanField(label=gettext_lazy("营业收入（万元）"))
    total_income = WanYuanField(
        label=gettext_lazy("总收入（万元）"),
        help_text=gettext_lazy("收入总额减去不征税收入；高新技术产品（服务）收入占比以此为分母。"),
    )
    rd_expense = WanYuanField(label=gettext_lazy("研发费用（万元）"))
    rd_expense_domestic = WanYuanField(label=gettext_lazy("其中境内研发费用（万元）"))
    total_costs = WanYuanField(label=gettext_lazy("成本费用总额（万元）"))
    hightech_revenue = WanYuanField(label=gettext_lazy("高新技术产品（服务）收入（万元）"))
    total_assets = WanYuanField(label=gettext_lazy("资产总额（万元）"))
    net_assets = WanYuanField(label=gettext_lazy("净资产（万元）"), min_value=None)
    industrial_value_added = WanYuanField(label=gettext_lazy("工业增加值（万元）"))
    staff_count = StaffField(label=gettext_lazy("职工总数（年平均）"), help_text=STAFF_HELP)
    st_staff_count = StaffField(label=gettext_lazy("科技人员数（年平均）"), help_text=STAFF_HELP)

    class Meta:
        model = AnnualFigures
        fields = [
            "year",
            "sales_revenue",
            "total_income",
            "rd_expense",
            "rd_expense_domestic",
            "total_costs",
            "hightech_revenue",
            "total_assets",
            "net_assets",
            "industrial_value_added",
            "staff_count",
            "st_staff_count",
            "ip_class1_count",
            "ip_class2_count",
            "conversions_count",
        ]

    # The county adds a year once and changes it on its own page; a firm's submission may be for a
    # year the ledger already holds (it is a proposal the county compares, not a new row).
    year_must_be_new = True

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        if self.instance.pk:
            self.fields["year"].disabled = True

    def clean(self):
        data = super().clean()
        staff, st_staff = data.get("staff_count"), data.get("st_staff_count")
        if staff is not None and st_staff is not None and st_staff > staff:
            self.add_error(
                "st_staff_count",
                _("科技人员数（%(a)s）不能大于职工总数（%(b)s）。") % {"a": st_staff, "b": staff},
            )
        rd, domestic = data.get("rd_expense"), data.get("rd_expense_domestic")
        if rd is not None and domestic is not None and domestic > rd:
            self.add_error("rd_expense_domestic", _("境内研发费用不能大于研发费用总额。"))
        year = data.get("year")
        if (
            year
            and self.year_must_be_new
            and not self.instance.pk
            and AnnualFigures.objects.filter(enterprise=self.enterprise, year=year).exists()
        ):
            self.add_error("year", _("%(y)d年的数据已存在，请在年度数据表中点击该年度修改。") % {"y": year})
        return data

    def validate_unique(self):
        # Uniqueness per enterprise and year is checked in clean(); the enterprise is not a form field.
        pass

    def figure_values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "year"}


class FirmFiguresForm(FiguresForm):
    """A firm's yearly figures (the full set, 总收入 included): the ledger's own form and checks."""

    year_must_be_new = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].help_text = _(
            "填报哪一个会计年度的数据；已有该年度数据的，提交后由县区核对差异。"
        )


PROFILE_FIELDS = (
    "tech_field",
    "registered_on",
    "address",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "bank_name",
    "bank_account",
    "bank_account_holder",
    "rd_institution",
    "rd_institution_level",
)


class ProfileForm(forms.ModelForm):
    """The parts of the ledger record a firm keeps itself: its technical field and founding date (from its
    business licence), address, legal representative, contact, bank account and R&D institution. The
    model's own limits apply (lengths, the choices)."""

    class Meta:
        model = Enterprise
        fields = list(PROFILE_FIELDS)
        widgets = {"registered_on": DATE_INPUT}

    def validate_unique(self):
        pass  # no unique field here; the record is the firm's own


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = LedgerMilestone
        fields = ["title", "due_on", "done_on", "note"]
        widgets = {"due_on": DATE_INPUT, "done_on": DATE_INPUT}


class VisitForm(forms.ModelForm):
    class Meta:
        model = ServiceVisit
        fields = ["visited_on", "visitors", "problems", "actions"]
        widgets = {
            "visited_on": DATE_INPUT,
            "problems": forms.Textarea(attrs={"rows": 3}),
            "actions": forms.Textarea(attrs={"rows": 3}),
        }


class QualificationForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("资质类型"), choices=QualificationKind.choices)
    number = forms.CharField(label=gettext_lazy("证书/登记编号"), max_length=64, required=False)
    granted_on = forms.DateField(label=gettext_lazy("认定/登记日期"), widget=DATE_INPUT)
    granted_elsewhere = forms.BooleanField(
        label=gettext_lazy("迁入前在外地取得"),
        required=False,
        help_text=gettext_lazy("企业迁入本市前已在外地取得的资质：不产生本市奖励，不计入本市新认定。"),
    )
    granted_where = forms.CharField(
        label=gettext_lazy("取得地"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("外地取得时填写，如“郑州市”。"),
    )


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(label=gettext_lazy("撤销日期"), widget=DATE_INPUT)
    reason = forms.CharField(label=gettext_lazy("撤销原因"), max_length=255)


class LedgerImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("台账文件"),
        help_text=gettext_lazy("Excel（.xlsx）或 CSV 文件，请使用本页提供的模板。"),
    )
    jurisdiction = forms.ModelChoiceField(
        label=gettext_lazy("导入到县区"), queryset=Jurisdiction.objects.all()
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_jurisdiction_bound:
            self.fields["jurisdiction"].queryset = Jurisdiction.objects.filter(pk=user.jurisdiction_id)
            self.fields["jurisdiction"].initial = user.jurisdiction_id
            self.fields["jurisdiction"].empty_label = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise ValidationError(_("只接受 .xlsx 或 .csv 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）。"))
        if problem := size_problem(upload.size):
            raise ValidationError(problem)
        return upload


# --- the records the readiness verdict reads besides the figures ---------------------------------------


class IPItemForm(forms.ModelForm):
    class Meta:
        model = IntellectualProperty
        fields = ["kind", "title", "number", "granted_on", "lapsed_on", "acquisition", "used_in_year"]
        widgets = {"granted_on": DATE_INPUT, "lapsed_on": DATE_INPUT}
        help_texts = {"kind": gettext_lazy("商标不计入高新技术企业认定的知识产权。")}

    def validate_unique(self):
        pass  # the service refuses a duplicate number with its own words


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = ["kind", "occurred_on", "ended_on", "reference", "note"]
        widgets = {"occurred_on": DATE_INPUT, "ended_on": DATE_INPUT}


class DistinctionForm(forms.ModelForm):
    class Meta:
        model = Distinction
        fields = ["kind", "title", "obtained_on", "rank", "ended_on", "reference"]
        widgets = {"obtained_on": DATE_INPUT, "ended_on": DATE_INPUT}


class DeleteForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("删除原因"), max_length=255)


class ReadinessForm(forms.Form):
    """The readiness panel's question: which application, judged on which day, with this year's
    expected sales and staff for the forward gap."""

    year = forms.IntegerField(label=gettext_lazy("申报年度"), min_value=2008, max_value=2100)
    on = forms.DateField(label=gettext_lazy("按申报日期"), required=False, widget=DATE_INPUT)
    expected_sales = WanYuanField(label=gettext_lazy("本年预计销售收入（万元）"))
    expected_staff = StaffField(label=gettext_lazy("本年预计职工总数"))

    def clean(self):
        data = super().clean()
        year, on = data.get("year"), data.get("on")
        if year and on and on.year != year:
            self.add_error("on", _("申报日期应在%(y)s年内。") % {"y": year})
        return data


class InnovationForm(forms.ModelForm):
    """The points of the innovation-capability evaluation; the service checks each against its band."""

    class Meta:
        model = InnovationAssessment
        fields = [
            "ip_advancement",
            "ip_core_support",
            "ip_quantity",
            "ip_acquisition",
            "ip_self_developed",
            "standard_bonus",
            "conversion",
            "rd_management",
            "rd_institution",
            "conversion_system",
            "talent",
            "net_asset_growth",
            "sales_growth",
            "note",
        ]
        widgets = {
            "ip_self_developed": forms.Select(
                choices=[
                    ("", gettext_lazy("（按知识产权明细判断）")),
                    (True, gettext_lazy("有自主研发的知识产权")),
                    (False, gettext_lazy("仅受让、受赠或并购取得")),
                ]
            )
        }

    def __init__(self, *args, bands=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ip_self_developed"] = forms.NullBooleanField(
            label=InnovationAssessment._meta.get_field("ip_self_developed").verbose_name,
            required=False,
            widget=self._meta.widgets["ip_self_developed"],
            help_text=InnovationAssessment._meta.get_field("ip_self_developed").help_text,
        )
        for name, field in self.fields.items():
            if bands is None or name not in POINT_FIELDS:
                continue
            if name in bands.unknown:
                field.help_text = bands.unknown[name]
            elif name in bands.bands:
                band = bands.bands[name]
                field.help_text = _("本项可评%(band)s分：%(basis)s") % {"band": band, "basis": band.basis}
                field.widget.attrs.update({"min": band.low, "max": band.high})

    def validate_unique(self):
        pass

    def points(self) -> dict:
        return dict(self.cleaned_data)
