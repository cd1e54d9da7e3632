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
import hashlib
import json
import logging
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
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

CHUNK = 1000  # rows read, checked, looked up (one query for their enterprises) and written together
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


KEY_INDEX = {key: i for i, key in enumerate(ENTERPRISE_KEYS)}


def _pack(ref: Ref) -> int:
    return (ref[0] << 32) | ref[1]


def _unpack(packed: int) -> Ref:
    return (packed >> 32, packed & 0xFFFFFFFF)


class _SeenStore:
    """What later chunks need of each enterprise's earlier rows, in flat arrays (a file may have 200,000
    enterprises; about 250 bytes each): its first row, a 64-bit hash of each enterprise field given and
    the row that gave it (when not the first), the years given, and whether it is new."""

    def __init__(self):
        self.index: dict[str, int] = {}
        self.first = array("q")
        self.mask = array("q")  # bit i: ENTERPRISE_KEYS[i] given
        self.year = array("q")  # the first year given, with its row: year << 48 | packed row; 0: none
        self.new = bytearray()
        self.hashes = array("q")  # len(ENTERPRISE_KEYS) a code
        self.sources: dict[tuple[int, str], int] = {}  # (code, field) → packed row, when not the first
        self.more_years: dict[tuple[int, int], int] = {}  # (code, year) → packed row, after the first

    def get(self, code: str) -> "_Seen | None":
        i = self.index.get(code)
        return None if i is None else _Seen(self, i)

    def __getitem__(self, code: str) -> "_Seen":
        return _Seen(self, self.index[code])

    def add(self, code: str, first: Ref) -> "_Seen":
        i = self.index[code] = len(self.first)
        self.first.append(_pack(first))
        self.mask.append(0)
        self.year.append(0)
        self.new.append(0)
        self.hashes.extend(_NO_HASHES)
        return _Seen(self, i)


_NO_HASHES = array("q", bytes(8 * len(ENTERPRISE_KEYS)))


class _Seen:
    """One enterprise of a :class:`_SeenStore`."""

    __slots__ = ("store", "i")

    def __init__(self, store: _SeenStore, i: int):
        self.store, self.i = store, i

    @property
    def first(self) -> int:
        return self.store.first[self.i]

    @property
    def new(self) -> bool:
        return bool(self.store.new[self.i])

    @new.setter
    def new(self, value: bool) -> None:
        self.store.new[self.i] = int(value)

    def has(self, key: str) -> bool:
        return bool(self.store.mask[self.i] >> KEY_INDEX[key] & 1)

    def agrees(self, key: str, value) -> bool:
        return self.store.hashes[self.i * len(ENTERPRISE_KEYS) + KEY_INDEX[key]] == hash(value)

    def source(self, key: str) -> Ref:
        return _unpack(self.store.sources.get((self.i, key), self.first))

    def give(self, key: str, value, ref: Ref) -> None:
        k = KEY_INDEX[key]
        self.store.mask[self.i] |= 1 << k
        self.store.hashes[self.i * len(ENTERPRISE_KEYS) + k] = hash(value)
        if _pack(ref) != self.first:
            self.store.sources[(self.i, key)] = _pack(ref)

    def year_row(self, year: int) -> Ref | None:
        packed = self.store.year[self.i]
        if packed and packed >> 48 == year:
            return _unpack(packed & 0xFFFFFFFFFFFF)
        packed = self.store.more_years.get((self.i, year))
        return None if packed is None else _unpack(packed)

    def add_year(self, year: int, ref: Ref) -> None:
        if not self.store.year[self.i]:
            self.store.year[self.i] = year << 48 | _pack(ref)
        else:
            self.store.more_years[(self.i, year)] = _pack(ref)


@dataclass
class _Conflict:
    """An enterprise field that disagrees with an earlier chunk's row: its message needs that row's
    value, read again once the file is done (only a file with such an error is read twice)."""

    ref: Ref
    key: str
    code: str
    earlier: Ref
    value: Any


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
class _State:
    seen: _SeenStore = field(default_factory=_SeenStore)
    nameless: dict[str, tuple[_EnterpriseDraft, list[_FiguresDraft]]] = field(default_factory=dict)
    conflicts: list[_Conflict] = field(default_factory=list)


