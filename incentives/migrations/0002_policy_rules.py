from django.db import migrations

from incentives.reference import RULES, ensure_rules


def add_rules(apps, schema_editor):
    ensure_rules(apps.get_model("incentives", "RewardRule"))


def remove_rules(apps, schema_editor):
    apps.get_model("incentives", "RewardRule").objects.filter(
        code__in=[r[0] for r in RULES], rewards__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("incentives", "0001_initial")]
    operations = [migrations.RunPython(add_rules, remove_rules)]
