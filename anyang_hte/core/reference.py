"""Reference data every installation has: the 11 assessment units of Anyang (domain.md).

安阳市城乡一体化示范区 has no statistical code; 410599 is a local one.
"""

JURISDICTIONS = [
    # code, name, short name, kind
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


def ensure_jurisdictions(jurisdiction_model=None) -> None:
    """Create or correct the 11 jurisdictions (used by the data migration and by test set-up)."""
    if jurisdiction_model is None:
        from .models import Jurisdiction as jurisdiction_model
    for order, (code, name, short, kind) in enumerate(JURISDICTIONS, start=1):
        jurisdiction_model.objects.update_or_create(
            code=code, defaults={"name": name, "short_name": short, "kind": kind, "sort_order": order}
        )
