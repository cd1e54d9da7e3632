"""Indexes for the assessment rollup's aggregates (PostgreSQL only; SQLite never holds a province).

The indicators count enterprises per jurisdiction through EXISTS filters on their qualifications,
which PostgreSQL runs as hash semi/anti joins over both tables. These two indexes let both sides be
read by index-only scans instead of the wide tables:

- ``ent_juris_pk``: (jurisdiction_id, id), the enterprise side of every join (163 MB of table against
  about 30 MB of index at 1,000,000 enterprises);
- ``qual_kind_granted_cover``: (kind, granted_on) with enterprise_id, expires_on and revoked_on, which
  answers "granted in the year", "first grant" and "valid at the period's end" for one kind.

Measured with ``scripts/bench_rollup.py`` at 1,000,000 enterprises (2 CPUs): computing every
indicator went from 3.3 s to 2.4 s. They are not in the models' Meta (the covering INCLUDE is
PostgreSQL's), so ``makemigrations`` does not see them.
"""

from django.db import migrations

INDEXES = [
    ("ent_juris_pk", "enterprises_enterprise (jurisdiction_id, id)"),
    (
        "qual_kind_granted_cover",
        "enterprises_qualification (kind, granted_on) INCLUDE (enterprise_id, expires_on, revoked_on)",
    ),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0002_search_trigram_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
