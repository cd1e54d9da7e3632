"""The 11 assessment units of Anyang (domain.md). 示范区 has no statistical code: 410599 is local."""

from django.db import migrations

JURISDICTIONS = [
    ("410502", "文峰区", "文峰区", "district"),
    ("410503", "北关区", "北关区", "district"),
    ("410505", "殷都区", "殷都区", "district"),
    ("410506", "龙安区", "龙安区", "district"),
    ("410522", "安阳县", "安阳县", "county"),
    ("410523", "汤阴县", "汤阴县", "county"),
    ("410526", "滑县", "滑县", "county"),
    ("410527", "内黄县", "内黄县", "county"),
    ("410581", "林州市", "林州市", "county_city"),
    ("410571", "安阳高新技术产业开发区", "高新区", "committee"),
    ("410599", "安阳市城乡一体化示范区", "示范区", "committee"),
]


def add_jurisdictions(apps, schema_editor):
    Jurisdiction = apps.get_model("core", "Jurisdiction")
    for order, (code, name, short, kind) in enumerate(JURISDICTIONS, start=1):
        Jurisdiction.objects.update_or_create(
            code=code, defaults={"name": name, "short_name": short, "kind": kind, "sort_order": order}
        )


def remove_jurisdictions(apps, schema_editor):
    Jurisdiction = apps.get_model("core", "Jurisdiction")
    Jurisdiction.objects.filter(code__in=[j[0] for j in JURISDICTIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(add_jurisdictions, remove_jurisdictions)]
