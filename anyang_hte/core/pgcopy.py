"""Rows for PostgreSQL's ``COPY ... FROM STDIN`` (text format), and the ids to give them.

    buffer = CopyBuffer("enterprises_enterprise", ["id", "name", "notes"])
    buffer.add((7, "甲\t公司", None))
    buffer.copy(cursor)  # a psycopg2 cursor: ``connection.cursor().cursor``

COPY is several times cheaper than ``bulk_create`` for many rows: no per-field preparation, no SQL
text, no parameters to bind. It skips everything Django does around a save (``pre_save``, signals,
``auto_now``), so the caller fills every column itself. Used by the ledger import's write of new
enterprises (:mod:`enterprises.services.imports`) and by ``make bench-pages``'s loader.
"""

import datetime
import decimal
import io
import uuid
from collections.abc import Iterable, Sequence

NULL = r"\N"

# The characters COPY's text format reads as delimiters or escapes (PostgreSQL docs, COPY, "Text Format").
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """One value as a field of a COPY text row. ``None`` is NULL; text is escaped; a Decimal is written
    in full (never in exponent form); dates and aware datetimes in ISO form (with their offset). A type
    it does not know is refused rather than guessed."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):  # before int: bool is an int
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"COPY: a non-finite Decimal ({value}) is not a stored amount")
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"COPY: a naive datetime ({value.isoformat()}) would be read in the session's zone"
            )
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"COPY: no text form for {type(value).__name__}")


def copy_row(values: Iterable) -> str:
    """One row: the fields tab-separated, ending with a newline (text and NULL, most of a row, are
    handled inline: this runs for every field of every row)."""
    return (
        "\t".join(
            [v.translate(_ESCAPES) if type(v) is str else NULL if v is None else copy_text(v) for v in values]
        )
        + "\n"
    )


class CopyBuffer:
    """The rows of one table for one COPY, held as text until :meth:`copy` sends them."""

    def __init__(self, table: str, columns: Sequence[str]):
        self.table = table
        self.columns = list(columns)
        self.buffer = io.StringIO()
        self.rows = 0

    def add(self, values: Sequence) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"COPY {self.table}: {len(values)} values for {len(self.columns)} columns")
        self.buffer.write(copy_row(values))
        self.rows += 1

    def copy(self, cursor) -> int:
        """COPY the rows held into the table with ``cursor`` (psycopg2's: ``copy_expert``) and start
        empty again; returns the number of rows sent."""
        sent = self.rows
        if sent:
            self.buffer.seek(0)
            names = ", ".join(f'"{c}"' for c in self.columns)
            cursor.copy_expert(f'COPY "{self.table}" ({names}) FROM STDIN', self.buffer)
        self.buffer = io.StringIO()
        self.rows = 0
        return sent


def next_ids(cursor, table: str, n: int, column: str = "id") -> list[int]:
    """``n`` new values of ``table.column``'s sequence (serial or identity), in one query; they are
    never given out again, whether or not the rows are written."""
    if n <= 0:
        return []
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, n]
    )
    return [row[0] for row in cursor.fetchall()]
