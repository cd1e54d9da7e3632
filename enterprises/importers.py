"""The county cultivation ledger (培育台账) import preview: read a spreadsheet and say what it would do.

    plan = plan_ledger_import(fileobj, "台账.xlsx", jurisdiction=j, user=request.user)
    if plan.is_valid:
        result = services.apply_ledger_import(plan, by=request.user)

One row is one enterprise (found by its credit code) plus one year of figures (the 年度 column); an
enterprise has one row per year, its own columns repeated (and agreeing). A workbook may instead have
one worksheet per year, named for it (“2024年”). Blank cells never erase data. The import is bound to
one jurisdiction. Parsing lives in :mod:`enterprises.import_parsing`; the write (all or nothing) in
:mod:`enterprises.services.imports`.
"""

import csv
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.guards import guard
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import Right

from .import_files import read_limited
from .import_parsing import (
    COLUMN_BY_KEY,
    COLUMNS,
    CREATED,
    ENTERPRISE_KEYS,
    FIGURE_KEYS,
    FIGURES_FIRST_YEAR,
    FILE_COLUMN,
    UNCHANGED,
    UPDATED,
    CellError,
    FileProblem,
    LedgerSheets,
    Lookups,
    RowCounts,
    RowError,
    Table,
    build_template_workbook,
    is_blank,
    map_headers,
    max_length_of,
    max_rows,
    parse_cell,
    row_is_skippable,
    typed,
)
from .models import AnnualFigures, Enterprise, RDInstitutionLevel, Stage, TechField

CHUNK = 1000  # credit codes / ids per look-up query
PROGRESS_EVERY = 500  # rows between two calls of a preview's ``progress`` (an import job's progress bar)

logger = logging.getLogger(__name__)

INVALID = "invalid"
TEXT_KEYS = tuple(c.key for c in COLUMNS if c.kind == "text")

Ref = tuple[int, int]  # (worksheet index, row number): a row of the file

__all__ = [
    "ENTERPRISE_KEYS",
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
    sheet: str = ""  # the worksheet, in a file with one sheet per year


@dataclass(frozen=True)
class LedgerImportResult:
    created: int
    updated: int
    unchanged: int


@dataclass
class SourceRow:
    number: int
    values: dict[str, Any]  # field → model value, for the non-blank cells that could be read
    sheet: int = 0  # index into LedgerImportPlan.sheets
    valid: bool = True
    bad: set[str] = field(default_factory=set)  # fields whose cell could not be read

    @property
    def ref(self) -> Ref:
        return (self.sheet, self.number)


@dataclass
class _EnterpriseDraft:
    code: str
    first_row: Ref
    rows: list[Ref] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Ref] = field(default_factory=dict)  # field → the row that gave it


@dataclass
class _FiguresDraft:
    code: str
    year: int
    row: Ref
    values: dict[str, Any]


@dataclass
class LedgerImportPlan(RowCounts):
    filename: str
    jurisdiction: Jurisdiction
    user: Any
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)  # the worksheets read, when one per year; else [""]
    ignored_sheets: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # field → header text in the file
    enterprises: dict[str, _EnterpriseDraft] = field(default_factory=dict, repr=False)
    figures: dict[tuple[str, int], _FiguresDraft] = field(default_factory=dict, repr=False)
    row_keys: dict[Ref, tuple[str, int | None]] = field(default_factory=dict, repr=False)
    cells: dict[Ref, dict[str, Any]] = field(default_factory=dict, repr=False)  # the cells as typed

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def by_year(self) -> bool:
        """The file has one worksheet per year."""
        return any(self.sheets)

    def header(self, key: str) -> str:
        return self.headers.get(key) or COLUMN_BY_KEY[key].header

    def sheet_name(self, ref: Ref) -> str:
        return self.sheets[ref[0]] if 0 <= ref[0] < len(self.sheets) else ""

    def where(self, ref: Ref) -> str:
        """第3行, or “2024年”表第3行 in a file with one sheet per year."""
        if self.sheet_name(ref):
            return _("“%(s)s”表第%(r)d行") % {"s": self.sheet_name(ref), "r": ref[1]}
        return _("第%(r)d行") % {"r": ref[1]}

    def row_error(self, ref: Ref, key: str | None, message: str, *, raw=None) -> RowError:
        """An error at a cell; ``raw`` (by default the cell of the file) is shown as it was typed."""
        if raw is None and key:
            raw = self.cells.get(ref, {}).get(key)
        column = self.header(key) if key else FILE_COLUMN
        return RowError(ref[1], column, message, sheet=self.sheet_name(ref), value=typed(raw))

    def error(self, ref: Ref, key: str | None, message: str, *, raw=None) -> None:
        self.errors.append(self.row_error(ref, key, message, raw=raw))

    def ref_of(self, error: RowError) -> Ref:
        return (self.sheets.index(error.sheet) if error.sheet in self.sheets else 0, error.row)


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
    if key == "rd_institution_level":
        return str(RDInstitutionLevel(value).label)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _number(value) -> str:
    """A head count as people write it: 100, 95.5."""
    return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")