@dataclass
class LedgerImportPlan(RowCounts):
    """What a pass over the file found: the errors, how many rows each action takes, the first
    ``keep_rows`` row plans (all by default) and a digest of every one. The rows themselves are never
    held: the file is read, checked and (when applied) written a chunk of ``CHUNK`` rows at a time."""

    filename: str
    jurisdiction: Jurisdiction
    user: Any
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)  # the worksheets read, when one per year; else [""]
    ignored_sheets: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # field → header text in the file
    counts: Counter = field(default_factory=Counter)  # action → rows
    keep_rows: int | None = None  # row plans kept in ``rows`` (None: all)
    data: bytes = field(default=b"", repr=False)  # the file, read again by the write
    cells: dict[Ref, dict[str, Any]] = field(default_factory=dict, repr=False)  # this chunk's cells as typed
    _digest: Any = field(default_factory=hashlib.sha256, repr=False)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def rows_count(self) -> int:
        return sum(self.counts.values())

    def count(self, action: str) -> int:
        return self.counts[action]

    @property
    def digest(self) -> str:
        """What the plan would do, row by row: a confirmation writes only while this is unchanged."""
        return self._digest.hexdigest()

    def add_row(self, row: RowPlan) -> None:
        self.counts[row.action] += 1
        if self.keep_rows is None or len(self.rows) < self.keep_rows:
            self.rows.append(row)
        line = [row.sheet, row.row, row.credit_code, row.year, row.action, list(row.changed_fields)]
        self._digest.update(json.dumps(line, ensure_ascii=False).encode("utf-8"))

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
    # the chunk's drafts: the enterprise fields no earlier chunk gave, and each year's figures
    enterprises: dict[str, _EnterpriseDraft] = field(default_factory=dict)
    figures: dict[tuple[str, int], _FiguresDraft] = field(default_factory=dict)


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


def _source_rows(tables: LedgerSheets, plan: LedgerImportPlan, progress=None) -> Iterator[SourceRow]:
    """Every data row of the file, parsed and checked on its own, one at a time."""
    lookups = Lookups()
    lengths = {key: max_length_of(key) for key in TEXT_KEYS}
    read = [0]
    for index, table in enumerate(tables):
        plan.sheets.append(table.sheet if tables.by_year else "")
        finished = yield from _read_table(table, index, plan, read, lookups, lengths, progress)
        if not finished:
            break
    plan.ignored_sheets = list(tables.ignored)
    if progress is not None:
        progress(read[0])


def _read_table(table: Table, index: int, plan: LedgerImportPlan, read, lookups, lengths, progress):
    """Yield one worksheet's rows; return False once the file has too many rows."""
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
    columns = [(i, column) for i, column in mapping.items() if column.key != "seq"]
    for number, values in table.rows:
        if row_is_skippable(values):
            continue
        width = len(values)
        cells = {column: values[i] for i, column in columns if i < width and not is_blank(values[i])}
        if not cells:
            continue  # a pre-numbered template row with only its 序号
        if read[0] >= limit:
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
        read[0] += 1
        yield row
        if progress is not None and read[0] % PROGRESS_EVERY == 0:
            progress(read[0])
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


# --- the pass over the file --------------------------------------------------------------------

Writer = Callable[[LedgerImportPlan, Changes], None]


def plan_ledger_import(
    fileobj, filename: str, *, jurisdiction: Jurisdiction, user, progress=None, keep_rows: int | None = None
) -> LedgerImportPlan:
    """Read and check the whole file without writing; classify each row and collect every error.

    ``user`` is the person (or the command's SystemActor) who will apply it: the preview shows only
    what they may import. ``progress`` (an import job's) is called with the rows read so far, every
    ``PROGRESS_EVERY`` rows and once at the end of the file. ``keep_rows`` bounds the row plans kept
    (the counts and the digest cover every row).
    """
    check_import_right(user, jurisdiction)
    plan = LedgerImportPlan(filename=filename, jurisdiction=jurisdiction, user=user, keep_rows=keep_rows)
    try:
        plan.data = read_limited(fileobj)
    except FileProblem as exc:
        _file_problem(plan, exc)
        return plan
    stream_ledger(plan, progress=progress)
    return plan


