"""What a firm enters itself (企业填报) and its county's confirmation (县区确认).

The firm user (``FIRM_SELF``, its own enterprise only) saves what it typed as a draft, submits it,
withdraws it, and uploads supporting files; the county official of the enterprise's jurisdiction
(``LEDGER_EDIT``) accepts a submission, which changes the ledger through the ledger's own services (so
their checks, field history and audit apply; the history names the firm user who entered the values
beside the official who confirmed them), or returns it with a reason, which keeps what the firm typed
for it to correct and submit again. Nothing a firm enters reaches the ledger without an official seeing
the difference first, and accepting applies only the difference the official saw.

The legal moves are one table (``TRANSITIONS``); every move is audited and tells the other side.
"""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core import uploads
from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import guard
from anyang_hte.core.models import User
from anyang_hte.core.notifications import notify
from anyang_hte.core.roles import Right, Role, person

from .. import submission_diff
from ..models import Enterprise, FirmSubmission, InnovationDraft, SubmissionFile, SubmissionKind
from ..readiness import FIRST_APPLICATION_YEAR, default_application_date, facts_for
from ..readiness.innovation import POINT_FIELDS, innovation_bands
from ._common import change_reason
from .evidence import _check_ip, ip_item_create, ip_item_update
from .figures import FIRST_YEAR, figures_save
from .ledger import enterprise_update

S = FirmSubmission.Status
K = SubmissionKind
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.ACCEPTED, S.RETURNED, S.WITHDRAWN},
    S.RETURNED: {S.SUBMITTED, S.WITHDRAWN},
    S.ACCEPTED: set(),
    S.WITHDRAWN: set(),
}
EDITABLE = frozenset({S.DRAFT, S.RETURNED})
OPEN_KINDS = frozenset({K.FIGURES, K.PROFILE})  # at most one open submission per enterprise (and year)
NOT_OWN = _("企业用户只能办理本企业的事项。")
OTHER_COUNTY = _("该企业不在您所在县区的培育台账中，不能办理。")
INNOVATION_OTHER_FIELDS = ("standard_bonus", "ip_self_developed", "note")

__all__ = [
    "EDITABLE",
    "TRANSITIONS",
    "can_move",
    "innovation_draft_adopt",
    "innovation_draft_save",
    "submission_accept",
    "submission_file_add",
    "submission_file_remove",
    "submission_return",
    "submission_save",
    "submission_submit",
    "submission_withdraw",
    "submission_deliver",
]


def can_move(submission: FirmSubmission, to: str) -> bool:
    return to in TRANSITIONS.get(submission.status, set())


def _ensure_move(submission: FirmSubmission, to: str) -> None:
    if not can_move(submission, to):
        raise DomainError(
            _("这份填报当前状态为“%(now)s”，不能变更为“%(to)s”。")
            % {"now": submission.get_status_display(), "to": S(to).label}
        )


def _firm_guard(by, enterprise_id: int) -> None:
    guard(
        by,
        Right.FIRM_SELF,
        jurisdiction_id=None,
        enterprise_id=enterprise_id,
        reason=_("企业信息由企业用户本人填报，县区在确认时核对。"),
    )


def _county_guard(by, enterprise: Enterprise) -> None:
    guard(
        by,
        Right.LEDGER_EDIT,
        jurisdiction_id=enterprise.jurisdiction_id,
        reason=_("您没有确认企业填报的权限。"),
        scope_reason=OTHER_COUNTY,
    )


def _locked(submission: FirmSubmission) -> FirmSubmission:
    return FirmSubmission.objects.select_for_update().select_related("enterprise").get(pk=submission.pk)


def _county_officials(enterprise: Enterprise):
    return User.objects.filter(
        role=Role.COUNTY_OFFICIAL, jurisdiction_id=enterprise.jurisdiction_id, is_active=True
    )


def _firm_users(submission: FirmSubmission):
    return User.objects.filter(enterprise_id=submission.enterprise_id, role=Role.ENTERPRISE, is_active=True)


