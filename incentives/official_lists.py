"""Official lists (认定/公示名单): the province's published list of certified enterprises.

    result = official_list_import(fileobj=f, filename="2024年第一批高企名单.xlsx", kind="hte",
                                  granted_on=date(2024, 11, 30), by=request.user)

Each row is matched to an enterprise of the portal by its credit code, else by its exact normalised name
(NFKC, spaces removed, full-width brackets folded). A matched row records a qualification through
:func:`enterprises.services.qualification_record`, which runs the rewards engine. Unmatched rows wait
for a reviewer, who links them to an enterprise, creates the enterprise, or ignores them (rows of other
cities). Importing the same file again for the same kind and date changes nothing.

Reading the spreadsheet reuses the ledger importer's helpers (:mod:`enterprises.import_parsing`); only
the header test differs: a list needs an enterprise-name column, the credit code is optional.
"""

import csv
import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree import ElementTree

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import Right, has_right
from enterprises.identifiers import normalise_credit_code
from enterprises.import_parsing import (
    HEADER_SCAN_ROWS,
    MAX_ROWS,
    FileProblem,
    fold,
    is_blank,
    normalise_header,
    open_table,
    parse_text,
    row_is_skippable,
)
from enterprises.models import Enterprise, Qualification, QualificationKind
from enterprises.services import enterprise_create, qualification_record

from .models import OfficialList, OfficialListRow, Reward

__all__ = [
    "OfficialListResult",
    "ParsedList",
    "ParsedRow",
    "fold_name",
    "official_list_import",
    "official_list_row_create",
    "official_list_row_ignore",
    "official_list_row_link",
    "read_official_list",
]

CHUNK = 500  # codes / names per look-up query

# Header texts (after ``normalise_header``: NFKC, no spaces) → column key. Other columns (序号, 所在地,
# 地市, 技术领域, ...) are ignored.
HEADERS = {
    "name": ("企业名称", "单位名称", "企业(单位)名称", "公司名称", "企业全称", "申报单位", "申报企业名称"),
    "credit_code": (
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "统一信用代码",
        "统一社会信用代码(注册号)",
    ),
    "certificate_number": (
        "证书编号",
        "证书号",
        "证书号码",
        "高新技术企业证书编号",
        "登记编号",
        "入库登记编号",
        "入库编号",
        "备案编号",
    ),
}
_HEADER_KEYS = {normalise_header(text): key for key, texts in HEADERS.items() for text in texts}
_NAME_KEYS = {text for text, key in _HEADER_KEYS.items() if key == "name"}
_MAX_LENGTHS = {
    "name": OfficialListRow._meta.get_field("name").max_length,
    "credit_code": OfficialListRow._meta.get_field("credit_code").max_length,
    "certificate_number": OfficialListRow._meta.get_field("certificate_number").max_length,
}

Status = OfficialListRow.Status
RESOLVED = (Status.MATCHED, Status.LINKED, Status.CREATED)
# A row's legal moves after the import: an ignored row (another city's, or ignored by mistake) can
# still be linked or created; a row with an enterprise is final.
ROW_MOVES: dict[str, set[str]] = {
    Status.UNMATCHED: {Status.LINKED, Status.CREATED, Status.IGNORED},
    Status.IGNORED: {Status.LINKED, Status.CREATED},
    Status.MATCHED: set(),
    Status.LINKED: set(),
    Status.CREATED: set(),
}


# --- reading the file --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedRow:
    number: int  # the row number Excel shows
    name: str
    credit_code: str  # normalised (NFKC, upper case, no spaces); not necessarily valid
    certificate_number: str


@dataclass(frozen=True)
class ParsedList:
    title: str  # the title row above the header, if any
    rows: list[ParsedRow]


def _header_keys(values) -> dict[int, str]:
    """Column index → key, for the first column of each known header."""
    mapping: dict[int, str] = {}
    for index, value in enumerate(values):
        key = _HEADER_KEYS.get(normalise_header(value))
        if key and key not in mapping.values():
            mapping[index] = key
    return mapping


def _is_header(values) -> bool:
    return any(normalise_header(v) in _NAME_KEYS for v in values)


