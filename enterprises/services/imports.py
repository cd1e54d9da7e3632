"""Writing a ledger import (:mod:`enterprises.importers`): the whole file, or nothing.

The file is read, checked and written a chunk at a time inside one transaction
(:func:`enterprises.importers.stream_ledger`); an error anywhere in it rolls every chunk back. The
readiness flags of the enterprises written are refreshed after the commit, by tasks. On PostgreSQL a
chunk's new enterprises and new yearly figures, with their history rows, are written with COPY
(:mod:`enterprises.services.import_copy`); on SQLite with ``bulk_create_with_history``. Changes to
existing rows are ``bulk_update_with_history`` on both.
"""

from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import person

from .. import tasks
from ..import_files import FileProblem, read_limited
from ..importers import (
    Changes,
    LedgerImportPlan,
    LedgerImportResult,
    check_import_right,
    stream_ledger,
)
from ..models import AnnualFigures, Enterprise
from ..pinyin import name_initials
from . import import_copy

CHUNK = 1000  # ids per UPDATE ... WHERE pk IN (...)
BATCH = 1000  # rows per INSERT / UPDATE
READINESS_TASK_SIZE = 5000  # enterprise ids per readiness-refresh task
AUDIT_ACTION = "enterprises.ledger.imported"


class _RolledBack(Exception):
    """The file has an error: the chunks written so far are undone."""


@dataclass
class _Written:
    touched: list[int] = field(default_factory=list)  # enterprise ids, for the readiness refresh
    counts: Counter = field(default_factory=Counter)
    known_rows: float | None = None  # the enterprises the planner's statistics count (PostgreSQL)
    since_analyze: int = 0  # enterprises this import added since those statistics


# A large import into a table the planner's statistics call small (an empty ledger, or autovacuum not
# yet run; it cannot see the import's own uncommitted rows anyway) plans each chunk's look-up by credit
# code as a scan of the whole table, every chunk: once the rows added exceed half of what the statistics
# counted (and this many), the import refreshes them inside its own transaction (ANALYZE sees its rows).
ANALYZE_AFTER_ROWS = 5000


def _analyze_if_grown(written: _Written, added: int) -> None:
    written.since_analyze += added
    with connection.cursor() as cursor:
        if written.known_rows is None:
            cursor.execute(
                "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
                [Enterprise._meta.db_table],
            )
            written.known_rows = float(cursor.fetchone()[0])
        if written.since_analyze > max(ANALYZE_AFTER_ROWS, written.known_rows / 2):
            tables = ", ".join(
                connection.ops.quote_name(m._meta.db_table) for m in (Enterprise, AnnualFigures)
            )
            cursor.execute(f"ANALYZE {tables}")
            written.known_rows += written.since_analyze
            written.since_analyze = 0


def apply_ledger_import(plan: LedgerImportPlan, *, by) -> LedgerImportResult:
    """Write a previewed plan's file in one transaction, or nothing. Applying the same plan again changes
    nothing. The file is read again and compared with the database as it is now."""
    check_import_right(by, plan.jurisdiction)
    if plan.errors:
        raise DomainError(
            _("导入文件中有%(n)d处错误，请修改后重新上传；没有写入任何数据。") % {"n": len(plan.errors)}
        )
    applied = LedgerImportPlan(
        filename=plan.filename, jurisdiction=plan.jurisdiction, user=by, keep_rows=0, data=plan.data
    )
    _write_file(applied, by)
    if applied.errors:
        first = applied.errors[0]
        raise DomainError(
            _("%(where)s“%(c)s”：%(m)s")
            % {"where": applied.where(applied.ref_of(first)), "c": first.column, "m": first.message}
        )
    return _result(applied)


