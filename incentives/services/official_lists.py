"""Official lists (认定/公示名单) written: the import, and the reviewer's follow-up on unmatched rows.

Reading and matching the file is :mod:`incentives.official_lists`; what an import would do (the preview
the page shows before anything is written, and that confirming must reproduce exactly) is
:mod:`incentives.services.list_plan`. Only the tech bureau imports lists
(``OFFICIAL_LIST_IMPORT``; the ``import_certified_list`` command acts as the system). A matched row records
its qualification through the ledger's own service, which checks the right again and gives the rewards.
"""

import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import CITY_LEVEL, guard
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import Right, person
from enterprises.import_files import FileProblem, read_limited
from enterprises.models import Enterprise, Qualification, QualificationKind
from enterprises.services import enterprise_create, qualification_record

from ..models import OfficialList, OfficialListRow, Reward
from ..official_lists import parsed_from_rows, read_official_list
from ..workflow import ensure_row_transition
from .list_plan import NEW, ListPlan, plan_official_list

CHUNK = 500  # ids per look-up query
Status = OfficialListRow.Status
RESOLVED = (Status.MATCHED, Status.LINKED, Status.CREATED)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class OfficialListResult:
    list: OfficialList
    matched: int
    unmatched: int
    new_qualifications: int
    new_rewards: int
    unmatched_rows: list[OfficialListRow] = field(default_factory=list)
    already_imported: bool = False  # the same file, kind and date were imported before: nothing changed
    dry_run: bool = False  # nothing was written; ``list`` and the rows exist only in this result
    warnings: list[str] = field(default_factory=list)  # malformed credit codes, one line per row


def _check_right(by) -> None:
    guard(by, Right.OFFICIAL_LIST_IMPORT, jurisdiction_id=CITY_LEVEL, reason=_("您没有导入认定名单的权限。"))


def _check_kind_and_date(kind: str, granted_on) -> None:
    if kind not in QualificationKind.values:
        raise DomainError(
            _("未知的资质类型“%(k)s”，应为：%(all)s。")
            % {"k": kind, "all": ", ".join(QualificationKind.values)},
            field="kind",
        )
    if not isinstance(granted_on, datetime.date) or isinstance(granted_on, datetime.datetime):
        raise DomainError(_("请填写名单的认定日期。"), field="granted_on")
    if granted_on > today():
        raise DomainError(_("认定日期不能晚于今天。"), field="granted_on")


def _read_bytes(fileobj) -> bytes:
    try:
        return read_limited(fileobj)  # IMPORT_MAX_BYTES, read no further
    except FileProblem as exc:
        raise DomainError(str(exc)) from None


def _stale() -> DomainError:
    return DomainError(
        _("名单或台账在预览之后有了变化，导入结果会与预览不同，没有写入任何数据。请查看新的预览后再确认。"),
        field="digest",
    )


def _existing_result(official_list: OfficialList, *, dry_run: bool) -> OfficialListResult:
    unmatched = list(official_list.rows.filter(status=Status.UNMATCHED).order_by("row_number"))
    return OfficialListResult(
        list=official_list,
        matched=official_list.rows.filter(status__in=RESOLVED).count(),
        unmatched=len(unmatched),
        new_qualifications=0,
        new_rewards=0,
        unmatched_rows=unmatched,
        already_imported=True,
        dry_run=dry_run,
        warnings=list(
            official_list.rows.exclude(warning="").order_by("row_number").values_list("warning", flat=True)
        ),
    )


def _record(*, official_list: OfficialList, enterprise: Enterprise, number: str, by):
    """(qualification, whether it is new): nothing new when the enterprise already holds this grant."""
    existing = Qualification.objects.filter(
        enterprise=enterprise, kind=official_list.kind, granted_on=official_list.granted_on
    ).first()
    if existing is not None:
        return existing, False
    qualification = qualification_record(
        enterprise=enterprise,
        kind=official_list.kind,
        granted_on=official_list.granted_on,
        number=number,
        source=Qualification.Source.OFFICIAL_LIST,
        by=by,
    )
    return qualification, True