def _check_year(kind: str, year) -> int | None:
    if kind != K.FIGURES:
        return None
    if year is None or not FIRST_YEAR <= year <= today().year:
        raise DomainError(
            _("年度应在%(first)s年到%(last)s年之间。") % {"first": FIRST_YEAR, "last": today().year},
            field="year",
        )
    return year


def _check_values(kind: str, values: dict) -> None:
    """The ledger services' own checks that the form does not make (run again when the county accepts)."""
    if kind == K.IP:
        _check_ip({k: v for k, v in values.items() if k in submission_diff.FIELDS[K.IP]})


def _ensure_none_open(submission: FirmSubmission) -> None:
    if submission.kind not in OPEN_KINDS:
        return
    others = FirmSubmission.objects.filter(
        enterprise_id=submission.enterprise_id, kind=submission.kind, status=S.SUBMITTED
    ).exclude(pk=submission.pk)
    if submission.kind == K.FIGURES:
        others = others.filter(year=submission.year)
    if others.exists():
        what = (
            _("%(y)s年的年度数据") % {"y": submission.year}
            if submission.kind == K.FIGURES
            else submission.get_kind_display()
        )
        raise DomainError(
            _("%(what)s已有一份待县区确认的填报；请等待确认，或先撤回那一份。") % {"what": what}
        )


@transaction.atomic
def submission_save(
    *,
    enterprise: Enterprise,
    kind: str,
    data: dict,
    by,
    submission: FirmSubmission | None = None,
    submit: bool = False,
) -> FirmSubmission:
    """Keep what the firm typed (``data``, strings by field name) as a draft, or correct a returned
    submission; ``submit`` sends it to the county as well. A bad value is refused with the field named
    and nothing is stored (the page keeps what was typed)."""
    if kind not in K.values:
        raise DomainError(_("未知的填报内容。"), field="kind")
    if submission is not None:
        submission = _locked(submission)
        enterprise = submission.enterprise
    _firm_guard(by, enterprise.pk)
    if submission is not None:
        if submission.status not in EDITABLE:
            raise DomainError(
                _("这份填报当前状态为“%(now)s”，不能修改。") % {"now": submission.get_status_display()}
            )
        kind = submission.kind
    data = {str(k): ("" if v is None else str(v)) for k, v in (data or {}).items()}
    data = {k: v for k, v in data.items() if k in ("year", *submission_diff.FIELDS[kind])}
    values = submission_diff.parse(kind, enterprise, data)
    year = _check_year(kind, values.get("year"))
    _check_values(kind, values)
    created = submission is None
    if created:
        submission = FirmSubmission(enterprise=enterprise, kind=kind, created_by=person(by))
    submission.data, submission.year = data, year
    submission.save()
    audit_log(
        submission,
        "enterprises.submission.created" if created else "enterprises.submission.updated",
        by=by,
        data={"enterprise": enterprise.pk, "kind": kind, "year": year},
    )
    if submit:
        _submit(submission, by=by)
    return submission


@transaction.atomic
def submission_deliver(*, enterprise: Enterprise, data: dict, by) -> FirmSubmission:
    """A firm's yearly figures delivered by another system (an API client holding ``FIGURES_DELIVER``,
    a tax or statistics system): they arrive as a submission sent to the firm's county, which confirms
    or returns it like the firm's own. Only yearly figures, only of a firm in the client's scope; a bad
    value is refused with the field named and nothing is stored."""
    guard(
        by,
        Right.FIGURES_DELIVER,
        jurisdiction_id=enterprise.jurisdiction_id,
        reason=_("您没有代企业报送年度数据的权限。"),
        scope_reason=OTHER_COUNTY,
    )
    kind = K.FIGURES
    data = {str(k): ("" if v is None else str(v)) for k, v in (data or {}).items()}
    data = {k: v for k, v in data.items() if k in ("year", *submission_diff.FIELDS[kind])}
    values = submission_diff.parse(kind, enterprise, data)
    year = _check_year(kind, values.get("year"))
    _check_values(kind, values)
    submission = FirmSubmission(enterprise=enterprise, kind=kind, created_by=None, data=data, year=year)
    submission.save()
    audit_log(
        submission,
        "enterprises.submission.delivered",
        by=by,
        data={"enterprise": enterprise.pk, "kind": kind, "year": year},
    )
    _submit(submission, by=by)
    return submission