def stream_ledger(plan: LedgerImportPlan, *, write: Writer | None = None, progress=None) -> LedgerImportPlan:
    """One pass over ``plan.data``: each chunk of ``CHUNK`` rows parsed, checked against the rows before
    it and the database (one look-up per chunk), classified, and handed to ``write`` while the file has
    no error so far. The caller's transaction makes the write all or nothing (a later error rolls it
    back). Memory holds one chunk and a few hashes per enterprise, whatever the file's size."""
    state = _State()
    chunk: list[SourceRow] = []
    try:
        for row in _guarded_rows(plan, progress):
            chunk.append(row)
            if len(chunk) >= CHUNK:
                _chunk(plan, chunk, state, write)
                chunk = []
        _chunk(plan, chunk, state, write)
    except FileProblem as exc:
        _file_problem(plan, exc)
        return plan
    for code, (draft, _figures) in state.nameless.items():
        plan.error(draft.first_row, "name", _("新企业（%(code)s）必须填写企业名称。") % {"code": code})
        plan.counts[CREATED] -= 1
        plan.counts[INVALID] += 1
        plan.rows = [
            RowPlan(r.row, r.credit_code, r.name, r.year, INVALID, sheet=r.sheet)
            if (r.sheet, r.row) == (plan.sheet_name(draft.first_row), draft.first_row[1])
            else r
            for r in plan.rows
        ]
    if state.conflicts:
        _report_conflicts(plan, state.conflicts)
    if not plan.rows_count and not plan.errors:
        plan.error((-1, 0), None, _("文件中只有表头，没有任何数据行。"))
    order = {plan.header(c.key): i for i, c in enumerate(COLUMNS)}
    sheet_order = {name: i for i, name in enumerate(plan.sheets)}
    plan.errors.sort(key=lambda e: (sheet_order.get(e.sheet, 0), e.row, order.get(e.column, -1)))
    return plan


def _file_problem(plan: LedgerImportPlan, exc: FileProblem) -> None:
    plan.errors = [plan.row_error((-1, 0), None, str(exc))]
    plan.rows, plan.counts = [], Counter()
    plan.cells.clear()


def _guarded_rows(plan: LedgerImportPlan, progress=None) -> Iterator[SourceRow]:
    """The file's rows; a file that cannot be read raises ``FileProblem`` (a hostile file ends in a
    refusal, never a traceback). Only the reading is guarded: the database work between rows is not."""
    try:
        tables = LedgerSheets(plan.data, plan.filename)
        try:
            yield from _source_rows(tables, plan, progress)
        finally:
            tables.close()
    except FileProblem:
        raise
    except (csv.Error, ElementTree.ParseError) as exc:  # a sheet broken before its header row
        raise FileProblem(_("文件格式有误，无法读取：%(err)s") % {"err": exc}) from exc
    except Exception as exc:
        logger.warning("ledger import: unreadable file %r", plan.filename, exc_info=True)
        raise FileProblem(_("文件内容有误，无法读取，请在 Excel 中重新保存后再导入。")) from exc


def _chunk(plan: LedgerImportPlan, rows: list[SourceRow], state: _State, write: Writer | None) -> None:
    errors_before = len(plan.errors)
    changes = Changes()
    keys = _consolidate(rows, plan, state, changes)
    _diff(plan, state, changes)
    plan.errors.extend(changes.errors)
    error_rows = {plan.ref_of(e) for e in plan.errors[errors_before:]}
    for row in rows:
        plan.add_row(_row_plan(plan, row, keys, error_rows, state, changes))
    plan.cells.clear()
    if (
        write is not None
        and not plan.errors
        and not state.conflicts
        and (changes.new_codes or changes.enterprise_changes or changes.figure_changes)
    ):
        write(plan, changes)


