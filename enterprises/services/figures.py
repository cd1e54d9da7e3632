"""An enterprise's yearly figures, and the readiness flags derived from them."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError, full_clean
from anyang_hte.core.roles import Right

from ..models import AnnualFigures, Enterprise
from ..readiness import assess, assess_enterprise
from ..readiness.common import TENTH, verdict_only
from ..readiness.facts import facts_of_many
from ._common import guarded_enterprise, save_with_history

FIGURE_FIELDS = (
    "sales_revenue",
    "total_income",
    "rd_expense",
    "rd_expense_domestic",
    "total_costs",
    "staff_count",
    "st_staff_count",
    "hightech_revenue",
    "total_assets",
    "net_assets",
    "ip_class1_count",
    "ip_class2_count",
    "conversions_count",
    "industrial_value_added",
)
STAFF_FIELDS = ("staff_count", "st_staff_count")
FIRST_YEAR = 1990


@dataclass(frozen=True)
class ReadinessFlags:
    hte_ready: bool | None
    tsme_score: int | None


@transaction.atomic
def figures_save(*, enterprise: Enterprise, year: int, by, **values) -> AnnualFigures:
    """Create or update one year's figures. Money arrives in exact yuan (``Decimal``)."""
    unknown = set(values) - set(FIGURE_FIELDS)
    if unknown:
        raise TypeError(f"unknown figure fields: {sorted(unknown)}")
    enterprise = guarded_enterprise(enterprise, by, Right.LEDGER_EDIT)
    for key, value in values.items():
        if isinstance(value, float):
            raise TypeError(f"{key}: money and counts must not be float")
        if isinstance(value, Decimal | int) and value < 0:
            raise DomainError(_("数值不能为负数。"), field=key)
        if key in STAFF_FIELDS and value is not None and Decimal(value) != Decimal(value).quantize(TENTH):
            raise DomainError(_("人数为年平均数，最多保留一位小数。"), field=key)
    if not (FIRST_YEAR <= year <= today().year):
        raise DomainError(_("年度应在1990年到今年之间。"), field="year")
    figures = AnnualFigures.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    created = figures is None
    if created:
        figures = AnnualFigures(enterprise=enterprise, year=year)
    changed = [k for k, v in values.items() if getattr(figures, k) != v]
    if not created and not changed:
        return figures
    for key in changed:
        setattr(figures, key, values[key])
    full_clean(figures, exclude=["enterprise"])
    save_with_history(figures, by)
    audit_log(
        figures,
        "enterprises.figures.created" if created else "enterprises.figures.updated",
        by=by,
        data={"enterprise": enterprise.pk, "year": year, "fields": sorted(changed)},
    )
    enterprise_refresh_readiness(enterprise=enterprise)
    return figures


# --- derived flags: recomputed from stored rows, so no right is needed and no caller input counts ---


def enterprise_refresh_readiness(*, enterprise: Enterprise) -> ReadinessFlags:
    """Store this year's verdict (``hte_ready``: 符合 True, 不符合 False, 待补充 None) and tech-SME score."""
    result = assess_enterprise(enterprise, today=today())
    flags = ReadinessFlags(hte_ready=result.hte_ready, tsme_score=result.tech_sme.total)
    if (enterprise.hte_ready, enterprise.tsme_score) != (flags.hte_ready, flags.tsme_score):
        Enterprise.objects.filter(pk=enterprise.pk).update(
            hte_ready=flags.hte_ready, tsme_score=flags.tsme_score
        )
        enterprise.hte_ready, enterprise.tsme_score = flags.hte_ready, flags.tsme_score
    return flags


def readiness_refresh_many(*, enterprise_ids, chunk_size: int = 1000) -> int:
    """Recompute ``hte_ready``/``tsme_score`` for many enterprises: a few queries per chunk, not per row.

    Returns how many enterprises changed.
    """
    on = today()
    ids = sorted(set(enterprise_ids))
    changed = 0
    # Only the flags are kept, not the explanations: no translation work per enterprise.
    with verdict_only():
        for start in range(0, len(ids), chunk_size):
            changed += _readiness_refresh_chunk(ids[start : start + chunk_size], on)
    return changed


def readiness_refresh_all(*, batch_size: int = 1000) -> int:
    """Nightly: the stored verdict is this year's, so a new year (and certificates that lapse, records
    that age out of a window) changes it without anyone saving anything. Returns how many changed."""
    changed, last_pk = 0, 0
    while True:
        ids = list(
            Enterprise.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return changed
        last_pk = ids[-1]
        changed += readiness_refresh_many(enterprise_ids=ids, chunk_size=batch_size)


# The enterprise fields the verdict reads (readiness.facts and the criteria); the rest is not fetched.
VERDICT_FIELDS = ("id", "registered_on", "tech_field", "restricted_industry", "hte_ready", "tsme_score")


def _readiness_refresh_chunk(chunk: list[int], on: datetime.date) -> int:
    dirty: dict[tuple[bool | None, int | None], list[int]] = defaultdict(list)
    enterprises = list(Enterprise.objects.filter(pk__in=chunk).order_by().only(*VERDICT_FIELDS))
    facts = facts_of_many(enterprises)
    for enterprise in enterprises:
        result = assess(facts[enterprise.pk], today=on, gaps=False)
        flags = (result.hte_ready, result.tech_sme.total)
        if (enterprise.hte_ready, enterprise.tsme_score) != flags:
            dirty[flags].append(enterprise.pk)
    # Derived flags, not ledger data: no field-history rows for them. One UPDATE per pair of values
    # (a few dozen at most), not a CASE per row.
    for (hte_ready, tsme_score), ids in dirty.items():
        Enterprise.objects.filter(pk__in=ids).update(hte_ready=hte_ready, tsme_score=tsme_score)
    return sum(map(len, dirty.values()))
