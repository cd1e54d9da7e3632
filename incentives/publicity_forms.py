"""The forms of the 公示 pages: publish a batch or an approval round, record and decide an objection.

They parse what was typed; the services decide (and their refusals come back onto the field named).
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from anyang_hte.core.forms import DATE_INPUT

from .models import PayoutBatch, PublicityObjection


class _ContactForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("公示标题"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("留空时按批次名称或批准日期自动生成。"),
    )
    contact_unit = forms.CharField(label=gettext_lazy("异议受理单位"), max_length=128)
    contact_phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=64)
    contact_address = forms.CharField(label=gettext_lazy("通讯地址"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_unit"].initial = settings.PUBLICITY_CONTACT_UNIT
        self.fields["contact_phone"].initial = settings.PUBLICITY_CONTACT_PHONE
        self.fields["contact_address"].initial = settings.PUBLICITY_CONTACT_ADDRESS


class PublishBatchForm(_ContactForm):
    batch = forms.ModelChoiceField(label=gettext_lazy("拨付批次"), queryset=PayoutBatch.objects.none())
    field_order = ["batch", "title", "contact_unit", "contact_phone", "contact_address"]

    def __init__(self, *args, batches=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = batches if batches is not None else PayoutBatch.objects.none()


class PublishRoundForm(_ContactForm):
    approved_from = forms.DateField(label=gettext_lazy("批准日期起"), widget=DATE_INPUT)
    approved_to = forms.DateField(label=gettext_lazy("批准日期止"), widget=DATE_INPUT)
    field_order = ["approved_from", "approved_to", "title", "contact_unit", "contact_phone"]


class ObjectionForm(forms.Form):
    entry = forms.TypedChoiceField(label=gettext_lazy("异议针对的企业"), coerce=int)
    received_on = forms.DateField(label=gettext_lazy("收到日期"), widget=DATE_INPUT)
    objector = forms.CharField(
        label=gettext_lazy("异议人"),
        max_length=128,
        required=False,
        help_text=gettext_lazy("可不填（匿名异议）。"),
    )
    content = forms.CharField(label=gettext_lazy("异议内容"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].choices = [("", "—")] + [
            (entry.pk, f"{entry.position}. {entry.enterprise_name}（{entry.rule_name}）") for entry in entries
        ]


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("处理结果"),
        choices=[
            (PublicityObjection.Status.DISMISSED, PublicityObjection.Status.DISMISSED.label),
            (PublicityObjection.Status.UPHELD, gettext_lazy("异议成立（该奖励不予奖励）")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("处理理由"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("异议成立时，理由作为不予奖励的理由告知县区和企业。"),
    )
