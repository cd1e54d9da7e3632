from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core import dates
from anyang_hte.core.forms import DATE_INPUT, WanYuanField
from anyang_hte.core.models import Jurisdiction
from enterprises.import_files import size_problem
from enterprises.models import QualificationKind

from .models import FundingSource, RewardDocument


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("材料类型"), choices=RewardDocument.Kind.choices)
    file = forms.FileField(
        label=gettext_lazy("文件"), help_text=gettext_lazy("PDF、JPG 或 PNG，不超过 10 MB。")
    )


class SubmitForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("申报说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    ACTIONS = [
        ("approve", gettext_lazy("批准")),
        ("return", gettext_lazy("退回修改")),
        ("reject", gettext_lazy("不予奖励")),
    ]
    action = forms.ChoiceField(label=gettext_lazy("审核意见"), choices=ACTIONS, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=gettext_lazy("意见/理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("退回或不予奖励时必须填写理由。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") in ("return", "reject") and not (data.get("comment") or "").strip():
            self.add_error("comment", _("退回或不予奖励时必须填写理由，县区将看到这段说明。"))
        return data


class BatchForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("批次名称"), max_length=128)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["name"].initial = _("%(y)d年%(m)d月奖励拨付") % {"y": today.year, "m": today.month}


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=gettext_lazy("拨付日期"), widget=DATE_INPUT)
    reference = forms.CharField(label=gettext_lazy("凭证号/转账流水号"), max_length=64)

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > dates.today():
            raise ValidationError(_("拨付日期不能晚于今天。"))
        return paid_on


class OfficialListForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("名单类型"),
        choices=[
            (QualificationKind.HTE, gettext_lazy("高新技术企业认定名单")),
            (QualificationKind.LITTLE_GIANT, gettext_lazy("河南省科技小巨人企业名单")),
            (QualificationKind.LEADING, gettext_lazy("河南省创新龙头企业名单")),
            (QualificationKind.TECH_SME, gettext_lazy("科技型中小企业入库名单")),
            (QualificationKind.LG_CULTIVATION, gettext_lazy("河南省科技小巨人培育企业名单")),
        ],
    )
    granted_on = forms.DateField(
        label=gettext_lazy("认定/公布日期"), widget=DATE_INPUT, help_text=gettext_lazy("整份名单的认定日期。")
    )
    title = forms.CharField(label=gettext_lazy("名单名称"), max_length=200, required=False)
    file = forms.FileField(
        label=gettext_lazy("名单文件"), help_text=gettext_lazy("Excel（.xlsx）或 CSV，至少包含“企业名称”列。")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith((".xlsx", ".csv")):
            raise ValidationError(_("只接受 .xlsx 或 .csv 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）。"))
        if problem := size_problem(upload.size):
            raise ValidationError(problem)
        return upload


class RowLinkForm(forms.Form):
    credit_code = forms.CharField(label=gettext_lazy("关联到企业（统一社会信用代码）"), max_length=40)


class RowCreateForm(forms.Form):
    jurisdiction = forms.ModelChoiceField(label=gettext_lazy("所属县区"), queryset=Jurisdiction.objects.all())
    credit_code = forms.CharField(label=gettext_lazy("统一社会信用代码"), max_length=40)


class RowIgnoreForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=200, initial=gettext_lazy("非本市企业"))


# --- 专项经费 ---------------------------------------------------------------------------------------


class AppropriationForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2017, max_value=2100)
    source = forms.ChoiceField(label=gettext_lazy("资金来源"), choices=FundingSource.choices)
    jurisdiction = forms.ModelChoiceField(
        label=gettext_lazy("县区"),
        queryset=Jurisdiction.objects.all(),
        required=False,
        help_text=gettext_lazy("县区财政的专项经费选择所属县区；市级财政不选。"),
    )
    amount = WanYuanField(label=gettext_lazy("下达金额（万元）"), required=True)
    document = forms.CharField(label=gettext_lazy("文号"), max_length=128)
    issued_on = forms.DateField(label=gettext_lazy("下达日期"), widget=DATE_INPUT)
    notes = forms.CharField(label=gettext_lazy("说明"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class AdjustmentForm(forms.Form):
    amount = WanYuanField(
        label=gettext_lazy("调整金额（万元）"),
        required=True,
        min_value=None,
        help_text=gettext_lazy("追加填正数，调减填负数（如 -20）。"),
    )
    document = forms.CharField(label=gettext_lazy("文号"), max_length=128)
    issued_on = forms.DateField(label=gettext_lazy("调整日期"), widget=DATE_INPUT)
    reason = forms.CharField(label=gettext_lazy("调整原因"), max_length=255)


class OverrideForm(forms.Form):
    """Going beyond a balance on purpose: the box ticked and the reason (posted with the approval or the
    batch form)."""

    override = forms.BooleanField(label=gettext_lazy("超出专项经费余额仍办理"), required=False)
    override_reason = forms.CharField(label=gettext_lazy("超余额理由"), max_length=255, required=False)

    def reason(self) -> str:
        """The reason when the box is ticked, else nothing (a reason typed without the box is ignored)."""
        if not self.is_valid() or not self.cleaned_data.get("override"):
            return ""
        return self.cleaned_data.get("override_reason", "").strip()


class AppropriationFilterForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2017, max_value=2100)
    source = forms.ChoiceField(
        label=gettext_lazy("资金来源"),
        required=False,
        choices=[("", gettext_lazy("全部来源")), *FundingSource.choices],
    )
    jurisdiction = forms.ModelChoiceField(
        label=gettext_lazy("县区"),
        queryset=Jurisdiction.objects.all(),
        required=False,
        empty_label=gettext_lazy("全部县区"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(user, "is_jurisdiction_bound", False):
            del self.fields["jurisdiction"]