def import_ledger_file(
    fileobj, filename: str, *, jurisdiction: Jurisdiction, by, progress=None, expect_digest: str | None = None
) -> LedgerImportPlan:
    """Read, check and write a ledger file in one pass (the command, a confirmed import job): the file
    is compared with the database once, chunk by chunk, and written as it goes; when it has any error,
    nothing stays written and the plan lists them. ``expect_digest``: the preview's
    (``plan.digest``); a file that would now do anything else is refused (``DomainError``), unwritten."""
    check_import_right(by, jurisdiction)
    plan = LedgerImportPlan(filename=filename, jurisdiction=jurisdiction, user=by, keep_rows=0)
    try:
        plan.data = read_limited(fileobj)
    except FileProblem as exc:
        plan.error((-1, 0), None, str(exc))
        return plan
    _write_file(plan, by, progress=progress, expect_digest=expect_digest)
    return plan


def _result(plan: LedgerImportPlan) -> LedgerImportResult:
    return LedgerImportResult(created=plan.created, updated=plan.updated, unchanged=plan.unchanged)


def _write_file(plan: LedgerImportPlan, by, *, progress=None, expect_digest: str | None = None) -> None:
    written = _Written()
    try:
        with transaction.atomic():
            stream_ledger(plan, write=partial(_write, by=by, written=written), progress=progress)
            if plan.errors:
                raise _RolledBack
            if expect_digest is not None and plan.digest != expect_digest:
                raise DomainError(
                    _("台账在预览之后有了变化，导入结果会与预览不同；没有写入任何数据，请重新上传文件预览。")
                )
            result = _result(plan)
            audit_log(
                plan.jurisdiction,
                AUDIT_ACTION,
                by=by,
                data={
                    "filename": plan.filename,
                    "rows": plan.rows_count,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "enterprises_created": written.counts["enterprises_created"],
                    "enterprises_updated": written.counts["enterprises_updated"],
                    "figures_written": written.counts["figures_written"],
                },
            )
            _refresh_readiness_after_commit(written.touched)
    except _RolledBack:
        return
    except IntegrityError as exc:
        raise DomainError(
            _("写入时与其他操作冲突（可能有人同时导入了相同的企业），没有写入任何数据，请重新预览后再导入。")
        ) from exc


def _refresh_readiness_after_commit(touched: list[int]) -> None:
    """The readiness flags are derived data: refreshed once the import is committed, by tasks of
    READINESS_TASK_SIZE enterprises, so a large file does not hold the write transaction (and on SQLite
    the whole database) while they are computed."""
    ids = sorted(set(touched))
    for start in range(0, len(ids), READINESS_TASK_SIZE):
        transaction.on_commit(
            partial(tasks.refresh_readiness.delay, ids[start : start + READINESS_TASK_SIZE]), robust=True
        )


