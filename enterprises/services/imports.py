"""Writing a previewed ledger import (:mod:`enterprises.importers`): the whole file, or nothing."""

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import person

from .. import tasks
from ..importers import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Changes,
    LedgerImportPlan,
    LedgerImportResult,
    SourceRow,
    check_import_right,
    diff_with_database,
    row_plans,
)
from ..models import AnnualFigures, Enterprise
from ..pinyin import name_initials

CHUNK = 1000  # ids per UPDATE ... WHERE pk IN (...)
BATCH = 500  # rows per INSERT / UPDATE
READINESS_TASK_SIZE = 5000  # enterprise ids per readiness-refresh task
AUDIT_ACTION = "enterprises.ledger.imported"


def apply_ledger_import(plan: LedgerImportPlan, *, by) -> LedgerImportResult:
    """Write the whole plan in one transaction, or nothing. Applying the same plan again changes nothing."""
    check_import_right(by, plan.jurisdiction)
    if plan.errors:
        raise DomainError(
            _("导入文件中有%(n)d处错误，请修改后重新上传；没有写入任何数据。") % {"n": len(plan.errors)}
        )
    try:
        with transaction.atomic():
            changes = diff_with_database(plan)  # against the database now: a second apply finds nothing
            if changes.errors:
                first = changes.errors[0]
                raise DomainError(
                    _("%(where)s“%(c)s”：%(m)s")
                    % {"where": plan.where(plan.ref_of(first)), "c": first.column, "m": first.message}
                )
            rows = [SourceRow(number, {}, sheet=sheet) for sheet, number in sorted(plan.row_keys)]
            planned = row_plans(plan, rows, changes)
            _write(plan, changes, by)
            result = LedgerImportResult(
                created=sum(r.action == CREATED for r in planned),
                updated=sum(r.action == UPDATED for r in planned),
                unchanged=sum(r.action == UNCHANGED for r in planned),
            )
            audit_log(
                plan.jurisdiction,
                AUDIT_ACTION,
                by=by,
                data={
                    "filename": plan.filename,
                    "rows": len(planned),
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "enterprises_created": len(changes.new_codes),
                    "enterprises_updated": len(changes.enterprise_changes),
                    "figures_written": len(changes.figure_changes),
                },
            )
    except IntegrityError as exc:
        raise DomainError(
            _("写入时与其他操作冲突（可能有人同时导入了相同的企业），没有写入任何数据，请重新预览后再导入。")
        ) from exc
    return result


def _chunks(items: list, size: int | None = None):
    size = size or CHUNK  # read at call time (a test may lower it)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(plan: LedgerImportPlan, changes: Changes, by) -> None:
    user = person(by)
    reason = (_("台账导入：%(f)s") % {"f": plan.filename})[:100]
    history = {"batch_size": BATCH, "default_user": user, "default_change_reason": reason}
    now = timezone.now()

    new = []
    for code in changes.new_codes:
        values = plan.enterprises[code].values
        enterprise = Enterprise(credit_code=code, jurisdiction=plan.jurisdiction, created_by=user, **values)
        enterprise.name_initials = name_initials(enterprise.name)
        new.append(enterprise)
    if new:
        new = bulk_create_with_history(new, Enterprise, **history)
    by_code = {e.credit_code: e for e in new}

    updated, fields = [], {"updated_at"}
    for code, keys in changes.enterprise_changes.items():
        enterprise = changes.existing[code]
        for key in keys:
            setattr(enterprise, key, plan.enterprises[code].values[key])
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
        draft = plan.figures[key]
        current = changes.current_figures.get(key)
        if current is None:
            enterprise = by_code.get(draft.code) or changes.existing[draft.code]
            new_figures.append(AnnualFigures(enterprise=enterprise, year=draft.year, **draft.values))
        else:
            for name in keys:
                setattr(current, name, draft.values[name])
            current.updated_at = now
            figure_fields.update(keys)
            updated_figures.append(current)
    if new_figures:
        bulk_create_with_history(new_figures, AnnualFigures, **history)
    if updated_figures:
        _bulk_update(updated_figures, AnnualFigures, figure_fields, history)

    touched = {e.pk for e in new} | {e.pk for e in updated}
    touched.update((by_code.get(code) or changes.existing[code]).pk for code, _year in changes.figure_changes)
    # The readiness flags are derived data: refresh them once the import is committed, so a large file
    # does not hold the write transaction (and on SQLite the whole database) while they are computed.
    ids = sorted(touched)
    for start in range(0, len(ids), READINESS_TASK_SIZE):
        transaction.on_commit(
            partial(tasks.refresh_readiness.delay, ids[start : start + READINESS_TASK_SIZE]), robust=True
        )


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
