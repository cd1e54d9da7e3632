"""Official lists (认定/公示名单): reading the province's published list and matching its rows.

    plan = services.official_list_preview(fileobj=f, filename="2024年第一批高企名单.xlsx", kind="hte",
                                          granted_on=date(2024, 11, 30), by=request.user)
    result = services.official_list_import(..., expected_digest=plan.digest)  # exactly that, or refused

Each row is matched to an enterprise of the portal by its credit code, else by its exact normalised name
(NFKC, spaces removed, full-width brackets folded). A malformed code (wrong length, a character outside
the code's alphabet, a wrong check character) is never looked up: the row carries a warning naming its
row and the code as typed (``ParsedRow.code_warning``) and matches by name only. The writes are in
:mod:`incentives.services.official_lists`: a matched row records a qualification through
:func:`enterprises.services.qualification_record` (which gives its rewards); unmatched rows wait for a
reviewer, who links them to an enterprise, creates the enterprise, or ignores them (rows of other
cities). Importing the same file again for the same kind and date changes nothing.

Reading the spreadsheet reuses the ledger importer's helpers (:mod:`enterprises.import_parsing`); only
the header test differs: a list needs an enterprise-name column, the credit code is optional.
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree

from django.core.exceptions import ValidationError
from django.db.models import F, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext as _

from anyang_hte.core.errors import DomainError
from enterprises.identifiers import normalise_credit_code, validate_credit_code
from enterprises.import_parsing import (
    HEADER_SCAN_ROWS,
    CellError,
    FileProblem,
    fold,
    is_blank,
    max_rows,
    normalise_header,
    open_table,
    parse_text,
    row_is_skippable,
    visible,
)
from enterprises.models import Enterprise

from .models import OfficialListRow

__all__ = ["ParsedList", "ParsedRow", "credit_code_warning", "fold_name", "match_rows", "read_official_list"]

CHUNK = 500  # codes / names per look-up query
PROGRESS_EVERY = 500  # rows between two calls of ``progress`` (an import job's progress bar)

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

# --- reading the file --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedRow:
    number: int  # the row number Excel shows
    name: str
    credit_code: str  # normalised (NFKC, upper case, no spaces); not necessarily valid
    certificate_number: str
    typed_code: str = ""  # the code as typed in the file (before normalising), for the reader's eyes
    code_warning: str = ""  # why the code is malformed (length, characters, check character); "" if valid

    @property
    def code_is_valid(self) -> bool:
        return bool(self.credit_code) and not self.code_warning


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


_CODE_ALPHABET = set("0123456789ABCDEFGHJKLMNPQRTUWXY")  # GB 32100-2015


def credit_code_warning(number: int, typed: str, code: str) -> str:
    """Why a list's credit code is malformed, naming the row and the value as typed; "" when valid.

    The verdict is python-stdnum's (``validate_credit_code``); the message says which check failed.
    """
    if not code:
        return ""
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        kind = exc.code
    else:
        return ""
    values = {"r": number, "v": typed}
    if kind == "length":
        return _("第%(r)d行：统一社会信用代码“%(v)s”为%(n)d位，应为18位。") % {**values, "n": len(code)}
    if kind == "checksum":
        return (
            _("第%(r)d行：统一社会信用代码“%(v)s”第18位校验码不符（GB 32100-2015），请核对是否抄错。")
            % values
        )
    illegal = sorted({c for c in code if c not in _CODE_ALPHABET})
    if illegal:
        return _(
            "第%(r)d行：统一社会信用代码“%(v)s”含有不允许的字符%(c)s"
            "（只能是数字和除 I、O、Z、S、V 以外的大写字母）。"
        ) % {**values, "c": "、".join(f"“{c}”" for c in illegal)}
    return (
        _("第%(r)d行：统一社会信用代码“%(v)s”前8位应为数字（登记管理部门、机构类别和行政区划码）。") % values
    )


def _raw_text(values: list, index: int | None) -> str:
    value = values[index] if index is not None and index < len(values) else None
    return "" if is_blank(value) else parse_text(value, None).strip()


_COLUMN_NAMES = {"name": "企业名称", "credit_code": "统一社会信用代码", "certificate_number": "证书编号"}


def _cell(values: list, index: int, key: str, number: int) -> str:
    try:
        text = _raw_text(values, index)  # numbers typed as numbers, dates, neutralised formulas
    except CellError as exc:  # a formula, an unreadable value, control characters
        raise DomainError(
            _("第%(r)d行，“%(c)s”列：%(m)s") % {"r": number, "c": _(_COLUMN_NAMES[key]), "m": exc}
        ) from None
    if not text:
        return ""
    if key == "credit_code":
        text = normalise_credit_code(text)
    if len(text) > _MAX_LENGTHS[key]:
        raise DomainError(
            _("第%(r)d行：“%(v)s”过长，最多%(max)d个字。")
            % {"r": number, "v": text, "max": _MAX_LENGTHS[key]}
        )
    return text


def read_official_list(data: bytes, filename: str, progress=None) -> ParsedList:
    """The rows of a list file (.xlsx or .csv). Raises ``DomainError`` saying what is wrong with it.

    ``progress`` (an import job's) is called with the rows read so far, every ``PROGRESS_EVERY`` rows."""
    missing_header = _("在前%(n)d行中没有找到表头：表头行应包含“企业名称”（或“单位名称”）列。") % {
        "n": HEADER_SCAN_ROWS
    }
    try:
        table = open_table(data, filename, is_header=_is_header, missing_header=missing_header)
        try:
            title, headers, numbered = visible(table.title), table.headers, list(table.rows)
        finally:
            table.close()
    except FileProblem as exc:
        raise DomainError(str(exc)) from exc
    except (csv.Error, ElementTree.ParseError) as exc:
        raise DomainError(_("文件格式有误，无法读取：%(err)s") % {"err": exc}) from exc
    except Exception as exc:  # a hostile file must end in a refusal, never a traceback
        raise DomainError(_("文件内容有误，无法读取，请在 Excel 中重新保存后再导入。")) from exc
    mapping = _header_keys(headers)
    code_index = next((index for index, key in mapping.items() if key == "credit_code"), None)
    rows: list[ParsedRow] = []
    limit = max_rows()
    for number, values in numbered:
        if row_is_skippable(values):
            continue
        cells = {key: _cell(values, index, key, number) for index, key in mapping.items()}
        if not cells.get("name") and not cells.get("credit_code"):
            continue  # a pre-numbered empty row, or one with only a 序号 or a region
        if len(rows) >= limit:
            raise DomainError(_("文件超过%(n)d行数据，请分批导入。") % {"n": limit})
        code = cells.get("credit_code", "")
        typed = _raw_text(values, code_index) if code else ""
        rows.append(
            ParsedRow(
                number=number,
                name=cells.get("name", ""),
                credit_code=code,
                certificate_number=cells.get("certificate_number", ""),
                typed_code=typed,
                code_warning=credit_code_warning(number, typed, code),
            )
        )
        if progress is not None and len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows))
    if not rows:
        raise DomainError(_("名单中没有读到任何企业。"))
    if progress is not None:
        progress(len(rows))
    return ParsedList(title=title, rows=rows)