def _chunks(items: list, size: int | None = None):
    size = size or CHUNK  # read at call time (a test may lower it)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(plan: LedgerImportPlan, changes: Changes, *, by, written: _Written) -> None:
    """Write one chunk: its new enterprises, their changed fields and figures, with a history row for
    each change, in a few bulk statements."""
    user = person(by)
    reason = (_("台账导入：%(f)s") % {"f": plan.filename})[:100]
    history = {"batch_size": BATCH, "default_user": user, "default_change_reason": reason}
    now = timezone.now()

    copy = import_copy.copy_available()
    if copy:
        by_code = _copy_new_enterprises(plan, changes, now=now, user=user, reason=reason)
    else:
        by_code = _create_new_enterprises(plan, changes, user=user, history=history)

    updated, fields = [], {"updated_at"}
    for code, keys in changes.enterprise_changes.items():
        enterprise = changes.existing[code]
        for key in keys:
            setattr(enterprise, key, changes.enterprises[code].values[key])
        if "name" in keys:
            enterprise.name_initials = name_initials(enterprise.name)
            fields.add("name_initials")
        enterprise.updated_at = now
        fields.update(keys)
        updated.append(enterprise)
    if updated:
        _bulk_update(updated, Enterprise, fields, history)

    new_figures, updated_figures, figure_fields = [], [], {"updated_at"}
    for key, keys in changes.figure_changes.items():
        draft = changes.figures[key]
        current = changes.current_figures.get(key)
        if current is None:
            enterprise_id = by_code.get(draft.code) or changes.existing[draft.code].pk
            new_figures.append({"enterprise_id": enterprise_id, "year": draft.year, **draft.values})
        else:
            for name in keys:
                setattr(current, name, draft.values[name])
            current.updated_at = now
            figure_fields.update(keys)
            updated_figures.append(current)
    if new_figures and copy:
        import_copy.create_with_history(
            AnnualFigures, new_figures, now=now, user_id=_history_user_id(user), reason=reason
        )
    elif new_figures:
        bulk_create_with_history(
            [AnnualFigures(**values) for values in new_figures], AnnualFigures, **history
        )
    if updated_figures:
        _bulk_update(updated_figures, AnnualFigures, figure_fields, history)
    if copy and by_code:
        _analyze_if_grown(written, len(by_code))

    written.counts["enterprises_created"] += len(by_code)
    written.counts["enterprises_updated"] += len(updated)
    written.counts["figures_written"] += len(changes.figure_changes)
    written.touched.extend(by_code.values())
    written.touched.extend(e.pk for e in updated)
    written.touched.extend(
        by_code.get(code) or changes.existing[code].pk for code, _year in changes.figure_changes
    )


def _new_enterprise_values(plan: LedgerImportPlan, changes: Changes, user) -> list[dict]:
    """The chunk's new enterprises as field values (attnames), in ``changes.new_codes``' order."""
    rows = []
    for code in changes.new_codes:
        values = changes.enterprises[code].values
        rows.append(
            {
                **values,
                "credit_code": code,
                "jurisdiction_id": plan.jurisdiction.pk,
                "created_by_id": user.pk if user is not None else None,
                "name_initials": name_initials(values.get("name", "")),
            }
        )
    return rows


def _create_new_enterprises(
    plan: LedgerImportPlan, changes: Changes, *, user, history: dict
) -> dict[str, int]:
    """``bulk_create_with_history`` (SQLite); returns each new enterprise's id by credit code."""
    new = [Enterprise(**values) for values in _new_enterprise_values(plan, changes, user)]
    if new:
        new = bulk_create_with_history(new, Enterprise, **history)
    return {e.credit_code: e.pk for e in new}


def _copy_new_enterprises(
    plan: LedgerImportPlan, changes: Changes, *, now, user, reason: str
) -> dict[str, int]:
    """COPY (PostgreSQL), with the history rows ``bulk_create_with_history`` would write; returns each new
    enterprise's id by credit code."""
    rows = _new_enterprise_values(plan, changes, user)
    ids = import_copy.create_with_history(
        Enterprise, rows, now=now, user_id=_history_user_id(user), reason=reason
    )
    return {row["credit_code"]: pk for row, pk in zip(rows, ids, strict=True)}


def _history_user_id(user) -> int | None:
    """The history rows' user, as ``bulk_history_create`` picks it: the importing person, else the
    request's logged-in user (simple_history's middleware), else nobody."""
    if user is not None:
        return user.pk
    found = Enterprise.history.model.get_default_history_user(Enterprise())
    return getattr(found, "pk", None)


def _bulk_update(objs: list, model, fields: set[str], history: dict) -> None:
    """``bulk_update_with_history``; a field that every object sets to one value (``updated_at``, a
    helper's name filled down a column) is a plain UPDATE per chunk instead of a CASE per row."""
    varying = []
    for name in sorted(fields):
        values = {getattr(obj, name) for obj in objs}
        if len(values) > 1:
            varying.append(name)
            continue
        (value,) = values
        for chunk in _chunks([obj.pk for obj in objs]):
            model.objects.filter(pk__in=chunk).update(**{name: value})
    bulk_update_with_history(objs, model, varying, **history)  # no fields: history records only
