"""A firm's submission read through the ledger's own forms: what it means, and how it differs from the
ledger.

``data`` keeps what the firm typed; ``parse`` runs it through the same form the county uses (so a bad
value is refused per field, with the form's words), and ``diff`` sets each parsed value beside the
ledger's: the county sees the difference before it accepts, and accepting writes only the fields that
differ (a field left empty changes nothing; a submission never blanks a ledger value).
"""

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from anyang_hte.core.errors import DomainError
from anyang_hte.core.money import yuan_to_wan

from .forms import PROFILE_FIELDS, FirmFiguresForm, IPItemForm, ProfileForm
from .models import (
    AnnualFigures,
    Enterprise,
    FirmSubmission,
    InnovationAssessment,
    IntellectualProperty,
    SubmissionKind,
)
from .readiness.innovation import POINT_FIELDS, score_of
from .services.evidence import IP_FIELDS
from .services.figures import FIGURE_FIELDS

K = SubmissionKind
MONEY_FIELDS = frozenset(FIGURE_FIELDS) - {
    "staff_count",
    "st_staff_count",
    "ip_class1_count",
    "ip_class2_count",
    "conversions_count",
}
FIELDS = {K.FIGURES: FIGURE_FIELDS, K.PROFILE: PROFILE_FIELDS, K.IP: IP_FIELDS}


def form_for(kind: str, enterprise: Enterprise, data=None, **kwargs):
    """The ledger form for ``kind``, bound to ``data`` (what the firm typed) when given."""
    if kind == K.FIGURES:
        return FirmFiguresForm(data, enterprise=enterprise, **kwargs)
    if kind == K.PROFILE:
        return ProfileForm(data, **kwargs)
    if kind == K.IP:
        return IPItemForm(data, **kwargs)
    raise DomainError(_("未知的填报内容。"), field="kind")


def typed(kind: str, post) -> dict:
    """What the firm typed for ``kind``'s fields, as strings (the form's own field names)."""
    names = ("year", *FIELDS[kind]) if kind == K.FIGURES else FIELDS[kind]
    return {name: (post.get(name) or "").strip() for name in names}


def parse(kind: str, enterprise: Enterprise, data: dict) -> dict:
    """The values ``data`` means, by the ledger form's rules; refuses with every bad field named."""
    form = form_for(kind, enterprise, data)
    if not form.is_valid():
        errors = {(None if name == "__all__" else name): list(msgs) for name, msgs in form.errors.items()}
        raise DomainError(
            _("有%(n)s项填写有误，请按提示修改。") % {"n": len(errors)},
            errors=errors,
        )
    return dict(form.cleaned_data)


def display(name: str, value) -> str:
    """A value as the county reads it: money in 万元, head counts without trailing zeros, labels."""
    if value is None or value == "":
        return "—"
    if name in MONEY_FIELDS:
        return format(yuan_to_wan(value), "f")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime.date):
        return value.isoformat()
    choices = {
        "kind": IntellectualProperty._meta.get_field("kind"),
        "acquisition": IntellectualProperty._meta.get_field("acquisition"),
        "rd_institution_level": Enterprise._meta.get_field("rd_institution_level"),
        "tech_field": Enterprise._meta.get_field("tech_field"),
    }
    if name in choices:
        return str(dict(choices[name].flatchoices).get(value, value))
    return str(value)


def ledger_record(submission: FirmSubmission, values: dict | None = None):
    """The ledger row the submission would change: the year's figures, the enterprise itself, or the IP
    item of the same kind and number (None: the submission adds a new row)."""
    enterprise = submission.enterprise
    if submission.kind == K.FIGURES:
        year = (values or {}).get("year") or submission.year
        return AnnualFigures.objects.filter(enterprise=enterprise, year=year).first()
    if submission.kind == K.PROFILE:
        return Enterprise.objects.get(pk=enterprise.pk)
    values = values or {}
    return IntellectualProperty.objects.filter(
        enterprise=enterprise, kind=values.get("kind"), number=values.get("number")
    ).first()


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    ledger: str  # the ledger's value now, for reading
    submitted: str  # the firm's value, for reading ("—": left empty, the ledger keeps its value)
    changed: bool  # accepting writes this field
    moved: bool  # the ledger changed this field after the firm submitted
    value: object = None  # the parsed value accepting writes


@dataclass(frozen=True)
class Diff:
    rows: list[Row]
    record: object  # the ledger row compared against (None: a new row)
    error: DomainError | None = None  # the typed values no longer pass the form (shown, not applied)

    @property
    def changes(self) -> dict:
        return {row.name: row.value for row in self.rows if row.changed}

    @property
    def changed_count(self) -> int:
        return sum(1 for row in self.rows if row.changed)

    @property
    def seen(self) -> str:
        """A fingerprint of what the page showed; accepting checks it so it applies only what was seen."""
        shown = [(row.name, row.ledger, row.submitted, row.changed) for row in self.rows]
        return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()[:32]


def ledger_snapshot(submission: FirmSubmission) -> dict:
    """The ledger's values for the submission's fields as text (stored as ``basis`` on submitting)."""
    try:
        values = parse(submission.kind, submission.enterprise, submission.data)
    except DomainError:
        values = {}
    record = ledger_record(submission, values)
    return {name: display(name, getattr(record, name, None)) for name in FIELDS[submission.kind]}


def diff(submission: FirmSubmission) -> Diff:
    """Each field: the ledger's value now, the firm's, whether accepting writes it, whether the ledger
    moved since the firm submitted."""
    form = form_for(submission.kind, submission.enterprise)
    try:
        values, error = parse(submission.kind, submission.enterprise, submission.data), None
    except DomainError as exc:
        values, error = {}, exc
    record = ledger_record(submission, values)
    rows = []
    for name in FIELDS[submission.kind]:
        ledger_value = getattr(record, name, None) if record is not None else None
        value = values.get(name)
        given = value is not None and value != ""
        ledger_text = display(name, ledger_value)
        rows.append(
            Row(
                name=name,
                label=str(form.fields[name].label),
                ledger=ledger_text,
                submitted=display(name, value) if given else "—",
                changed=given and value != ledger_value,
                moved=bool(submission.basis) and submission.basis.get(name, ledger_text) != ledger_text,
                value=value,
            )
        )
    return Diff(rows=rows, record=record, error=error)


def innovation_draft_rows(draft) -> list[tuple[str, str]]:
    """The firm's self-scored items as (item, points) for the county's scoring page."""
    if draft is None:
        return []
    rows = []
    for name in POINT_FIELDS:
        rows.append((str(InnovationAssessment._meta.get_field(name).verbose_name), draft.points.get(name)))
    if draft.points.get("standard_bonus"):
        rows.append((str(InnovationAssessment._meta.get_field("standard_bonus").verbose_name), _("是")))
    if draft.points.get("note"):
        rows.append((_("企业说明"), draft.points["note"]))
    return rows


def innovation_draft_total(draft) -> int | None:
    """The draft's total by the county's own arithmetic (None: an item is not scored)."""
    if draft is None or any(draft.points.get(name) is None for name in POINT_FIELDS):
        return None
    return score_of(draft.points).total