def _read(*, fileobj, filename: str, kind: str, granted_on, title: str, progress=None) -> tuple:
    """(parsed list, its checksum, its title): the file read, nothing written."""
    _check_kind_and_date(kind, granted_on)
    data = _read_bytes(fileobj)
    parsed = read_official_list(data, filename, progress)
    title = ((title or "").strip() or parsed.title)[: OfficialList._meta.get_field("title").max_length]
    return parsed, hashlib.sha256(data).hexdigest(), title


def official_list_preview(
    *, fileobj, filename: str, kind: str, granted_on: datetime.date, by, title: str = "", progress=None
) -> ListPlan:
    """What importing the list would do now (matches, grants already recorded, the money it creates),
    written nowhere. Its ``digest`` is what ``official_list_import(expected_digest=...)`` confirms.
    ``progress``: an import job's, called with the rows read so far."""
    _check_right(by)
    parsed, checksum, title = _read(
        fileobj=fileobj, filename=filename, kind=kind, granted_on=granted_on, title=title, progress=progress
    )
    return plan_official_list(
        parsed, checksum=checksum, filename=filename, kind=kind, granted_on=granted_on, title=title
    )


def official_list_import(
    *,
    fileobj,
    filename: str,
    kind: str,
    granted_on: datetime.date,
    by,
    title: str = "",
    dry_run: bool = False,
    expected_digest: str = "",
    progress=None,
) -> OfficialListResult:
    """Import a list in one transaction: match its rows, record qualifications (and so rewards).

    ``expected_digest`` (the preview's ``ListPlan.digest``): import exactly what the preview showed, or
    refuse (nothing written) when the file, the ledger or the rules changed since so that the result
    would differ. ``dry_run`` does everything, counts, and rolls it all back.
    """
    _check_right(by)
    parsed, checksum, title = _read(
        fileobj=fileobj, filename=filename, kind=kind, granted_on=granted_on, title=title, progress=progress
    )
    return _import_parsed(
        parsed,
        checksum=checksum,
        filename=filename,
        kind=kind,
        granted_on=granted_on,
        title=title,
        by=by,
        dry_run=dry_run,
        expected_digest=expected_digest,
    )


def official_list_import_rows(
    *, rows: list[dict], kind: str, granted_on: datetime.date, by, title: str = "", dry_run: bool = False
) -> OfficialListResult:
    """Import a list posted as data (the API): the same checks, plan and writes as a file's import. The
    same rows, kind and date posted again change nothing (their checksum is the list's)."""
    _check_right(by)
    _check_kind_and_date(kind, granted_on)
    title = (title or "").strip()[: OfficialList._meta.get_field("title").max_length]
    parsed = parsed_from_rows(rows, title=title)
    canonical = json.dumps(
        [[r.name, r.credit_code, r.certificate_number] for r in parsed.rows], ensure_ascii=False
    )
    checksum = hashlib.sha256(canonical.encode()).hexdigest()
    return _import_parsed(
        parsed,
        checksum=checksum,
        filename="api.json",
        kind=kind,
        granted_on=granted_on,
        title=title or _("接口报送名单"),
        by=by,
        dry_run=dry_run,
        expected_digest="",
    )


def _import_parsed(
    parsed, *, checksum, filename, kind, granted_on, title, by, dry_run: bool, expected_digest: str
) -> OfficialListResult:
    try:
        with transaction.atomic():
            plan = plan_official_list(
                parsed, checksum=checksum, filename=filename, kind=kind, granted_on=granted_on, title=title
            )
            if expected_digest and plan.digest != expected_digest:
                raise _stale()
            result = _import(plan, by=by, dry_run=dry_run, exact=bool(expected_digest))
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        if expected_digest:
            raise _stale() from exc
        raise DomainError(
            _("写入时与其他操作冲突（可能有人同时登记了相同的资质），没有写入任何数据，请重新导入。")
        ) from exc
    return result