def _submit(submission: FirmSubmission, *, by) -> None:
    _ensure_move(submission, S.SUBMITTED)
    _ensure_none_open(submission)
    resubmitted = submission.status == S.RETURNED
    submission.basis = submission_diff.ledger_snapshot(submission)
    submission.status, submission.submitted_by, submission.submitted_at = (
        S.SUBMITTED,
        person(by),
        timezone.now(),
    )
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError:
        raise DomainError(_("已有一份同样内容的填报待县区确认；请等待确认，或先撤回那一份。")) from None
    audit_log(
        submission,
        "enterprises.submission.resubmitted" if resubmitted else "enterprises.submission.submitted",
        by=by,
        data={"enterprise": submission.enterprise_id, "kind": submission.kind, "year": submission.year},
    )
    notify(
        users=_county_officials(submission.enterprise),
        title=_("%(name)s提交了%(what)s，待确认")
        % {"name": submission.enterprise.name, "what": _what(submission)},
        body=_("请核对与台账的差异后确认或退回。"),
        url=reverse("enterprises:submission_detail", args=[submission.pk]),
    )


def _what(submission: FirmSubmission) -> str:
    if submission.kind == K.FIGURES:
        return _("%(y)s年度数据") % {"y": submission.year}
    return str(submission.get_kind_display())


@transaction.atomic
def submission_submit(*, submission: FirmSubmission, by) -> FirmSubmission:
    """Send a draft (or a corrected returned submission) to the county; its values are checked again."""
    submission = _locked(submission)
    _firm_guard(by, submission.enterprise_id)
    values = submission_diff.parse(submission.kind, submission.enterprise, submission.data)
    _check_year(submission.kind, values.get("year"))
    _check_values(submission.kind, values)
    _submit(submission, by=by)
    return submission


@transaction.atomic
def submission_withdraw(*, submission: FirmSubmission, by) -> FirmSubmission:
    """The firm takes back a draft, a submission not yet decided, or a returned one it will not correct."""
    submission = _locked(submission)
    _firm_guard(by, submission.enterprise_id)
    _ensure_move(submission, S.WITHDRAWN)
    before = submission.status
    submission.status = S.WITHDRAWN
    submission.save(update_fields=["status", "updated_at"])
    audit_log(submission, "enterprises.submission.withdrawn", by=by, data={"from": before})
    return submission


@transaction.atomic
def submission_accept(*, submission: FirmSubmission, by, seen: str) -> FirmSubmission:
    """The county accepts: the fields that differ from the ledger (as the official saw them, ``seen``
    being the diff page's fingerprint) are written through the ledger's services."""
    submission = _locked(submission)
    enterprise = submission.enterprise
    _county_guard(by, enterprise)
    _ensure_move(submission, S.ACCEPTED)
    Enterprise.objects.select_for_update().get(pk=enterprise.pk)  # the ledger holds still from here on
    diff = submission_diff.diff(submission)
    if diff.error is not None:
        raise DomainError(
            _("填报内容未通过台账的校验（%(why)s），请退回企业修改。") % {"why": diff.error.message}
        )
    if seen != diff.seen:
        raise DomainError(_("台账或填报内容在您打开差异页面后已有变化，请核对最新的差异后再确认。"))
    changes = diff.changes
    entered_by = submission.submitted_by
    reason = (_("企业填报人：%(who)s") % {"who": entered_by or _("企业用户")})[:100]
    with change_reason(reason):
        if changes and submission.kind == K.FIGURES:
            figures_save(enterprise=enterprise, year=submission.year, by=by, **changes)
        elif changes and submission.kind == K.PROFILE:
            enterprise_update(enterprise=enterprise, by=by, **changes)
        elif changes and diff.record is not None:
            ip_item_update(item=diff.record, by=by, **changes)
        elif changes:
            ip_item_create(enterprise=enterprise, by=by, **changes)
    rows = {row.name: [row.ledger, row.submitted] for row in diff.rows if row.changed}
    submission.status, submission.decided_by, submission.decided_at = S.ACCEPTED, person(by), timezone.now()
    submission.applied = rows
    submission.save(update_fields=["status", "decided_by", "decided_at", "applied", "updated_at"])
    audit_log(
        submission,
        "enterprises.submission.accepted",
        by=by,
        data={
            "enterprise": enterprise.pk,
            "kind": submission.kind,
            "year": submission.year,
            "entered_by": getattr(entered_by, "pk", None),
            "entered_by_name": str(entered_by or ""),
            "confirmed_by": getattr(person(by), "pk", None),
            "confirmed_by_name": str(person(by) or by),
            "changes": rows,
        },
    )
    notify(
        users=_firm_users(submission),
        title=_("县区已确认您提交的%(what)s") % {"what": _what(submission)},
        body=_("已写入培育台账的项目：%(n)s项。") % {"n": len(rows)},
        url=reverse("firms:submissions"),
    )
    return submission


