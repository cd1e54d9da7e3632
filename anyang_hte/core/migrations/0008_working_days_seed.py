"""China's public holidays and make-up working days of 2025 and 2026 (国办发明电〔2024〕12号, 国办发明电
〔2025〕7号) and the default time limits: data the administrator corrects in the admin. The data itself is
in ``anyang_hte/core/reference.py``.
"""

from django.db import migrations

from anyang_hte.core.reference import LIMITS, NOTICE_2025, NOTICE_2026, ensure_working_days


def seed(apps, schema_editor):
    ensure_working_days(apps.get_model("core", "CalendarDay"), apps.get_model("core", "TimeLimit"))


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.filter(source__in=[NOTICE_2025, NOTICE_2026]).delete()
    apps.get_model("core", "TimeLimit").objects.filter(code__in=[row[0] for row in LIMITS]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0007_working_days")]
    operations = [migrations.RunPython(seed, unseed)]