def _consolidate(
    rows: list[SourceRow], plan: LedgerImportPlan, state: _State, changes: Changes
) -> dict[Ref, tuple[str, int | None]]:
    """Group the chunk's rows by credit code: enterprise values must agree with every earlier row of
    the file, a year may appear once per enterprise. Returns each consolidated row's (code, year)."""
    keys: dict[Ref, tuple[str, int | None]] = {}
    drafts = changes.enterprises
    for row in rows:
        if not row.valid:
            continue
        code = row.values["credit_code"]
        seen = state.seen.get(code)
        draft = drafts.get(code) or _EnterpriseDraft(code, _unpack(seen.first) if seen else row.ref)
        for key in ENTERPRISE_KEYS:
            if key not in row.values:
                continue
            if key in draft.values:
                if draft.values[key] != row.values[key]:
                    _conflict(plan, row, key, code, draft.source[key], draft.values[key])
            elif seen is not None and seen.has(key) and not seen.agrees(key, row.values[key]):
                state.conflicts.append(_Conflict(row.ref, key, code, seen.source(key), row.values[key]))
                row.valid = False
        year = row.values.get("year")
        earlier = seen.year_row(year) if seen is not None and year is not None else None
        if year is not None and earlier is not None:
            plan.error(
                row.ref,
                "year",
                _("同一企业（%(code)s）%(year)d年度的数据已在%(r)s填写。")
                % {"code": code, "year": year, "r": plan.where(earlier)},
            )
            row.valid = False
        if not row.valid:
            continue
        drafts[code] = draft
        if seen is None:
            seen = state.seen.add(code, row.ref)
        draft.rows.append(row.ref)
        for key in ENTERPRISE_KEYS:
            if key in row.values and key not in draft.values and not seen.has(key):
                draft.values[key] = row.values[key]
                draft.source[key] = row.ref
                seen.give(key, row.values[key], row.ref)
        keys[row.ref] = (code, year)
        if year is not None:
            seen.add_year(year, row.ref)
            figures = {k: row.values[k] for k in FIGURE_KEYS if k in row.values}
            if figures:
                changes.figures[(code, year)] = _FiguresDraft(code, year, row.ref, figures)
    return keys


def _conflict(plan: LedgerImportPlan, row: SourceRow, key: str, code: str, earlier: Ref, value) -> None:
    plan.error(
        row.ref,
        key,
        _("与%(r)s同一企业（%(code)s）的“%(col)s”不一致：“%(a)s”与“%(b)s”；企业信息在各行（各年度）应相同。")
        % {
            "r": plan.where(earlier),
            "code": code,
            "col": plan.header(key),
            "a": _display(key, value),
            "b": _display(key, row.values[key]),
        },
    )
    row.valid = False


def _report_conflicts(plan: LedgerImportPlan, conflicts: list[_Conflict]) -> None:
    """The errors of fields that disagree with an earlier chunk's row, with that row's value (the file
    read again, only as far as the last row named)."""
    wanted = {c.earlier for c in conflicts}
    last = max(wanted)
    values: dict[Ref, dict[str, Any]] = {}
    again = LedgerImportPlan(filename=plan.filename, jurisdiction=plan.jurisdiction, user=plan.user)
    again.data = plan.data
    for row in _guarded_rows(again):
        if row.ref in wanted:
            values[row.ref] = row.values
        again.cells.clear()
        if row.ref >= last:
            break
    for c in conflicts:
        row = SourceRow(c.ref[1], {c.key: c.value}, sheet=c.ref[0])
        plan.cells[c.ref] = {}
        _conflict(plan, row, c.key, c.code, c.earlier, values.get(c.earlier, {}).get(c.key, ""))
    plan.cells.clear()
    bad = {c.ref for c in conflicts}
    for index, r in enumerate(plan.rows):
        if (
            plan.sheets.index(r.sheet) if r.sheet in plan.sheets else 0,
            r.row,
        ) in bad and r.action != INVALID:
            plan.counts[r.action] -= 1
            plan.counts[INVALID] += 1
            plan.rows[index] = RowPlan(r.row, r.credit_code, r.name, r.year, INVALID, sheet=r.sheet)