def _read_rows(tables: LedgerSheets, plan: LedgerImportPlan, progress=None) -> list[SourceRow]:
    lookups = Lookups()
    lengths = {key: max_length_of(key) for key in TEXT_KEYS}
    rows: list[SourceRow] = []
    for index, table in enumerate(tables):
        plan.sheets.append(table.sheet if tables.by_year else "")
        if not _read_table(table, index, plan, rows, lookups, lengths, progress):
            break
    plan.ignored_sheets = list(tables.ignored)
    if progress is not None:
        progress(len(rows))
    return rows


def _read_table(table: Table, index: int, plan: LedgerImportPlan, rows, lookups, lengths, progress) -> bool:
    """Read one worksheet's rows into ``rows``; False once the file has too many rows."""
    header_ref = (index, table.header_row)
    mapping, ignored, problems = map_headers(table.headers)
    plan.ignored_columns.extend(h for h in ignored if h not in plan.ignored_columns)
    for message in problems:
        plan.error(header_ref, None, message)
    for i, column in mapping.items():
        plan.headers.setdefault(column.key, table.headers[i])
    keys = {column.key for column in mapping.values()}
    limit = max_rows()
    if table.year is not None and not FIGURES_FIRST_YEAR <= table.year <= timezone.localdate().year:
        plan.error(
            header_ref,
            None,
            _("工作表“%(s)s”的年度应在%(low)d年到今年之间，未读取这张表。")
            % {"s": table.sheet, "low": FIGURES_FIRST_YEAR},
        )
        return True
    has_figures = any(COLUMN_BY_KEY[k].kind in ("money", "count", "staff") for k in keys)
    if has_figures and "year" not in keys and table.year is None:
        plan.error(header_ref, None, _("表中有经营数据列，但缺少“年度”列。"))
    for number, values in table.rows:
        if row_is_skippable(values):
            continue
        cells = {
            column: values[i]
            for i, column in mapping.items()
            if i < len(values) and column.key != "seq" and not is_blank(values[i])
        }
        if not cells:
            continue  # a pre-numbered template row with only its 序号
        if len(rows) >= limit:
            plan.error((index, number), None, _("文件超过%(n)d行数据，请分批导入。") % {"n": limit})
            return False
        row = SourceRow(number, {}, sheet=index)
        plan.cells[row.ref] = {column.key: raw for column, raw in cells.items()}
        for column, raw in cells.items():
            try:
                row.values[column.key] = parse_cell(column, raw, lookups, max_length=lengths.get(column.key))
            except CellError as exc:
                plan.error(row.ref, column.key, str(exc))
                row.valid = False
                row.bad.add(column.key)
        if table.year is not None:
            _sheet_year(plan, row, table)
        _check_row(plan, row)
        rows.append(row)
        if progress is not None and len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows))
    return True


def _sheet_year(plan: LedgerImportPlan, row: SourceRow, table: Table) -> None:
    """In a sheet named for a year, a row's 年度 is the sheet's: blank, or the same year."""
    year = row.values.get("year")
    if year is None and "year" not in row.bad:
        row.values["year"] = table.year
    elif year is not None and year != table.year:
        plan.error(
            row.ref,
            "year",
            _("本表“%(s)s”是%(y)d年度的数据，这一行的年度却是%(other)d；请改正年度或移到对应年度的表中。")
            % {"s": table.sheet, "y": table.year, "other": year},
        )
        row.valid = False