def _cell(values: list, index: int, key: str, number: int) -> str:
    value = values[index] if index < len(values) else None
    if is_blank(value):
        return ""
    text = parse_text(value, None)  # numbers typed as numbers, dates, neutralised formulas
    if key == "credit_code":
        text = normalise_credit_code(text)
    if len(text) > _MAX_LENGTHS[key]:
        raise DomainError(
            _("第%(r)d行：“%(v)s”过长，最多%(max)d个字。")
            % {"r": number, "v": text, "max": _MAX_LENGTHS[key]}
        )
    return text


def read_official_list(data: bytes, filename: str) -> ParsedList:
    """The rows of a list file (.xlsx or .csv). Raises ``DomainError`` saying what is wrong with it."""
    missing_header = _("在前%(n)d行中没有找到表头：表头行应包含“企业名称”（或“单位名称”）列。") % {
        "n": HEADER_SCAN_ROWS
    }
    try:
        table = open_table(data, filename, is_header=_is_header, missing_header=missing_header)
        title, headers, numbered = table.title, table.headers, list(table.rows)
        table.close()
    except FileProblem as exc:
        raise DomainError(str(exc)) from exc
    except (csv.Error, ElementTree.ParseError) as exc:
        raise DomainError(_("文件格式有误，无法读取：%(err)s") % {"err": exc}) from exc
    mapping = _header_keys(headers)
    rows: list[ParsedRow] = []
    for number, values in numbered:
        if row_is_skippable(values):
            continue
        cells = {key: _cell(values, index, key, number) for index, key in mapping.items()}
        if not cells.get("name") and not cells.get("credit_code"):
            continue  # a pre-numbered empty row, or one with only a 序号 or a region
        if len(rows) >= MAX_ROWS:
            raise DomainError(_("文件超过%(n)d行数据，请分批导入。") % {"n": MAX_ROWS})
        rows.append(
            ParsedRow(
                number=number,
                name=cells.get("name", ""),
                credit_code=cells.get("credit_code", ""),
                certificate_number=cells.get("certificate_number", ""),
            )
        )
    if not rows:
        raise DomainError(_("名单中没有读到任何企业。"))
    return ParsedList(title=title, rows=rows)


# --- matching ----------------------------------------------------------------------------------


def fold_name(name: str) -> str:
    """The form names are compared in: NFKC (（）→ ()), every space removed."""
    return fold(name or "")


def _folded_name_expression():
    """``fold_name`` for the brackets and spaces, in SQL (SQLite and PostgreSQL alike)."""
    expression = F("name")
    for old, new in (("（", "("), ("）", ")"), (" ", ""), ("\u3000", "")):
        expression = Replace(expression, Value(old), Value(new))
    return expression


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class _Match:
    enterprise: Enterprise | None
    note: str = ""


def _match_rows(rows: list[ParsedRow]) -> dict[int, _Match]:
    """Row number → the enterprise it names (by credit code, else by exact normalised name)."""
    codes = sorted({r.credit_code for r in rows if r.credit_code})
    by_code: dict[str, Enterprise] = {}
    for chunk in _chunks(codes):
        by_code.update({e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=chunk)})
    names = sorted({fold_name(r.name) for r in rows if r.credit_code not in by_code and r.name})
    by_name: dict[str, list[Enterprise]] = {}
    for chunk in _chunks(names):
        found = (
            Enterprise.objects.annotate(folded_name=_folded_name_expression())
            .filter(folded_name__in=chunk)
            .order_by("pk")
        )
        for enterprise in found:
            if fold_name(enterprise.name) in chunk:  # SQL folds brackets and spaces only; check the rest
                by_name.setdefault(fold_name(enterprise.name), []).append(enterprise)
    matches: dict[int, _Match] = {}
    for row in rows:
        if row.credit_code in by_code:
            matches[row.number] = _Match(by_code[row.credit_code])
            continue
        candidates = by_name.get(fold_name(row.name), []) if row.name else []
        if len(candidates) == 1:
            enterprise = candidates[0]
            note = ""
            if row.credit_code and row.credit_code != enterprise.credit_code:
                note = _("按名称匹配；名单中的信用代码与系统登记的 %(code)s 不一致，请核对。") % {
                    "code": enterprise.credit_code
                }
            matches[row.number] = _Match(enterprise, note)
        elif len(candidates) > 1:
            matches[row.number] = _Match(
                None,
                _("名称对应系统中%(n)d家企业，请手工关联。") % {"n": len(candidates)},
            )
        else:
            matches[row.number] = _Match(None)
    return matches


# --- writing -----------------------------------------------------------------------------------


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


