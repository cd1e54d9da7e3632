"""The county cultivation ledger (培育台账) import preview: read a spreadsheet and say what it would do.

    plan = plan_ledger_import(fileobj, "台账.xlsx", jurisdiction=j, user=request.user)
    if plan.is_valid:
        result = services.apply_ledger_import(plan, by=request.user)

One row is one enterprise (found by its credit code) plus one year of figures (the 年度 column).
Blank cells never erase data. The import is bound to one jurisdiction. Parsing lives in
:mod:`enterprises.import_parsing`; the write (all or nothing) in :mod:`enterprises.services.imports`.
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

from anyang_hte.core.guards import guard
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import Right

from .import_parsing import (
    COLUMN_BY_KEY,
    COLUMNS,
    CREATED,
    FIGURE_KEYS,
    FILE_COLUMN,
    MAX_ROWS,
    UNCHANGED,
    UPDATED,
    CellError,
    FileProblem,
    Lookups,
    RowCounts,
    RowError,
    Table,
    build_template_workbook,
    is_blank,
    map_headers,
    max_length_of,
    open_table,
    parse_cell,
    row_is_skippable,
)
from .models import AnnualFigures, Enterprise, Stage, TechField

CHUNK = 1000  # credit codes / ids per look-up query

ENTERPRISE_KEYS = (
    "name",
    "tech_field",
    "registered_on",
    "declared_stage",
    "helper_name",
    "helper_phone",
    "planned_year",
    "notes",
)

INVALID = "invalid"

__all__ = [
    "LedgerImportPlan",
    "LedgerImportResult",
    "RowError",
    "RowPlan",
    "build_template_workbook",
    "plan_ledger_import",
]


@dataclass(frozen=True)
class RowPlan:
    row: int
    credit_code: str
    name: str
    year: int | None
    action: str  # created / updated / unchanged / invalid
    changed_fields: tuple[str, ...] = ()  # template header texts


@dataclass(frozen=True)
class LedgerImportResult:
    created: int
    updated: int
    unchanged: int


@dataclass
class SourceRow:
    number: int
    values: dict[str, Any]  # field → model value, for the non-blank cells that could be read
    valid: bool = True
    bad: set[str] = field(default_factory=set)  # fields whose cell could not be read


@dataclass
class _EnterpriseDraft:
    code: str
    first_row: int
    rows: list[int] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    source: dict[str, int] = field(default_factory=dict)  # field → the row that gave it


@dataclass
class _FiguresDraft:
    code: str
    year: int
    row: int
    values: dict[str, Any]


@dataclass
class LedgerImportPlan(RowCounts):
    filename: str
    jurisdiction: Jurisdiction
    user: Any
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # field → header text in the file
    enterprises: dict[str, _EnterpriseDraft] = field(default_factory=dict, repr=False)
    figures: dict[tuple[str, int], _FiguresDraft] = field(default_factory=dict, repr=False)
    row_keys: dict[int, tuple[str, int | None]] = field(default_factory=dict, repr=False)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def header(self, key: str) -> str:
        return self.headers.get(key) or COLUMN_BY_KEY[key].header

    def error(self, row: int, key: str | None, message: str) -> None:
        self.errors.append(RowError(row, self.header(key) if key else FILE_COLUMN, message))


@dataclass
class Changes:
    errors: list[RowError] = field(default_factory=list)
    existing: dict[str, Enterprise] = field(default_factory=dict)
    new_codes: list[str] = field(default_factory=list)
    enterprise_changes: dict[str, list[str]] = field(default_factory=dict)
    current_figures: dict[tuple[str, int], AnnualFigures] = field(default_factory=dict)
    figure_changes: dict[tuple[str, int], list[str]] = field(default_factory=dict)


def check_import_right(user, jurisdiction: Jurisdiction) -> None:
    """``user`` may import into ``jurisdiction``'s ledger (the preview and the write both ask)."""
    guard(
        user,
        Right.LEDGER_IMPORT,
        jurisdiction_id=jurisdiction.pk,
        reason=_("您没有导入培育台账的权限。"),
        scope_reason=_("您不能向%(j)s导入企业台账。") % {"j": jurisdiction.name},
        field="jurisdiction",
    )