def _check_row(plan: LedgerImportPlan, row: SourceRow) -> None:
    values = row.values
    if "credit_code" not in values and "credit_code" not in row.bad:
        plan.error(row.ref, "credit_code", _("请填写统一社会信用代码。"))
        row.valid = False
    place = values.pop("jurisdiction", None)
    if place is not None and place.pk != plan.jurisdiction.pk:
        plan.error(
            row.ref,
            "jurisdiction",
            _("本次导入只能写入%(j)s的企业，这一行填的是%(other)s。")
            % {"j": plan.jurisdiction.name, "other": place.name},
        )
        row.valid = False
    if "year" not in values and "year" not in row.bad and any(k in values for k in FIGURE_KEYS):
        plan.error(row.ref, "year", _("填写了经营数据，请同时填写数据所属的年度。"))
        row.valid = False
    staff, st_staff = values.get("staff_count"), values.get("st_staff_count")
    if staff is not None and st_staff is not None and st_staff > staff:
        plan.error(
            row.ref,
            "st_staff_count",
            _("科技人员数（%(st)s）不能大于职工总数（%(all)s）。")
            % {"st": _number(st_staff), "all": _number(staff)},
        )
        row.valid = False
    rd, domestic = values.get("rd_expense"), values.get("rd_expense_domestic")
    if rd is not None and domestic is not None and domestic > rd:
        plan.error(
            row.ref,
            "rd_expense_domestic",
            _("境内研发费用（%(d)s万元）不能大于研发费用（%(rd)s万元）。")
            % {
                "d": typed(plan.cells[row.ref]["rd_expense_domestic"]),
                "rd": typed(plan.cells[row.ref]["rd_expense"]),
            },
        )
        row.valid = False


# --- preview -----------------------------------------------------------------------------------


def plan_ledger_import(
    fileobj, filename: str, *, jurisdiction: Jurisdiction, user, progress=None
) -> LedgerImportPlan:
    """Read and check the whole file without writing; classify each row and collect every error.

    ``user`` is the person (or the command's SystemActor) who will apply it: the preview shows only
    what they may import. ``progress`` (an import job's) is called with the rows read so far, every
    ``PROGRESS_EVERY`` rows and once at the end of the file.
    """
    check_import_right(user, jurisdiction)
    plan = LedgerImportPlan(filename=filename, jurisdiction=jurisdiction, user=user)
    whole_file = (-1, 0)
    try:
        rows = _read_file(fileobj, filename, plan, progress)
    except FileProblem as exc:
        plan.errors = [plan.row_error(whole_file, None, str(exc))]
        plan.cells.clear()
        return plan
    if not rows and not plan.errors:
        plan.error(whole_file, None, _("文件中只有表头，没有任何数据行。"))
        return plan
    _consolidate(rows, plan)
    changes = diff_with_database(plan)
    plan.errors.extend(changes.errors)
    plan.rows = row_plans(plan, rows, changes)
    order = {plan.header(c.key): i for i, c in enumerate(COLUMNS)}
    sheet_order = {name: i for i, name in enumerate(plan.sheets)}
    plan.errors.sort(key=lambda e: (sheet_order.get(e.sheet, 0), e.row, order.get(e.column, -1)))
    return plan


def _read_file(fileobj, filename: str, plan: LedgerImportPlan, progress=None) -> list[SourceRow]:
    """Every row of the file, read and parsed; a file that cannot be read raises ``FileProblem``."""
    data = read_limited(fileobj)
    try:
        tables = LedgerSheets(data, filename)
        try:
            return _read_rows(tables, plan, progress)
        finally:
            tables.close()
    except FileProblem:
        raise
    except (csv.Error, ElementTree.ParseError) as exc:  # a sheet broken before its header row
        raise FileProblem(_("文件格式有误，无法读取：%(err)s") % {"err": exc}) from exc
    except Exception as exc:  # a hostile file must end in a refusal, never a traceback
        logger.warning("ledger import: unreadable file %r", filename, exc_info=True)
        raise FileProblem(_("文件内容有误，无法读取，请在 Excel 中重新保存后再导入。")) from exc


