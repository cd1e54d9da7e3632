"""Forms of the plan's registers and of the task progress reports.

Attending (or advised) enterprises are entered in a textarea, one enterprise a line, by credit code or
full name. A county's training has 20–50 attendees out of a ledger of hundreds: the sign-in sheet
(签到表) is a spreadsheet, and pasting its name or code column is one action, where a
``<select multiple>`` of hundreds of entries takes 50 Ctrl-clicks and loses every choice on one click
without Ctrl. Every line is checked against the chosen jurisdiction's ledger and a line that is not
found is named by its number; the text stays as typed.
"""

import re
import unicodedata

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.models import Jurisdiction
from enterprises.models import Enterprise

from . import selectors
from .models import IncubationCarrier, PlanTaskUnit, PolicyCounselor, TrainingEvent

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CODE_RE = re.compile(r"^[0-9A-Z]{18}$")
SEPARATORS = re.compile(r"[\s,，;；、|]+")
MAX_LINES = 500


def _limit_jurisdiction(form: forms.Form, user) -> None:
    """A county user's form offers their own jurisdiction only."""
    field = form.fields["jurisdiction"]
    if user.is_jurisdiction_bound:
        field.queryset = Jurisdiction.objects.filter(pk=user.jurisdiction_id)
        field.initial = user.jurisdiction_id
        field.empty_label = None


def enterprise_lines(enterprises) -> str:
    """The textarea's text for enterprises already attached: "code name", one a line."""
    return "\n".join(f"{e.credit_code} {e.name}" for e in enterprises)


def _tokens(line: str) -> list[str]:
    return [t for t in SEPARATORS.split(unicodedata.normalize("NFKC", line).strip()) if t]


def resolve_enterprise_lines(text: str, *, queryset) -> tuple[list[Enterprise], list[str]]:
    """The enterprises named in ``text`` (one a line, by credit code or full name) within ``queryset``.

    Returns the enterprises in the order given (without repeats) and one message per line not found.
    A line may carry other columns pasted with it (a number, a contact): its first 18-character code
    decides; without one, the first cell that is an enterprise's full name.
    """
    lines = [(n, line.strip()) for n, line in enumerate((text or "").splitlines(), start=1) if line.strip()]
    if len(lines) > MAX_LINES:
        return [], [_("一次最多填写%(n)d家企业。") % {"n": MAX_LINES}]
    codes, names = set(), set()
    parsed = []
    for number, line in lines:
        tokens = _tokens(line)
        code = next((t.upper() for t in tokens if CODE_RE.match(t.upper())), None)
        parsed.append((number, line, code, tokens))
        if code:
            codes.add(code)
        else:
            names.update(tokens)
    found = list(queryset.filter(credit_code__in=codes)) if codes else []
    by_code = {e.credit_code: e for e in found}
    by_name: dict[str, list[Enterprise]] = {}
    if names:
        for e in queryset.filter(name__in=names):
            by_name.setdefault(e.name, []).append(e)
    result: dict[int, Enterprise] = {}
    errors = []
    for number, line, code, tokens in parsed:
        if code:
            enterprise = by_code.get(code)
            if enterprise is None:
                errors.append(
                    _("第%(n)d行“%(text)s”：本县区台账中没有这个信用代码。") % {"n": number, "text": line}
                )
                continue
        else:
            matches = next((by_name[t] for t in tokens if t in by_name), [])
            if not matches:
                errors.append(
                    _("第%(n)d行“%(text)s”：本县区台账中没有这家企业。") % {"n": number, "text": line}
                )
                continue
            if len(matches) > 1:
                errors.append(
                    _("第%(n)d行“%(text)s”：台账中有多家同名企业，请改填统一社会信用代码。")
                    % {"n": number, "text": line}
                )
                continue
            enterprise = matches[0]
        result.setdefault(enterprise.pk, enterprise)
    return list(result.values()), errors


class _EnterprisesFormMixin:
    """Resolves ``enterprise_lines`` against the ledger of the jurisdiction chosen in the same form."""

    user = None

    def clean(self):
        data = super().clean()
        jurisdiction = data.get("jurisdiction")
        data["enterprises"] = []
        if jurisdiction is None:
            return data
        ledger = Enterprise.objects.for_user(self.user).filter(jurisdiction=jurisdiction)
        enterprises, errors = resolve_enterprise_lines(data.get("enterprise_lines", ""), queryset=ledger)
        if errors:
            self.add_error("enterprise_lines", errors)
        data["enterprises"] = enterprises
        return data

    def service_fields(self) -> dict:
        names = [n for n in self.fields if n != "enterprise_lines"]
        return {**{n: self.cleaned_data[n] for n in names}, "enterprises": self.cleaned_data["enterprises"]}


def _enterprise_lines_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "class": "font-monospace", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "每行一家企业，填统一社会信用代码或企业全称，可从签到表直接粘贴整列；只能填写所选县区台账中的企业。"
        ),
    )