def parsed_from_rows(rows: list[dict], *, title: str = "") -> ParsedList:
    """A list posted as data (the API): ``rows`` of ``{"name", "credit_code", "certificate_number"}``,
    checked and normalised exactly like a file's cells; row numbers count from 1. Raises ``DomainError``
    naming the row."""
    parsed: list[ParsedRow] = []
    limit = max_rows()
    for number, row in enumerate(rows, start=1):
        if len(parsed) >= limit:
            raise DomainError(_("名单超过%(n)d行数据，请分批导入。") % {"n": limit})
        cells = {}
        for key in ("name", "credit_code", "certificate_number"):
            text = " ".join(str(row.get(key) or "").split())
            if key == "credit_code" and text:
                text = normalise_credit_code(text)
            if len(text) > _MAX_LENGTHS[key]:
                raise DomainError(
                    _("第%(r)d行：“%(v)s”过长，最多%(max)d个字。")
                    % {"r": number, "v": text, "max": _MAX_LENGTHS[key]}
                )
            cells[key] = text
        if not cells["name"] and not cells["credit_code"]:
            raise DomainError(_("第%(r)d行：请填写企业名称或统一社会信用代码。") % {"r": number})
        typed = str(row.get("credit_code") or "").strip()
        parsed.append(
            ParsedRow(
                number=number,
                name=cells["name"],
                credit_code=cells["credit_code"],
                certificate_number=cells["certificate_number"],
                typed_code=typed,
                code_warning=credit_code_warning(number, typed, cells["credit_code"]),
            )
        )
    if not parsed:
        raise DomainError(_("名单中没有读到任何企业。"))
    return ParsedList(title=title, rows=parsed)


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
class Match:
    enterprise: Enterprise | None
    note: str = ""
    by: str = ""  # "code" or "name": how the enterprise was found


def match_rows(rows: list[ParsedRow]) -> dict[int, Match]:
    """Row number → the enterprise it names: by its credit code, else by its exact normalised name.

    A malformed code (``ParsedRow.code_warning``) is never looked up: such a row matches by name only.
    """
    codes = sorted({r.credit_code for r in rows if r.code_is_valid})
    by_code: dict[str, Enterprise] = {}
    for chunk in _chunks(codes):
        by_code.update(
            {
                e.credit_code: e
                for e in Enterprise.objects.filter(credit_code__in=chunk).select_related("jurisdiction")
            }
        )

    def found_by_code(row: ParsedRow) -> Enterprise | None:
        return by_code.get(row.credit_code) if row.code_is_valid else None

    names = sorted({fold_name(r.name) for r in rows if found_by_code(r) is None and r.name})
    by_name: dict[str, list[Enterprise]] = {}
    for chunk in _chunks(names):
        found = (
            Enterprise.objects.select_related("jurisdiction")
            .annotate(folded_name=_folded_name_expression())
            .filter(folded_name__in=chunk)
            .order_by("pk")
        )
        for enterprise in found:
            if fold_name(enterprise.name) in chunk:  # SQL folds brackets and spaces only; check the rest
                by_name.setdefault(fold_name(enterprise.name), []).append(enterprise)
    matches: dict[int, Match] = {}
    for row in rows:
        enterprise = found_by_code(row)
        if enterprise is not None:
            matches[row.number] = Match(enterprise, by="code")
            continue
        candidates = by_name.get(fold_name(row.name), []) if row.name else []
        if len(candidates) == 1:
            enterprise = candidates[0]
            note = ""
            if row.credit_code and row.credit_code != enterprise.credit_code:
                note = _("按名称匹配；名单中的信用代码与系统登记的 %(code)s 不一致，请核对。") % {
                    "code": enterprise.credit_code
                }
            matches[row.number] = Match(enterprise, note, by="name")
        elif len(candidates) > 1:
            matches[row.number] = Match(
                None,
                _("名称对应系统中%(n)d家企业，请手工关联。") % {"n": len(candidates)},
            )
        else:
            matches[row.number] = Match(None)
    return matches