def _diff(plan: LedgerImportPlan, state: _State, changes: Changes) -> None:
    """Compare the chunk with the database (one query for its enterprises, one for their figures)."""

    def error(ref, key, message):
        changes.errors.append(plan.row_error(ref, key, message))

    codes = list(changes.enterprises)
    if codes:
        for enterprise in Enterprise.objects.filter(credit_code__in=codes).order_by():
            changes.existing[enterprise.credit_code] = enterprise
    for code, draft in list(changes.enterprises.items()):
        enterprise = changes.existing.get(code)
        seen = state.seen[code]
        if enterprise is None:
            waiting = state.nameless.pop(code, None)
            if waiting is not None:  # its earlier rows had no name: created with this chunk's rows
                earlier, figures = waiting
                for key, value in earlier.values.items():
                    draft.values.setdefault(key, value)
                for figure in figures:
                    changes.figures.setdefault((code, figure.year), figure)
            elif seen.new:
                continue  # created by an earlier chunk: only a preview (which writes nothing) misses it
            seen.new = True
            if not draft.values.get("name"):  # a later row may give it; else an error at the end
                mine = [key for key in changes.figures if key[0] == code]
                state.nameless[code] = (draft, [changes.figures.pop(key) for key in mine])
                continue
            changes.new_codes.append(code)
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
    years = sorted({year for _code, year in changes.figures})
    if ids and years:
        for figures in AnnualFigures.objects.filter(enterprise_id__in=list(ids), year__in=years).order_by():
            changes.current_figures[(ids[figures.enterprise_id], figures.year)] = figures
    for key, draft in changes.figures.items():
        current = changes.current_figures.get(key)
        for problem in _stored_conflicts(draft, current):
            error(draft.row, *problem)
        if current is None:
            changes.figure_changes[key] = list(draft.values)
        else:
            changed = [k for k, v in draft.values.items() if getattr(current, k) != v]
            if changed:
                changes.figure_changes[key] = changed


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


def _row_plan(
    plan: LedgerImportPlan,
    row: SourceRow,
    keys: dict[Ref, tuple[str, int | None]],
    error_rows: set[Ref],
    state: _State,
    changes: Changes,
) -> RowPlan:
    ref = row.ref
    code, year = keys.get(ref, (row.values.get("credit_code", ""), row.values.get("year")))
    name = row.values.get("name") or ""
    current = changes.existing.get(code)
    if not name and current is not None and current.jurisdiction_id == plan.jurisdiction.pk:
        name = current.name  # never the name of another jurisdiction's enterprise
    sheet = plan.sheet_name(ref)
    if ref in error_rows or ref not in keys or not row.valid:
        typed_name = typed(plan.cells.get(ref, {}).get("name")).strip()
        typed_code = code or typed(plan.cells.get(ref, {}).get("credit_code")).strip()
        return RowPlan(row.number, typed_code, name or typed_name, year, INVALID, sheet=sheet)
    draft = changes.enterprises[code]
    mine = [k for k, r in draft.source.items() if r == ref]
    figures = changes.figures.get((code, year))
    nameless = state.nameless.get(code)
    if figures is None and nameless is not None:
        figures = next((f for f in nameless[1] if f.year == year), None)
    if figures is not None and figures.row == ref:
        figure_keys = changes.figure_changes.get((code, year), list(figures.values) if nameless else [])
    else:
        figure_keys = []
    if state.seen[code].new:
        action, keys_ = CREATED, mine + figure_keys
    else:
        keys_ = [k for k in changes.enterprise_changes.get(code, []) if k in mine] + figure_keys
        action = UPDATED if keys_ else UNCHANGED
    if figure_keys and (code, year) not in changes.current_figures:
        keys_ = ["year", *keys_]
    ordered = tuple(c.header for c in COLUMNS if c.key in keys_)
    return RowPlan(row.number, code, name, year, action, ordered, sheet=sheet)