class CarrierForm(forms.ModelForm):
    class Meta:
        model = IncubationCarrier
        fields = ["name", "kind", "level", "jurisdiction", "recognised_on"]
        widgets = {"recognised_on": DATE_INPUT}


class CarrierRevokeForm(forms.Form):
    revoked_on = forms.DateField(label=gettext_lazy("撤销日期"), widget=DATE_INPUT)


class TrainingEventForm(_EnterprisesFormMixin, forms.ModelForm):
    enterprise_lines = _enterprise_lines_field(gettext_lazy("参训企业"))

    class Meta:
        model = TrainingEvent
        fields = ["held_on", "jurisdiction", "topic", "enterprise_lines", "notes"]
        widgets = {"held_on": DATE_INPUT, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        _limit_jurisdiction(self, user)
        if self.instance.pk and not self.is_bound:
            self.initial["enterprise_lines"] = enterprise_lines(self.instance.enterprises.order_by("name"))


class CounselorForm(_EnterprisesFormMixin, forms.ModelForm):
    enterprise_lines = _enterprise_lines_field(gettext_lazy("辅导企业"))

    class Meta:
        model = PolicyCounselor
        fields = ["name", "unit", "phone", "jurisdiction", "enterprise_lines", "active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        _limit_jurisdiction(self, user)
        if self.instance.pk and not self.is_bound:
            self.initial["enterprise_lines"] = enterprise_lines(self.instance.enterprises.order_by("name"))


def _year_choices() -> list[tuple[int, str]]:
    return [(y, _("%(y)d年") % {"y": y}) for y in selectors.reporting_years()]


def _quarter_choices() -> list[tuple[int, str]]:
    return [(q, _("第%(q)d季度") % {"q": q}) for q in (1, 2, 3, 4)]


def _period_fields(form: forms.Form) -> None:
    form.fields["year"] = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=_year_choices())
    form.fields["quarter"] = forms.TypedChoiceField(label=_("季度"), coerce=int, choices=_quarter_choices())


class PeriodForm(forms.Form):
    """The quarter a plan page shows (GET)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _period_fields(self)

    def period(self) -> tuple[int, int]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["year"], self.cleaned_data["quarter"]
        return selectors.current_quarter()


class TaskUnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("任务%(n)d · %(unit)s") % {"n": obj.task.number, "unit": obj.label}


class TaskReportForm(forms.Form):
    task_unit = TaskUnitChoiceField(
        label=gettext_lazy("任务及责任单位"),
        # The units as they are today: a merged unit's reports stay on the task's page.
        queryset=PlanTaskUnit.objects.filter(active_until__isnull=True)
        .select_related("task")
        .order_by("task__number", "id"),
    )
    progress = forms.CharField(
        label=gettext_lazy("进展情况"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "同一单位同一季度只保留一份报告：再次提交将更新原报告，原内容保留在操作日志中。"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _period_fields(self)
        # Year and quarter first, then the text.
        self.order_fields(["task_unit", "year", "quarter", "progress"])


# --- the Little Giant reserve ------------------------------------------------------------------


class LgReservePickForm(forms.Form):
    """Step one of proposing an enterprise that is not on the candidate list: which one (own ledger)."""

    enterprise = forms.CharField(
        label=gettext_lazy("企业"),
        max_length=200,
        help_text=gettext_lazy("填统一社会信用代码或企业全称；只能推荐本县区台账中的企业。"),
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.queryset = queryset

    def clean_enterprise(self) -> Enterprise:
        text = unicodedata.normalize("NFKC", self.cleaned_data["enterprise"]).strip()
        code = text.upper()
        if CODE_RE.match(code):
            found = list(self.queryset.filter(credit_code=code)[:2])
        else:
            found = list(self.queryset.filter(name=text)[:2])
        if not found:
            raise forms.ValidationError(_("本县区台账中没有这家企业：%(text)s") % {"text": text})
        if len(found) > 1:
            raise forms.ValidationError(_("台账中有多家同名企业，请改填统一社会信用代码。"))
        return found[0]


class LgReserveProposeForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("推荐说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("可不填：企业的主要产品、发展情况等，供市科技局参考。"),
    )
    exception_reason = forms.CharField(
        label=gettext_lazy("不符合条件的推荐理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "该企业的数据不符合备案条件：请写明仍推荐的理由（例如数据尚未更新的情况），市科技局确认时可见。"
        ),
    )

    def __init__(self, *args, candidate: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if candidate:
            del self.fields["exception_reason"]


# The text field of each move's form: its label, and whether it must be filled in (the service says so too).
MOVE_REASON_LABELS = {
    "withdraw": gettext_lazy("撤回说明（可不填）"),
    "confirm": gettext_lazy("确认意见（可不填）"),
    "decline": gettext_lazy("不予确认的理由"),
    "remove": gettext_lazy("移出备案的理由"),
}


class LgReserveMoveForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, move: str, required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = MOVE_REASON_LABELS[move]
        self.fields["reason"].required = required