def _chunks(items: list, size: int | None = None) -> Iterable[list]:
    size = size or CHUNK  # read at call time (a test may lower it)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _display(key: str, value) -> str:
    if key == "tech_field":
        return str(TechField(value).label)
    if key == "declared_stage":
        return str(Stage(value).label)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_rows(table: Table, plan: LedgerImportPlan) -> list[SourceRow]:
    mapping, plan.ignored_columns, problems = map_headers(table.headers)
    for message in problems:
        plan.error(table.header_row, None, message)
    plan.headers = {column.key: table.headers[index] for index, column in mapping.items()}
    has_figures = any(COLUMN_BY_KEY[k].kind in ("money", "count") for k in plan.headers)
    if has_figures and "year" not in plan.headers:
        plan.error(table.header_row, None, _("表中有经营数据列，但缺少“年度”列。"))
    lookups = Lookups()
    lengths = {key: max_length_of(key) for key in ("name", "helper_name", "helper_phone")}
    rows: list[SourceRow] = []
    for number, values in table.rows:
        if row_is_skippable(values):
            continue
        cells = {
            column: values[index]
            for index, column in mapping.items()
            if index < len(values) and column.key != "seq" and not is_blank(values[index])
        }
        if not cells:
            continue  # a pre-numbered template row with only its 序号
        if len(rows) >= MAX_ROWS:
            plan.error(number, None, _("文件超过%(n)d行数据，请分批导入。") % {"n": MAX_ROWS})
            break
        row = SourceRow(number, {})
        for column, raw in cells.items():
            try:
                row.values[column.key] = parse_cell(column, raw, lookups, max_length=lengths.get(column.key))
            except CellError as exc:
                plan.error(number, column.key, str(exc))
                row.valid = False
                row.bad.add(column.key)
        _check_row(plan, row)
        rows.append(row)
    return rows


def _check_row(plan: LedgerImportPlan, row: SourceRow) -> None:
    values = row.values
    if "credit_code" not in values and "credit_code" not in row.bad:
        plan.error(row.number, "credit_code", _("请填写统一社会信用代码。"))
        row.valid = False
    place = values.pop("jurisdiction", None)
    if place is not None and place.pk != plan.jurisdiction.pk:
        plan.error(
            row.number,
            "jurisdiction",
            _("本次导入只能写入%(j)s的企业，这一行填的是%(other)s。")
            % {"j": plan.jurisdiction.name, "other": place.name},
        )
        row.valid = False
    if "year" not in values and "year" not in row.bad and any(k in values for k in FIGURE_KEYS):
        plan.error(row.number, "year", _("填写了经营数据，请同时填写数据所属的年度。"))
        row.valid = False
    staff, st_staff = values.get("staff_count"), values.get("st_staff_count")
    if staff is not None and st_staff is not None and st_staff > staff:
        plan.error(
            row.number,
            "st_staff_count",
            _("科技人员数（%(st)d）不能大于职工总数（%(all)d）。") % {"st": st_staff, "all": staff},
        )
        row.valid = False


# --- preview -----------------------------------------------------------------------------------


