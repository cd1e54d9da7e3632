from django.db import migrations

from anyang_hte.core.reference import JURISDICTIONS, ensure_jurisdictions


def add_jurisdictions(apps, schema_editor):
    ensure_jurisdictions(apps.get_model("core", "Jurisdiction"))


def remove_jurisdictions(apps, schema_editor):
    Jurisdiction = apps.get_model("core", "Jurisdiction")
    Jurisdiction.objects.filter(code__in=[j[0] for j in JURISDICTIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(add_jurisdictions, remove_jurisdictions)]
