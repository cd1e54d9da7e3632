"""A finer histogram of the credit code for PostgreSQL's planner.

A credit-code search is a prefix (``LIKE '91410527MB0005%'``). With the default 100 histogram buckets
(10,000 codes each at a million enterprises) the planner guesses that any such prefix matches 1 % of the
ledger, so for the list's page it walks the (jurisdiction, name, id) index expecting to meet 50 matches
within a few thousand rows; a code's first eight characters are its county's, so the matches sit
together in one county and the walk read 600,000 rows (7 s) before it found them. With 1,000 buckets
the guess is small and the planner reads the matches through the credit code's index and sorts them
(milliseconds). ANALYZE (autovacuum's, or the next manual one) builds the finer histogram.
"""

from django.db import migrations

TABLE_COLUMN = 'ALTER TABLE "enterprises_enterprise" ALTER COLUMN "credit_code" SET STATISTICS {}'


def finer(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TABLE_COLUMN.format(1000))


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TABLE_COLUMN.format(-1))


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0010_list_sort_indexes")]

    operations = [migrations.RunPython(finer, default, elidable=False)]