@transaction.atomic
def submission_return(*, submission: FirmSubmission, by, reason: str) -> FirmSubmission:
    """The county returns a submission with the reason; the firm's input is kept for it to correct."""
    submission = _locked(submission)
    _county_guard(by, submission.enterprise)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请说明退回原因，企业据此修改。"), field="reason")
    _ensure_move(submission, S.RETURNED)
    submission.status, submission.decided_by, submission.decided_at = S.RETURNED, person(by), timezone.now()
    submission.return_reason = reason
    submission.save(update_fields=["status", "decided_by", "decided_at", "return_reason", "updated_at"])
    audit_log(submission, "enterprises.submission.returned", by=by, data={"reason": reason})
    notify(
        users=_firm_users(submission),
        title=_("县区退回了您提交的%(what)s") % {"what": _what(submission)},
        body=_("退回原因：%(reason)s") % {"reason": reason},
        url=reverse("firms:submissions"),
    )
    return submission


@transaction.atomic
def submission_file_add(
    *,
    enterprise: Enterprise,
    kind: str,
    upload,
    by,
    year: int | None = None,
    submission: FirmSubmission | None = None,
) -> SubmissionFile:
    """A supporting file of the firm's own, with the same checks as a reward document (type by name and
    content, size). Stored under a generated name; nothing the client sent reaches the file system."""
    _firm_guard(by, enterprise.pk)
    if kind not in SubmissionFile.Kind.values:
        raise DomainError(_("未知的材料类型。"), field="kind")
    if submission is not None and submission.enterprise_id != enterprise.pk:
        raise DomainError(NOT_OWN, field="submission")
    if year is not None and not FIRST_YEAR <= year <= today().year:
        raise DomainError(
            _("年度应在%(first)s年到%(last)s年之间。") % {"first": FIRST_YEAR, "last": today().year},
            field="year",
        )
    ext = uploads.check_upload(upload)
    item = SubmissionFile(
        enterprise=enterprise,
        submission=submission,
        year=year,
        kind=kind,
        original_name=uploads.original_name(upload),
        size=upload.size,
        uploaded_by=by,
    )
    # Written last, after every check; a failure from here on removes the file again.
    item.file.save(uploads.stored_name(ext), upload, save=False)
    try:
        item.save()
        audit_log(
            item,
            "enterprises.submission_file.added",
            by=by,
            data={"enterprise": enterprise.pk, "kind": kind, "year": year, "name": item.original_name},
        )
    except Exception:
        item.file.storage.delete(item.file.name)
        raise
    return item


# --- the firm's own innovation-capability score, a draft the county may adopt -------------------------


