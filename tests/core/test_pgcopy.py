"""COPY text rows (anyang_hte.core.pgcopy): the escaping on its own (every database), and on PostgreSQL
that awkward values come back from a COPY exactly as they went in."""

import datetime
import decimal
import zoneinfo

import pytest
from django.db import connection

from anyang_hte.core.pgcopy import CopyBuffer, copy_row, copy_text, next_ids

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is PostgreSQL's; SQLite keeps bulk_create"
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_text_is_escaped():
    assert copy_text("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert copy_text("引号\"与'单引号") == "引号\"与'单引号"
    assert copy_text("\\N") == "\\\\N"  # the text \N is not NULL
    assert copy_text("") == ""


def test_values_by_type():
    assert copy_text(None) == r"\N"
    assert copy_text(True) == "t" and copy_text(False) == "f"
    assert copy_text(12) == "12"
    assert copy_text(decimal.Decimal("1234.567")) == "1234.567"
    assert copy_text(decimal.Decimal("1E+3")) == "1000"  # never exponent form
    assert copy_text(decimal.Decimal("-0.05")) == "-0.05"
    assert copy_text(datetime.date(2024, 2, 29)) == "2024-02-29"
    at = datetime.datetime(2024, 3, 1, 8, 30, 0, 123456, tzinfo=SHANGHAI)
    assert copy_text(at) == "2024-03-01T08:30:00.123456+08:00"


def test_refuses_what_it_cannot_write_faithfully():
    with pytest.raises(ValueError):
        copy_text(datetime.datetime(2024, 3, 1, 8, 30))  # noqa: DTZ001  (naive: read in the session's zone)
    with pytest.raises(ValueError):
        copy_text(decimal.Decimal("NaN"))
    with pytest.raises(TypeError):
        copy_text(object())


def test_row_and_buffer_shape():
    assert copy_row(["a", None, 1]) == "a\t\\N\t1\n"
    buffer = CopyBuffer("t", ["a", "b"])
    with pytest.raises(ValueError):
        buffer.add(("only one",))


@postgresql_only
@pytest.mark.django_db
def test_awkward_values_round_trip():
    rows = [
        (1, "tab\there", "line\nbreak\r\nend", decimal.Decimal("12345678.99"), datetime.date(2020, 1, 2)),
        (2, "back\\slash \\N \\t", "quotes \"双\" '单'", decimal.Decimal("0.125"), None),
        (3, "", None, None, datetime.date(1999, 12, 31)),
    ]
    at = datetime.datetime(2024, 3, 1, 8, 30, 0, 123456, tzinfo=SHANGHAI)
    with connection.cursor() as wrapper:
        wrapper.execute(
            "CREATE TEMP TABLE copy_probe (id int, a text, b text, m numeric(16, 3), d date, t timestamptz)"
        )
        buffer = CopyBuffer("copy_probe", ["id", "a", "b", "m", "d", "t"])
        for row in rows:
            buffer.add((*row, at))
        assert buffer.copy(wrapper.cursor) == 3
        assert buffer.rows == 0
        wrapper.execute("SELECT id, a, b, m, d, t FROM copy_probe ORDER BY id")
        back = wrapper.fetchall()
    assert [r[:5] for r in back] == rows
    assert all(r[5] == at for r in back)


@postgresql_only
@pytest.mark.django_db
def test_next_ids_come_from_the_sequence():
    with connection.cursor() as wrapper:
        ids = next_ids(wrapper.cursor, "enterprises_enterprise", 3)
        more = next_ids(wrapper.cursor, "enterprises_enterprise", 2)
    assert len(set(ids + more)) == 5 and ids == sorted(ids) and min(more) > max(ids)
    assert next_ids(None, "enterprises_enterprise", 0) == []
