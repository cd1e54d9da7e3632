"""Form fields every app's forms share."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .money import NotExactToTheFen, wan_to_yuan, yuan_to_wan

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WanYuanField(forms.DecimalField):
    """Accepts 万元 (up to 6 decimals, i.e. exact to the fen) and cleans to exact yuan."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(**kwargs)
        self.widget.attrs.update({"step": "0.000001", "inputmode": "decimal"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace("，", "").strip()
        try:
            return super().to_python(value)
        except ValidationError:
            raise
        except InvalidOperation:
            raise ValidationError(_("请输入数字（单位：万元）。"), code="invalid") from None

    def clean(self, value):
        wan = super().clean(value)
        try:
            return wan_to_yuan(wan)
        except NotExactToTheFen:  # six decimal places are checked above; this is the last guard
            raise ValidationError(_("金额最多精确到分（万元后6位小数）。"), code="invalid") from None

    def prepare_value(self, value):
        # Bound data (what the user typed) is shown as typed; initial data arrives in yuan.
        if isinstance(value, Decimal):
            return format(yuan_to_wan(value), "f")
        return value


class TwoFactorCodeForm(forms.Form):
    """The second factor: the app's 6-digit code, or (when ``backup`` is on) a backup code."""

    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, backup: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        if backup:
            field.help_text = _(
                "身份验证器上的 6 位数字；手机不在身边时，可输入一个 8 位备用码（每个只能用一次）。"
            )
        else:
            field.widget.attrs["inputmode"] = "numeric"
            field.help_text = _("扫描二维码后，输入身份验证器上显示的 6 位数字。")


class TwoFactorResetForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    reason = forms.CharField(
        label=gettext_lazy("原因"), max_length=200, help_text=gettext_lazy("例如：手机遗失，本人电话确认。")
    )