def _import(plan: ListPlan, *, by, dry_run: bool, exact: bool) -> OfficialListResult:
    """Write ``plan``; ``exact``: refuse (the caller's transaction rolls back) unless what was written
    is what the plan said: the same new grants and, for each, the same rewards."""
    if plan.already_imported is not None:
        return _existing_result(plan.already_imported, dry_run=dry_run)
    lookup = {"checksum": plan.checksum, "kind": plan.kind, "granted_on": plan.granted_on}
    try:
        with transaction.atomic():
            official_list = OfficialList.objects.create(
                **lookup,
                title=plan.title[: OfficialList._meta.get_field("title").max_length],
                filename=(plan.filename or "")[-255:],
                uploaded_by=person(by),
            )
    except IntegrityError:  # the same list imported at the same moment by someone else
        if exact:
            raise _stale() from None
        return _existing_result(OfficialList.objects.get(**lookup), dry_run=dry_run)

    new_qualification_ids: list[int] = []
    expected: dict[int, list] = {}  # new qualification id → the rewards the plan showed for it
    rows: list[OfficialListRow] = []
    for planned in plan.rows:
        parsed_row = planned.row
        row = OfficialListRow(
            official_list=official_list,
            row_number=parsed_row.number,
            name=parsed_row.name,
            credit_code=parsed_row.credit_code,
            certificate_number=parsed_row.certificate_number,
            status=Status.UNMATCHED,
            note=planned.note[:255],
            warning=planned.warning[:255],
        )
        if planned.enterprise is not None:
            qualification, created = _record(
                official_list=official_list,
                enterprise=planned.enterprise,
                number=parsed_row.certificate_number,
                by=by,
            )
            if exact and created != (planned.outcome == NEW):
                raise _stale()
            if created:
                new_qualification_ids.append(qualification.pk)
                expected[qualification.pk] = sorted((r.rule.pk, r.amount) for r in planned.rewards)
            row.status, row.enterprise, row.qualification = Status.MATCHED, planned.enterprise, qualification
        rows.append(row)
    if exact and _rewards_by_qualification(new_qualification_ids) != {
        pk: rewards for pk, rewards in expected.items() if rewards
    }:
        raise _stale()
    OfficialListRow.objects.bulk_create(rows, batch_size=CHUNK)

    official_list.matched = sum(r.status == Status.MATCHED for r in rows)
    official_list.unmatched = sum(r.status == Status.UNMATCHED for r in rows)
    official_list.new_qualifications = len(new_qualification_ids)
    official_list.new_rewards = _rewards_of(new_qualification_ids)
    official_list.save(update_fields=["matched", "unmatched", "new_qualifications", "new_rewards"])
    audit_log(
        official_list,
        "incentives.official_list.imported",
        by=by,
        data={
            "filename": official_list.filename,
            "kind": plan.kind,
            "granted_on": plan.granted_on.isoformat(),
            "rows": len(rows),
            "matched": official_list.matched,
            "unmatched": official_list.unmatched,
            "new_qualifications": official_list.new_qualifications,
            "new_rewards": official_list.new_rewards,
            "amount": str(plan.amount),
            "warnings": len(plan.warnings),
            "previewed": exact,
        },
    )
    return OfficialListResult(
        list=official_list,
        matched=official_list.matched,
        unmatched=official_list.unmatched,
        new_qualifications=official_list.new_qualifications,
        new_rewards=official_list.new_rewards,
        unmatched_rows=[r for r in rows if r.status == Status.UNMATCHED],
        dry_run=dry_run,
        warnings=plan.warnings,
    )


def _rewards_by_qualification(qualification_ids: list[int]) -> dict[int, list]:
    found: dict[int, list] = {}
    for chunk in _chunks(qualification_ids):
        for q_id, rule_id, amount in Reward.objects.filter(qualification_id__in=chunk).values_list(
            "qualification_id", "rule_id", "amount"
        ):
            found.setdefault(q_id, []).append((rule_id, amount))
    return {pk: sorted(rewards) for pk, rewards in found.items()}


def _rewards_of(qualification_ids: list[int]) -> int:
    return sum(
        Reward.objects.filter(qualification_id__in=chunk).count() for chunk in _chunks(qualification_ids)
    )


