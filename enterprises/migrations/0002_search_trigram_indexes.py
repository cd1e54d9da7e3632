"""Trigram indexes for substring search by name, initials and credit code (PostgreSQL only).

SQLite, the embedded default, scans; it never holds a province's data.
"""

from django.db import migrations

INDEXES = [
    ("ent_name_trgm", "name"),
    ("ent_initials_trgm", "name_initials"),
    ("ent_credit_trgm", "credit_code"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON enterprises_enterprise USING gin ({column} gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
