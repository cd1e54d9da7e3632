"""Forms of the assessment pages: the year, a jurisdiction filter, the targets table and its spread helper,
the published value-added table and its import, the action plans and the new-HTE counting rule."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.forms import WanYuanField
from anyang_hte.core.models import Jurisdiction

from .services import PLAN_FIELDS

FIRST_YEAR = 2017  # 安政办〔2017〕100号 took effect on 2017-12-29


def year_choices() -> list[int]:
    return list(range(timezone.localdate().year + 1, FIRST_YEAR - 1, -1))


def chosen_year(data) -> int:
    """The ``year`` in a query string if it is a valid assessment year, else the current year."""
    form = YearForm(data)
    if form.is_valid() and form.cleaned_data.get("year"):
        return form.cleaned_data["year"]
    return timezone.localdate().year


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, _("%(y)d年") % {"y": y}) for y in year_choices()]


class JurisdictionFilterForm(forms.Form):
    jurisdiction = forms.ModelChoiceField(
        label=gettext_lazy("县区"),
        queryset=Jurisdiction.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=gettext_lazy("全市"),
    )


# Targets count enterprises: whole numbers ≥ 0, stored as Decimal like every indicator value.
TARGET_DECIMALS = {"max_digits": 8, "decimal_places": 0, "min_value": Decimal("0")}


class TargetRowForm(forms.Form):
    """One jurisdiction's row of the targets table: two targets (家)."""

    code = forms.CharField(widget=forms.HiddenInput)
    new_hte = forms.DecimalField(label=gettext_lazy("新认定高企目标"), required=False, **TARGET_DECIMALS)
    valid_hte = forms.DecimalField(label=gettext_lazy("有效高企目标"), required=False, **TARGET_DECIMALS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("new_hte", "valid_hte"):
            widget = self.fields[name].widget
            widget.attrs.update({"step": "1", "min": "0", "inputmode": "decimal"})
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm text-end")


class BaseTargetFormSet(forms.BaseFormSet):
    """One row per jurisdiction (``scopes``: their codes, in the table's order)."""

    def __init__(self, *args, jurisdictions=None, scopes=None, **kwargs):
        self.scopes = list(scopes) if scopes is not None else [j.code for j in jurisdictions]
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        codes = [form.cleaned_data.get("code") for form in self.forms]
        if codes != self.scopes:
            raise forms.ValidationError(_("表格与县区列表不一致，请刷新页面后重新填写。"))


TargetFormSet = forms.formset_factory(TargetRowForm, formset=BaseTargetFormSet, extra=0)


class SpreadForm(forms.Form):
    """The city's totals to spread over the jurisdictions ("按全市目标分解")."""

    city_new_hte = forms.IntegerField(label=gettext_lazy("全市新认定高企目标"), min_value=0, initial=80)
    city_valid_hte = forms.IntegerField(label=gettext_lazy("全市有效高企目标"), min_value=0, initial=120)


class PublishedRowForm(forms.Form):
    """One row of the published value-added table: a jurisdiction, or the whole city (code "city")."""

    code = forms.CharField(widget=forms.HiddenInput)
    hightech_value_added = WanYuanField(label=gettext_lazy("高新技术产业增加值（万元）"))
    industrial_value_added = WanYuanField(label=gettext_lazy("规模以上工业增加值（万元）"))
    source = forms.CharField(label=gettext_lazy("数据来源"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            align = "" if name == "source" else " text-end"
            field.widget.attrs.setdefault("class", "form-control form-control-sm" + align)
        self.fields["source"].widget.attrs["placeholder"] = _("如：2024年安阳市国民经济和社会发展统计公报")


PublishedFormSet = forms.formset_factory(PublishedRowForm, formset=BaseTargetFormSet, extra=0)


class PublishedImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy(
            "xlsx 或 csv；列：县区/全市、年度、高新技术产业增加值（万元）、规模以上工业增加值（万元），"
            "可加“来源”列。"
        ),
    )
    source = forms.CharField(
        label=gettext_lazy("数据来源"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("没有“来源”列的行用此来源；留空则用表格的标题行。"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("只能导入 .xlsx 或 .csv 文件。"))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("文件过大：最多 5 MB。"))
        return upload


class PlanForm(forms.Form):
    """An action plan's name, years and goals (the service checks them and names the field refused)."""

    name = forms.CharField(label=gettext_lazy("计划名称"), max_length=120)
    document_number = forms.CharField(
        label=gettext_lazy("文号"), max_length=64, help_text=gettext_lazy("如 安政办〔2017〕100号")
    )
    first_year = forms.IntegerField(label=gettext_lazy("起始年度"))
    last_year = forms.IntegerField(label=gettext_lazy("截止年度"))
    goal_new_hte = forms.IntegerField(
        label=gettext_lazy("累计新认定高企目标（家）"), min_value=0, required=False
    )
    goal_valid_hte = forms.IntegerField(
        label=gettext_lazy("期末有效高企目标（家）"), min_value=0, required=False
    )
    goal_valid_hte_exceeds = forms.BooleanField(
        label=gettext_lazy("有效高企须超过目标数（如“超过120家”）"), required=False
    )
    goal_share = forms.DecimalField(
        label=gettext_lazy("高新技术产业增加值占比目标（%）"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
    )
    zone = forms.ModelChoiceField(
        label=gettext_lazy("计划确定的高新区"),
        queryset=Jurisdiction.objects.all(),
        required=False,
        help_text=gettext_lazy("高企数量和增幅纳入考核的高新区（任务11），在看板上标出。"),
    )

    FIELDS = PLAN_FIELDS  # the fields the plan services take

    def plan_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.FIELDS}


class CountingRuleForm(forms.Form):
    RECERTIFICATION, FIRST_ONLY = "recertification", "first_only"

    rule = forms.ChoiceField(
        label=gettext_lazy("新认定高企的统计口径"),
        widget=forms.RadioSelect,
        choices=[
            (
                RECERTIFICATION,
                gettext_lazy("含期满后重新认定：证书期满或撤销后重新认定的，在认定当年计为新认定"),
            ),
            (FIRST_ONLY, gettext_lazy("不含重新认定：只有企业首次认定计为新认定")),
        ],
        help_text=gettext_lazy("两种口径下，迁入企业在外地取得的证书都不计为新认定，但计入有效高企。"),
    )

    @property
    def recertification_is_new(self) -> bool:
        return self.cleaned_data["rule"] == self.RECERTIFICATION
