"""The round's forms: they parse what was typed; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.forms import DATE_INPUT
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import is_city_wide

from .models import CONDITIONS, OutcomeReason, RoundEntry
from .selectors import STAGES


class RoundDatesForm(forms.Form):
    intention_deadline = forms.DateField(label=_("申报意向截止日期"), widget=DATE_INPUT)
    recommendation_deadline = forms.DateField(label=_("县区推荐截止日期"), widget=DATE_INPUT)
    review_deadline = forms.DateField(label=_("市级初审截止日期"), widget=DATE_INPUT)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RoundOpenForm(RoundDatesForm):
    year = forms.IntegerField(label=_("申报年度"), min_value=2008, max_value=2100)
    field_order = ["year", "intention_deadline", "recommendation_deadline", "review_deadline", "note"]


class EntryFilterForm(forms.Form):
    jurisdiction = forms.ModelChoiceField(
        label=_("县区"), queryset=Jurisdiction.objects.none(), to_field_name="code", required=False
    )
    status = forms.ChoiceField(label=_("状态"), required=False)
    stage = forms.ChoiceField(label=_("已到环节"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Jurisdiction.objects.all()
        if not is_city_wide(user):
            qs = qs.filter(pk=user.jurisdiction_id)
        self.fields["jurisdiction"].queryset = qs
        self.fields["jurisdiction"].empty_label = _("全部")
        self.fields["status"].choices = [("", _("全部")), *RoundEntry.Status.choices]
        self.fields["stage"].choices = [("", _("全部")), *((c, label) for c, (label, _s) in STAGES.items())]


class DeclareForm(forms.Form):
    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=None)

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises


class CommentForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("recommend", ""), ("hold", ""), ("pass", ""), ("certify", ""), ("withdraw", "")]
    )
    comment = forms.CharField(label=_("说明"), required=False, max_length=2000)


class ReturnForm(forms.Form):
    comment = forms.CharField(label=_("说明"), required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in CONDITIONS.items():
            self.fields[f"reason_{code}"] = forms.CharField(label=name, required=False, max_length=2000)

    @property
    def condition_fields(self):
        return [self[f"reason_{code}"] for code in CONDITIONS]

    def reasons(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"reason_{code}", "") for code in CONDITIONS}


class OutcomeForm(forms.Form):
    outcome_reason = forms.ChoiceField(label=_("未通过原因"), choices=OutcomeReason.choices)
    text = forms.CharField(label=_("具体说明"), required=False, max_length=2000)