def _application_year(year: int) -> None:
    last = today().year + 1
    if not FIRST_APPLICATION_YEAR <= year <= last:
        raise DomainError(
            _("申报年度应在%(first)s年到%(last)s年之间。") % {"first": FIRST_APPLICATION_YEAR, "last": last},
            field="application_year",
        )


@transaction.atomic
def innovation_draft_save(*, enterprise: Enterprise, application_year: int, by, **points) -> InnovationDraft:
    """The firm scores its own innovation capability (the county's items and bands); a draft only: the
    verdict counts the county's assessment, which may adopt it."""
    unknown = set(points) - set(POINT_FIELDS) - set(INNOVATION_OTHER_FIELDS)
    if unknown:
        raise TypeError(f"unknown innovation fields: {sorted(unknown)}")
    _firm_guard(by, enterprise.pk)
    _application_year(application_year)
    bands = innovation_bands(
        facts_for(enterprise),
        year=application_year,
        on=default_application_date(application_year, today()),
        self_developed=points.get("ip_self_developed"),
    )
    errors = bands.errors(points)
    if errors:
        raise DomainError(
            _("有%(n)s项得分不符合评分档次，未保存。") % {"n": len(errors)},
            errors={name: [reason] for name, reason in errors.items()},
        )
    draft, created = InnovationDraft.objects.select_for_update().get_or_create(
        enterprise=enterprise,
        application_year=application_year,
        defaults={"drafted_at": timezone.now(), "drafted_by": person(by)},
    )
    draft.points = {
        name: (points.get(name) or "").strip() if name == "note" else points.get(name)
        for name in (*POINT_FIELDS, *INNOVATION_OTHER_FIELDS)
    }
    draft.drafted_by, draft.drafted_at = person(by), timezone.now()
    draft.adopted_by, draft.adopted_at = None, None  # a new draft waits for the county again
    draft.save()
    audit_log(
        draft,
        "enterprises.innovation_draft.saved",
        by=by,
        data={"enterprise": enterprise.pk, "application_year": application_year, "points": draft.points},
    )
    return draft


@transaction.atomic
def innovation_draft_adopt(*, enterprise: Enterprise, application_year: int, by, points: dict) -> bool:
    """Mark the firm's draft for ``application_year`` adopted once the county saved its own assessment
    (``points``: what the county saved, to record whether it took the firm's points as they were).
    Returns whether there was a draft waiting."""
    _county_guard(by, enterprise)
    draft = (
        InnovationDraft.objects.select_for_update()
        .filter(enterprise=enterprise, application_year=application_year, adopted_at__isnull=True)
        .first()
    )
    if draft is None:
        return False
    draft.adopted_by, draft.adopted_at = person(by), timezone.now()
    draft.save(update_fields=["adopted_by", "adopted_at"])
    changed = sorted(name for name in POINT_FIELDS if draft.points.get(name) != points.get(name))
    audit_log(
        draft,
        "enterprises.innovation_draft.adopted",
        by=by,
        data={
            "enterprise": enterprise.pk,
            "application_year": application_year,
            "changed_by_county": changed,
        },
    )
    return True


@transaction.atomic
def submission_file_remove(*, item: SubmissionFile, by) -> None:
    """The firm takes back a supporting file it uploaded by mistake, unless the file belongs to a
    submission its county has already accepted (then it is part of what the ledger rests on). The audit
    keeps the file's name and kind."""
    item = SubmissionFile.objects.select_for_update(of=("self",)).select_related("submission").get(pk=item.pk)
    _firm_guard(by, item.enterprise_id)
    if item.submission is not None and item.submission.status == FirmSubmission.Status.ACCEPTED:
        raise DomainError(_("该材料所属的填报已经县区确认，不能删除；如有错误，请联系县区科技部门。"))
    storage, name = item.file.storage, item.file.name
    data = {
        "enterprise": item.enterprise_id,
        "kind": item.kind,
        "year": item.year,
        "name": item.original_name,
    }
    audit_log(item, "enterprises.submission_file.removed", by=by, data=data)
    item.delete()
    transaction.on_commit(lambda: storage.delete(name) if name else None)
