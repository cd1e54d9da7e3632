"""Forms of the assessment pages: the year, a jurisdiction filter, the targets table and its spread helper."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.forms import WanYuanField
from anyang_hte.core.models import Jurisdiction

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
    """One jurisdiction's row of the targets table: two targets (家) and the value-added (万元)."""

    code = forms.CharField(widget=forms.HiddenInput)
    new_hte = forms.DecimalField(label=gettext_lazy("新认定高企目标"), required=False, **TARGET_DECIMALS)
    valid_hte = forms.DecimalField(label=gettext_lazy("有效高企目标"), required=False, **TARGET_DECIMALS)
    value_added = WanYuanField(label=gettext_lazy("规模以上工业增加值（万元）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("new_hte", "valid_hte"):
            widget = self.fields[name].widget
            widget.attrs.update({"step": "1", "min": "0", "inputmode": "decimal"})
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm text-end")

    def clean_value_added(self):
        amount = self.cleaned_data.get("value_added")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("规模以上工业增加值应大于零。"))
        return amount


class BaseTargetFormSet(forms.BaseFormSet):
    def __init__(self, *args, jurisdictions, **kwargs):
        self.jurisdictions = list(jurisdictions)
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        codes = [form.cleaned_data.get("code") for form in self.forms]
        if codes != [j.code for j in self.jurisdictions]:
            raise forms.ValidationError(_("表格与县区列表不一致，请刷新页面后重新填写。"))


TargetFormSet = forms.formset_factory(TargetRowForm, formset=BaseTargetFormSet, extra=0)


class SpreadForm(forms.Form):
    """The city's totals to spread over the jurisdictions ("按全市目标分解")."""

    city_new_hte = forms.IntegerField(label=gettext_lazy("全市新认定高企目标"), min_value=0, initial=80)
    city_valid_hte = forms.IntegerField(label=gettext_lazy("全市有效高企目标"), min_value=0, initial=120)