def _check_right(by) -> None:
    """``by=None`` is the management command: the shell is trusted."""
    if by is not None and not has_right(by, Right.OFFICIAL_LIST_IMPORT):
        raise DomainError(_("您没有导入认定名单的权限。"))


def _check_kind_and_date(kind: str, granted_on) -> None:
    if kind not in QualificationKind.values:
        raise DomainError(
            _("未知的资质类型“%(k)s”，应为：%(all)s。")
            % {"k": kind, "all": ", ".join(QualificationKind.values)},
            field="kind",
        )
    if not isinstance(granted_on, datetime.date) or isinstance(granted_on, datetime.datetime):
        raise DomainError(_("请填写名单的认定日期。"), field="granted_on")
    if granted_on > timezone.localdate():
        raise DomainError(_("认定日期不能晚于今天。"), field="granted_on")


def _read_bytes(fileobj) -> bytes:
    limit = settings.LEDGER_IMPORT_MAX_BYTES
    data = fileobj.read(limit + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > limit:
        raise DomainError(_("文件超过%(mb).0fMB，请分批导入。") % {"mb": limit / 1024 / 1024})
    if not data:
        raise DomainError(_("文件是空的。"))
    return data


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


def official_list_import(
    *,
    fileobj,
    filename: str,
    kind: str,
    granted_on: datetime.date,
    by,
    title: str = "",
    dry_run: bool = False,
) -> OfficialListResult:
    """Import a list in one transaction: match its rows, record qualifications (and so rewards).

    ``dry_run`` does everything, counts, and rolls it all back. ``by=None`` is the trusted shell.
    """
    _check_right(by)
    _check_kind_and_date(kind, granted_on)
    data = _read_bytes(fileobj)
    checksum = hashlib.sha256(data).hexdigest()
    parsed = read_official_list(data, filename)
    try:
        with transaction.atomic():
            result = _import(
                parsed,
                checksum=checksum,
                filename=filename,
                kind=kind,
                granted_on=granted_on,
                title=(title or "").strip() or parsed.title,
                by=by,
                dry_run=dry_run,
            )
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        raise DomainError(
            _("写入时与其他操作冲突（可能有人同时登记了相同的资质），没有写入任何数据，请重新导入。")
        ) from exc
    return result


def _import(parsed: ParsedList, *, checksum, filename, kind, granted_on, title, by, dry_run):
    lookup = {"checksum": checksum, "kind": kind, "granted_on": granted_on}
    existing = OfficialList.objects.filter(**lookup).first()
    if existing is not None:
        return _existing_result(existing, dry_run=dry_run)
    try:
        with transaction.atomic():
            official_list = OfficialList.objects.create(
                **lookup,
                title=title[: OfficialList._meta.get_field("title").max_length],
                filename=(filename or "")[-255:],
                uploaded_by=by if getattr(by, "pk", None) else None,
            )
    except IntegrityError:  # the same list imported at the same moment by someone else
        return _existing_result(OfficialList.objects.get(**lookup), dry_run=dry_run)

    matches = _match_rows(parsed.rows)
    new_qualification_ids: list[int] = []
    rows: list[OfficialListRow] = []
    for parsed_row in parsed.rows:
        match = matches[parsed_row.number]
        row = OfficialListRow(
            official_list=official_list,
            row_number=parsed_row.number,
            name=parsed_row.name,
            credit_code=parsed_row.credit_code,
            certificate_number=parsed_row.certificate_number,
            status=Status.UNMATCHED,
            note=match.note[:255],
        )
        if match.enterprise is not None:
            qualification, created = _record(
                official_list=official_list,
                enterprise=match.enterprise,
                number=parsed_row.certificate_number,
                by=by,
            )
            if created:
                new_qualification_ids.append(qualification.pk)
            row.status, row.enterprise, row.qualification = Status.MATCHED, match.enterprise, qualification
        rows.append(row)
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
            "kind": kind,
            "granted_on": granted_on.isoformat(),
            "rows": len(rows),
            "matched": official_list.matched,
            "unmatched": official_list.unmatched,
            "new_qualifications": official_list.new_qualifications,
            "new_rewards": official_list.new_rewards,
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
    )


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
    if to not in ROW_MOVES.get(row.status, set()):
        raise DomainError(
            _("第%(r)d行当前状态为“%(now)s”，不能变更为“%(to)s”。")
            % {"r": row.row_number, "now": row.get_status_display(), "to": Status(to).label}
        )
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