def _consolidate(rows: list[SourceRow], plan: LedgerImportPlan) -> None:
    """Group rows by credit code: enterprise values must agree, a year may appear once per enterprise."""
    year_rows: dict[tuple[str, int], Ref] = {}
    for row in rows:
        if not row.valid:
            continue
        code = row.values["credit_code"]
        draft = plan.enterprises.get(code) or _EnterpriseDraft(code, row.ref)
        for key in ENTERPRISE_KEYS:
            if key in row.values and key in draft.values and draft.values[key] != row.values[key]:
                plan.error(
                    row.ref,
                    key,
                    _(
                        "与%(r)s同一企业（%(code)s）的“%(col)s”不一致：“%(a)s”与“%(b)s”；企业信息在各行（各年度）应相同。"
                    )
                    % {
                        "r": plan.where(draft.source[key]),
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
                row.ref,
                "year",
                _("同一企业（%(code)s）%(year)d年度的数据已在%(r)s填写。")
                % {"code": code, "year": year, "r": plan.where(year_rows[(code, year)])},
            )
            row.valid = False
        if not row.valid:
            continue
        plan.enterprises[code] = draft
        draft.rows.append(row.ref)
        for key in ENTERPRISE_KEYS:
            if key in row.values and key not in draft.values:
                draft.values[key] = row.values[key]
                draft.source[key] = row.ref
        plan.row_keys[row.ref] = (code, year)
        if year is not None:
            year_rows[(code, year)] = row.ref
            figures = {k: row.values[k] for k in FIGURE_KEYS if k in row.values}
            if figures:
                plan.figures[(code, year)] = _FiguresDraft(code, year, row.ref, figures)


def diff_with_database(plan: LedgerImportPlan) -> Changes:
    """Compare the file with the database (read in chunks): what to create, what to update."""
    changes = Changes()

    def error(ref, key, message):
        changes.errors.append(plan.row_error(ref, key, message))

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
            for ref in draft.rows:
                error(
                    ref,
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
        for problem in _stored_conflicts(draft, current):
            error(draft.row, *problem)
        if current is None:
            changes.figure_changes[key] = list(draft.values)
        else:
            changed = [k for k, v in draft.values.items() if getattr(current, k) != v]
            if changed:
                changes.figure_changes[key] = changed
    return changes


def _stored_conflicts(draft: _FiguresDraft, current: AnnualFigures | None) -> list[tuple[str, str]]:
    """A year's figures from the file against the ones stored for the other fields: (column, reason)."""
    if current is None:
        return []
    new = draft.values
    merged = {k: new[k] if k in new else getattr(current, k) for k in ("staff_count", "st_staff_count")}
    problems = []
    staff, st_staff = merged["staff_count"], merged["st_staff_count"]
    if staff is not None and st_staff is not None and st_staff > staff:
        problems.append(
            (
                "st_staff_count" if "st_staff_count" in new else "staff_count",
                _("科技人员数（%(st)s）不能大于职工总数（%(all)s），其中一项为系统中已登记的%(y)d年度数据。")
                % {"st": _number(st_staff), "all": _number(staff), "y": draft.year},
            )
        )
    rd, domestic = new.get("rd_expense"), new.get("rd_expense_domestic")
    if rd is not None and domestic is None and current.rd_expense_domestic is not None:
        if current.rd_expense_domestic > rd:
            problems.append(
                (
                    "rd_expense",
                    _(
                        "研发费用（%(rd)s元）低于系统中已登记的境内研发费用（%(d)s元）；请同时填写境内研发费用，或先在企业页面修改。"
                    )
                    % {"rd": rd, "d": current.rd_expense_domestic},
                )
            )
    elif domestic is not None and rd is None and current.rd_expense is not None:
        if domestic > current.rd_expense:
            problems.append(
                (
                    "rd_expense_domestic",
                    _(
                        "境内研发费用（%(d)s元）高于系统中已登记的%(y)d年度研发费用（%(rd)s元）；请同时填写研发费用。"
                    )
                    % {"d": domestic, "rd": current.rd_expense, "y": draft.year},
                )
            )
    return problems


def row_plans(plan: LedgerImportPlan, rows: list[SourceRow], changes: Changes) -> list[RowPlan]:
    error_rows = {plan.ref_of(e) for e in plan.errors} | {plan.ref_of(e) for e in changes.errors}
    result = []
    for row in rows:
        ref = row.ref
        code, year = plan.row_keys.get(ref, (row.values.get("credit_code", ""), row.values.get("year")))
        name = row.values.get("name") or ""
        current = changes.existing.get(code)
        if not name and current is not None and current.jurisdiction_id == plan.jurisdiction.pk:
            name = current.name  # never the name of another jurisdiction's enterprise
        sheet = plan.sheet_name(ref)
        if ref in error_rows or ref not in plan.row_keys:
            typed_name = typed(plan.cells.get(ref, {}).get("name")).strip()
            typed_code = code or typed(plan.cells.get(ref, {}).get("credit_code")).strip()
            result.append(RowPlan(row.number, typed_code, name or typed_name, year, INVALID, sheet=sheet))
            continue
        draft = plan.enterprises[code]
        mine = [k for k, r in draft.source.items() if r == ref]
        figures = plan.figures.get((code, year))
        figure_keys = changes.figure_changes.get((code, year), []) if figures and figures.row == ref else []
        if code not in changes.existing:
            action, keys = CREATED, mine + figure_keys
        else:
            keys = [k for k in changes.enterprise_changes.get(code, []) if k in mine] + figure_keys
            action = UPDATED if keys else UNCHANGED
        if figure_keys and (code, year) not in changes.current_figures:
            keys = ["year", *keys]
        ordered = tuple(c.header for c in COLUMNS if c.key in keys)
        result.append(RowPlan(row.number, code, name, year, action, ordered, sheet=sheet))
    return result