# --- the reviewer's follow-up on unmatched rows --------------------------------------------------


def _lock_row(row: OfficialListRow, *, to: str) -> OfficialListRow:
    """Lock the list (its counts are refreshed) and then the row, and check the move."""
    official_list = OfficialList.objects.select_for_update().get(pk=row.official_list_id)
    row = OfficialListRow.objects.select_for_update().get(pk=row.pk)
    row.official_list = official_list
    ensure_row_transition(row, to=to)
    return row


def _refresh_counts(official_list: OfficialList, *, new_qualifications: int = 0, new_rewards: int = 0):
    rows = official_list.rows
    official_list.matched = rows.filter(status__in=RESOLVED).count()
    official_list.unmatched = rows.filter(status=Status.UNMATCHED).count()
    official_list.new_qualifications += new_qualifications
    official_list.new_rewards += new_rewards
    official_list.save(update_fields=["matched", "unmatched", "new_qualifications", "new_rewards"])


def _resolve(row: OfficialListRow, *, enterprise: Enterprise, status: str, by) -> dict:
    """Record the row's qualification for ``enterprise`` and mark the row; returns audit data."""
    official_list = row.official_list
    qualification, created = _record(
        official_list=official_list, enterprise=enterprise, number=row.certificate_number, by=by
    )
    new_rewards = _rewards_of([qualification.pk]) if created else 0
    row.status, row.enterprise, row.qualification = status, enterprise, qualification
    row.save(update_fields=["status", "enterprise", "qualification"])
    _refresh_counts(official_list, new_qualifications=int(created), new_rewards=new_rewards)
    return {
        "list": official_list.pk,
        "row": row.row_number,
        "enterprise": enterprise.pk,
        "qualification": qualification.pk,
        "new_qualification": created,
        "new_rewards": new_rewards,
    }


@transaction.atomic
def official_list_row_link(*, row: OfficialListRow, enterprise: Enterprise, by) -> OfficialListRow:
    """The reviewer says which enterprise an unmatched row names; its qualification is recorded."""
    _check_right(by)
    row = _lock_row(row, to=Status.LINKED)
    data = _resolve(row, enterprise=enterprise, status=Status.LINKED, by=by)
    if row.credit_code and row.credit_code != enterprise.credit_code:
        data["list_credit_code"] = row.credit_code  # the reviewer overrode the list's code
    audit_log(row, "incentives.official_list_row.linked", by=by, data=data)
    return row


@transaction.atomic
def official_list_row_create(
    *, row: OfficialListRow, jurisdiction: Jurisdiction, credit_code: str, by
) -> OfficialListRow:
    """Create the enterprise an unmatched row names (in the jurisdiction the reviewer chose).

    ``credit_code`` blank means the list's own code; either is validated by ``enterprise_create``.
    """
    _check_right(by)
    row = _lock_row(row, to=Status.CREATED)
    if not row.name:
        raise DomainError(_("该行没有企业名称，无法新建企业，请关联到已有企业。"))
    enterprise = enterprise_create(
        credit_code=(credit_code or "").strip() or row.credit_code,
        name=row.name,
        jurisdiction=jurisdiction,
        by=by,
    )
    data = _resolve(row, enterprise=enterprise, status=Status.CREATED, by=by)
    audit_log(row, "incentives.official_list_row.created", by=by, data=data)
    return row


@transaction.atomic
def official_list_row_ignore(*, row: OfficialListRow, by, reason: str) -> OfficialListRow:
    """Set aside a row that concerns no enterprise of the portal (another city's, say)."""
    _check_right(by)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请说明忽略的原因。"), field="reason")
    row = _lock_row(row, to=Status.IGNORED)
    row.status, row.note = Status.IGNORED, reason[: OfficialListRow._meta.get_field("note").max_length]
    row.save(update_fields=["status", "note"])
    _refresh_counts(row.official_list)
    audit_log(
        row,
        "incentives.official_list_row.ignored",
        by=by,
        data={"list": row.official_list_id, "row": row.row_number, "reason": reason},
    )
    return row
