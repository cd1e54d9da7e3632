"""Forms of the firm-account pages: they check the shape of what was typed; the services decide."""

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import Jurisdiction, User
from anyang_hte.core.roles import Role
from enterprises.identifiers import validate_credit_code

from .models import FirmRegistration


class CreditCodeField(forms.CharField):
    """A credit code, normalised (full-width, spaces, case) and checked against its check character."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)  # as typed, before spaces are dropped
        kwargs.setdefault("label", _("统一社会信用代码"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "class": "font-monospace"})

    def clean(self, value):
        value = super().clean(value)
        return validate_credit_code(value) if value else value


class RegistrationForm(forms.Form):
    credit_code = CreditCodeField(help_text=_("18位，营业执照上的统一社会信用代码。"))
    name = forms.CharField(label=_("企业名称"), max_length=200)
    jurisdiction = forms.ModelChoiceField(
        label=_("所在县区"),
        queryset=Jurisdiction.objects.all(),
        empty_label=_("请选择"),
        help_text=_("由该县区科技部门确认您的注册。"),
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=64)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32)
    email = forms.EmailField(label=_("电子邮箱"))
    username = forms.CharField(label=_("登录用户名"), max_length=150, help_text=_("字母、数字或 @ . + - _"))
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("确认密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif password1:
            user = User(
                username=data.get("username", ""),
                email=data.get("email", ""),
                display_name=data.get("contact_name", ""),
                role=Role.ENTERPRISE,
            )
            try:
                password_validation.validate_password(password1, user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "credit_code": data["credit_code"],
            "name": data["name"],
            "jurisdiction": data["jurisdiction"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "email": data["email"],
            "username": data["username"],
            "password": data["password1"],
        }


class InviteForm(forms.Form):
    username = forms.CharField(label=_("登录用户名"), max_length=150, help_text=_("字母、数字或 @ . + - _"))
    display_name = forms.CharField(label=_("联系人姓名"), max_length=64, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    email = forms.EmailField(label=_("电子邮箱"), help_text=_("设置密码的链接将发送到这个邮箱。"))


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("不予确认原因"),
        max_length=FirmRegistration._meta.get_field("reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("企业会看到这一原因。"),
    )


class RegistrationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部"))] + list(FirmRegistration.Status.choices), required=False
    )
