"""Seed the 2017 action plan (安政办〔2017〕100号, 2018–2021) and move the above-scale industrial
value-added entered on the old targets page into the published figures.

Each old row becomes the jurisdiction's published 规模以上工业增加值 of its year (its 高新技术产业增加值
was never entered: it stays empty, so the share is unknown until the bureau enters it). Who entered the
old figure is taken from its latest audit entry; the move itself is recorded in the audit log. The
snapshots were taken under the old indicator set: the share from the firms' own figures (which the
indicator no longer reads), no HTE growth (a set without its rows would read growth as unknown), new
HTEs counted first-time only (no longer the default rule). They are all deleted: the pages compute
those years live until a rollup writes them again (the nightly one does the current year).
"""

from django.db import migrations

from assessment.reference import ensure_plans

MIGRATED_SOURCE = "原“考核目标”页面录入的规模以上工业增加值（迁移）"


def seed_plan(apps, schema_editor):
    ensure_plans(apps.get_model("assessment", "Plan"), apps.get_model("core", "Jurisdiction"))


def remove_plan(apps, schema_editor):
    apps.get_model("assessment", "Plan").objects.filter(document_number="安政办〔2017〕100号").delete()


def _content_type(apps, model: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.get_or_create(app_label="assessment", model=model)[0]


def move_value_added(apps, schema_editor):
    Old = apps.get_model("assessment", "IndustrialValueAdded")
    New = apps.get_model("assessment", "PublishedValueAdded")
    AuditLog = apps.get_model("core", "AuditLog")
    old_type, new_type = _content_type(apps, "industrialvalueadded"), _content_type(apps, "publishedvalueadded")
    for old in Old.objects.select_related("jurisdiction").order_by("year", "jurisdiction_id"):
        last = (
            AuditLog.objects.filter(content_type=old_type, object_id=str(old.pk))
            .order_by("-created_at", "-id")
            .first()
        )
        new = New.objects.create(
            jurisdiction_id=old.jurisdiction_id,
            year=old.year,
            hightech_value_added=None,
            industrial_value_added=old.amount,
            source=MIGRATED_SOURCE,
            entered_by_id=last.user_id if last else None,
            entered_at=old.updated_at,
        )
        AuditLog.objects.create(
            content_type=new_type,
            object_id=str(new.pk),
            action="assessment.published_value_added.migrated",
            user_id=None,
            data={
                "system": "migration assessment.0004",
                "jurisdiction": old.jurisdiction.code,
                "year": old.year,
                "industrial_value_added": str(old.amount),
                "hightech_value_added": None,
                "from": f"assessment.IndustrialValueAdded #{old.pk}",
            },
        )
    apps.get_model("assessment", "IndicatorSnapshot").objects.all().delete()


def move_back(apps, schema_editor):
    Old = apps.get_model("assessment", "IndustrialValueAdded")
    New = apps.get_model("assessment", "PublishedValueAdded")
    for new in New.objects.filter(jurisdiction__isnull=False, industrial_value_added__isnull=False):
        Old.objects.update_or_create(
            jurisdiction_id=new.jurisdiction_id, year=new.year, defaults={"amount": new.industrial_value_added}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0004_published_value_added_plans"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_jurisdictions"),
    ]
    operations = [
        migrations.RunPython(seed_plan, remove_plan),
        migrations.RunPython(move_value_added, move_back),
    ]
