"""New rows of a ledger import written with COPY on PostgreSQL, with their history rows.

``bulk_create_with_history`` spends most of an import's write in Django's per-field preparation of
each INSERT, and as much again on the history rows. Here the rows are sent as COPY text
(:mod:`anyang_hte.core.pgcopy`) with ids taken from the tables' own sequences, and each gets the history
row ``simple_history``'s ``bulk_history_create`` would write for it: every tracked field, history type
``+``, the user, the change reason, the time. The caller's transaction holds it all: an error
anywhere rolls back the rows, their history and the rest of the import. Nothing here sends
``post_save`` (``bulk_create`` does not either). SQLite keeps ``bulk_create_with_history``.
"""

from typing import Any

from django.conf import settings
from django.db import connection
from simple_history.utils import get_history_model_for_model

from anyang_hte.core.pgcopy import CopyBuffer, next_ids

HISTORY_COLUMNS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def copy_available() -> bool:
    """The database can take COPY (PostgreSQL with psycopg2)."""
    return connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2"


def create_with_history(model, rows: list[dict[str, Any]], *, now, user_id, reason: str) -> list[int]:
    """Insert ``rows`` (field attname → value; every other field takes its default, ``auto_now`` and
    ``auto_now_add`` fields take ``now``) into ``model``'s table with COPY, each with its history row
    (type ``+``, by ``user_id``, ``reason``, at ``now``). Returns the new ids, in the order of ``rows``."""
    if not rows:
        return []
    fields = model._meta.concrete_fields
    pk = model._meta.pk
    constant = {}
    per_row = []  # fields whose default is computed for each row
    for f in fields:
        if f is pk:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            constant[f.attname] = now
        elif callable(getattr(f, "default", None)):
            per_row.append(f)
        else:
            constant[f.attname] = f.get_default()
    out = CopyBuffer(model._meta.db_table, [f.column for f in fields])
    attnames = [f.attname for f in fields]
    known = set(attnames)
    for row in rows:
        if not row.keys() <= known:
            raise ValueError(f"COPY of {model.__name__}: no such fields: {sorted(row.keys() - known)}")

    history_model = (
        get_history_model_for_model(model) if getattr(settings, "SIMPLE_HISTORY_ENABLED", True) else None
    )
    history_out = history_attnames = None
    if history_model is not None:
        history_fields = history_model._meta.concrete_fields
        tracked = {f.attname for f in history_model.tracked_fields}
        unknown = {f.attname for f in history_fields} - tracked - HISTORY_COLUMNS
        if unknown:  # a column added to the history model that this write would not fill
            raise RuntimeError(f"COPY of {model.__name__}: history columns not filled: {sorted(unknown)}")
        history_out = CopyBuffer(history_model._meta.db_table, [f.column for f in history_fields])
        history_attnames = [f.attname for f in history_fields]
        history_constant = {
            "history_date": now,
            "history_change_reason": reason,
            "history_type": "+",
            "history_user_id": user_id,
        }

    with connection.wrap_database_errors, connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg2's own: copy_expert
        ids = next_ids(cursor, model._meta.db_table, len(rows), pk.column)
        history_ids = (
            next_ids(cursor, history_model._meta.db_table, len(rows), history_model._meta.pk.column)
            if history_model is not None
            else []
        )
        for i, (new_id, row) in enumerate(zip(ids, rows, strict=True)):
            values = {**constant, **row, pk.attname: new_id}
            for f in per_row:
                values.setdefault(f.attname, f.get_default())
            out.add([values[a] for a in attnames])
            if history_out is not None:
                values.update(history_constant, history_id=history_ids[i])
                history_out.add([values[a] for a in history_attnames])
        out.copy(cursor)
        if history_out is not None:
            history_out.copy(cursor)
    return ids