def plan_ledger_import(fileobj, filename: str, *, jurisdiction: Jurisdiction, user) -> LedgerImportPlan:
    """Read and check the whole file without writing; classify each row and collect every error.

    ``user`` is the person (or the command's SystemActor) who will apply it: the preview shows only
    what they may import.
    """
    check_import_right(user, jurisdiction)
    plan = LedgerImportPlan(filename=filename, jurisdiction=jurisdiction, user=user)
    limit = settings.LEDGER_IMPORT_MAX_BYTES
    data = fileobj.read(limit + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > limit:
        plan.error(0, None, _("文件超过%(mb).0fMB，请分批导入。") % {"mb": limit / 1024 / 1024})
        return plan
    if not data:
        plan.error(0, None, _("文件是空的。"))
        return plan
    try:
        table = open_table(data, filename)
    except FileProblem as exc:
        plan.error(0, None, str(exc))
        return plan
    except (csv.Error, ElementTree.ParseError) as exc:  # a sheet broken before its header row
        plan.error(0, None, _("文件格式有误，无法读取：%(err)s") % {"err": exc})
        return plan
    try:
        rows = _read_rows(table, plan)
    except (csv.Error, ElementTree.ParseError) as exc:
        plan.error(0, None, _("文件格式有误，无法读取：%(err)s") % {"err": exc})
        return plan
    finally:
        table.close()
    _consolidate(rows, plan)
    changes = diff_with_database(plan)
    plan.errors.extend(changes.errors)
    plan.rows = row_plans(plan, rows, changes)
    order = {plan.header(c.key): i for i, c in enumerate(COLUMNS)}
    plan.errors.sort(key=lambda e: (e.row, order.get(e.column, -1)))
    return plan


def _consolidate(rows: list[SourceRow], plan: LedgerImportPlan) -> None:
    """Group rows by credit code: enterprise values must agree, a year may appear once per enterprise."""
    year_rows: dict[tuple[str, int], int] = {}
    for row in rows:
        if not row.valid:
            continue
        code = row.values["credit_code"]
        draft = plan.enterprises.get(code) or _EnterpriseDraft(code, row.number)
        for key in ENTERPRISE_KEYS:
            if key in row.values and key in draft.values and draft.values[key] != row.values[key]:
                plan.error(
                    row.number,
                    key,
                    _("与第%(r)d行同一企业（%(code)s）的“%(col)s”不一致：“%(a)s”与“%(b)s”。")
                    % {
                        "r": draft.source[key],
                        "code": code,
                        "col": plan.header(key),
                        "a": _display(key, draft.values[key]),
                        "b": _display(key, row.values[key]),
                    },
                )
                row.valid = False
        year = row.values.get("year")
        if year is not None and (code, year) in year_rows:
            plan.error(
                row.number,
                "year",
                _("同一企业（%(code)s）%(year)d年度的数据已在第%(r)d行填写。")
                % {"code": code, "year": year, "r": year_rows[(code, year)]},
            )
            row.valid = False
        if not row.valid:
            continue
        plan.enterprises[code] = draft
        draft.rows.append(row.number)
        for key in ENTERPRISE_KEYS:
            if key in row.values and key not in draft.values:
                draft.values[key] = row.values[key]
                draft.source[key] = row.number
        plan.row_keys[row.number] = (code, year)
        if year is not None:
            year_rows[(code, year)] = row.number
            figures = {k: row.values[k] for k in FIGURE_KEYS if k in row.values}
            if figures:
                plan.figures[(code, year)] = _FiguresDraft(code, year, row.number, figures)


def diff_with_database(plan: LedgerImportPlan) -> Changes:
    """Compare the file with the database (read in chunks): what to create, what to update."""
    changes = Changes()

    def error(row, key, message):
        changes.errors.append(RowError(row, plan.header(key), message))

    for chunk in _chunks(list(plan.enterprises)):
        for enterprise in Enterprise.objects.filter(credit_code__in=chunk).order_by():
            changes.existing[enterprise.credit_code] = enterprise
    for code, draft in plan.enterprises.items():
        enterprise = changes.existing.get(code)
        if enterprise is None:
            changes.new_codes.append(code)
            if not draft.values.get("name"):
                error(draft.first_row, "name", _("新企业（%(code)s）必须填写企业名称。") % {"code": code})
        elif enterprise.jurisdiction_id != plan.jurisdiction.pk:
            for row in draft.rows:
                error(
                    row,
                    "credit_code",
                    _("统一社会信用代码 %(code)s 已在其他县区登记，不能在%(j)s导入；如有疑问请联系市科技局。")
                    % {"code": code, "j": plan.jurisdiction.name},
                )
        else:
            changed = [k for k, v in draft.values.items() if getattr(enterprise, k) != v]
            if changed:
                changes.enterprise_changes[code] = changed

    ids = {e.pk: code for code, e in changes.existing.items() if e.jurisdiction_id == plan.jurisdiction.pk}
    years = sorted({year for _code, year in plan.figures})
    if ids and years:
        for chunk in _chunks(list(ids)):
            for figures in AnnualFigures.objects.filter(enterprise_id__in=chunk, year__in=years).order_by():
                changes.current_figures[(ids[figures.enterprise_id], figures.year)] = figures
    for key, draft in plan.figures.items():
        current = changes.current_figures.get(key)
        merged = {
            k: getattr(current, k, None) for k in ("staff_count", "st_staff_count", "rd_expense_domestic")
        }
        merged.update(draft.values)
        staff, st_staff = merged["staff_count"], merged["st_staff_count"]
        if staff is not None and st_staff is not None and st_staff > staff:
            error(
                draft.row,
                "st_staff_count" if "st_staff_count" in draft.values else "staff_count",
                _("科技人员数（%(st)d）不能大于职工总数（%(all)d），其中一项为系统中已登记的%(y)d年度数据。")
                % {"st": st_staff, "all": staff, "y": draft.year},
            )
        domestic, rd = merged["rd_expense_domestic"], draft.values.get("rd_expense")
        if domestic is not None and rd is not None and domestic > rd:
            error(
                draft.row,
                "rd_expense",
                _(
                    "研发费用（%(rd)s元）低于系统中已登记的境内研发费用（%(d)s元）；请先在企业页面修改境内研发费用。"
                )
                % {"rd": rd, "d": domestic},
            )
        if current is None:
            changes.figure_changes[key] = list(draft.values)
        else:
            changed = [k for k, v in draft.values.items() if getattr(current, k) != v]
            if changed:
                changes.figure_changes[key] = changed
    return changes


def row_plans(plan: LedgerImportPlan, rows: list[SourceRow], changes: Changes) -> list[RowPlan]:
    error_rows = {e.row for e in plan.errors} | {e.row for e in changes.errors}
    result = []
    for row in rows:
        code, year = plan.row_keys.get(
            row.number, (row.values.get("credit_code", ""), row.values.get("year"))
        )
        name = row.values.get("name") or ""
        current = changes.existing.get(code)
        if not name and current is not None and current.jurisdiction_id == plan.jurisdiction.pk:
            name = current.name  # never the name of another jurisdiction's enterprise
        if row.number in error_rows or row.number not in plan.row_keys:
            result.append(RowPlan(row.number, code, name, year, INVALID))
            continue
        draft = plan.enterprises[code]
        mine = [k for k, r in draft.source.items() if r == row.number]
        figures = plan.figures.get((code, year))
        figure_keys = (
            changes.figure_changes.get((code, year), []) if figures and figures.row == row.number else []
        )
        if code not in changes.existing:
            action, keys = CREATED, mine + figure_keys
        else:
            keys = [k for k in changes.enterprise_changes.get(code, []) if k in mine] + figure_keys
            action = UPDATED if keys else UNCHANGED
        if figure_keys and (code, year) not in changes.current_figures:
            keys = ["year", *keys]
        ordered = tuple(c.header for c in COLUMNS if c.key in keys)
        result.append(RowPlan(row.number, code, name, year, action, ordered))
    return result
