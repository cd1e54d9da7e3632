"""Every write to the ledger. Views, importers and commands call these; nothing else saves models."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.scope import user_may_use_jurisdiction

from .identifiers import validate_credit_code
from .models import (
    STAGE_ORDER,
    AnnualFigures,
    Enterprise,
    LedgerMilestone,
    Qualification,
    QualificationKind,
    ServiceVisit,
    Stage,
)
from .pinyin import name_initials

ENTERPRISE_FIELDS = (
    "name",
    "jurisdiction",
    "tech_field",
    "registered_on",
    "address",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "bank_name",
    "bank_account",
    "planned_year",
    "notes",
    "helper_name",
    "helper_phone",
    "helper_unit",
    "declared_stage",
)

FIGURE_FIELDS = (
    "sales_revenue",
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
    "industrial_value_added",
)

# Kinds whose validity ends at the end of the calendar year of grant (国科发政〔2017〕115号).
YEAR_END_KINDS = {QualificationKind.TECH_SME}
# Kinds valid three years from the grant date.
THREE_YEAR_KINDS = {QualificationKind.HTE, QualificationKind.LITTLE_GIANT, QualificationKind.LG_CULTIVATION}


class DuplicateEnterprise(DomainError):
    def __init__(self, existing: Enterprise):
        super().__init__(
            _("统一社会信用代码 %(code)s 已登记为“%(name)s”（%(juris)s）。")
            % {"code": existing.credit_code, "name": existing.name, "juris": existing.jurisdiction},
            field="credit_code",
        )
        self.existing = existing


def today() -> datetime.date:
    return timezone.localdate()


def _save(obj, by, **kwargs):
    """Save with the acting user on the field-history record (the request middleware covers only views)."""
    if getattr(by, "pk", None):
        obj._history_user = by
    obj.save(**kwargs)
    return obj


def _check_jurisdiction(user, jurisdiction) -> None:
    if not user_may_use_jurisdiction(user, jurisdiction.pk):
        raise DomainError(_("您只能登记本县区的企业。"), field="jurisdiction")


# --- enterprises -------------------------------------------------------------------------------


@transaction.atomic
def enterprise_create(*, credit_code: str, by, **fields) -> Enterprise:
    code = validate_credit_code(credit_code)
    _check_jurisdiction(by, fields["jurisdiction"])
    existing = Enterprise.objects.select_related("jurisdiction").filter(credit_code=code).first()
    if existing is not None:
        raise DuplicateEnterprise(existing)
    unknown = set(fields) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown enterprise fields: {sorted(unknown)}")
    enterprise = Enterprise(credit_code=code, created_by=by if getattr(by, "pk", None) else None, **fields)
    enterprise.name_initials = name_initials(enterprise.name)
    enterprise.full_clean(exclude=["created_by"])
    _save(enterprise, by)
    audit_log(enterprise, "enterprises.enterprise.created", by=by, data={"credit_code": code})
    return enterprise


@transaction.atomic
def enterprise_update(*, enterprise: Enterprise, by, **fields) -> Enterprise:
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    unknown = set(fields) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown enterprise fields: {sorted(unknown)}")
    if "jurisdiction" in fields:
        _check_jurisdiction(by, fields["jurisdiction"])
    changed = [f for f, v in fields.items() if getattr(enterprise, f) != v]
    if not changed:
        return enterprise
    for f in changed:
        setattr(enterprise, f, fields[f])
    if "name" in changed:
        enterprise.name_initials = name_initials(enterprise.name)
    enterprise.full_clean(exclude=["created_by"])
    _save(enterprise, by)
    audit_log(enterprise, "enterprises.enterprise.updated", by=by, data={"fields": sorted(changed)})
    return enterprise


# --- qualifications and the derived stage ------------------------------------------------------


def qualification_expiry(kind: str, granted_on: datetime.date) -> datetime.date | None:
    """The expiry each kind's rule gives: tech SME to year end, HTE and Little Giant 3 years."""
    if kind in YEAR_END_KINDS:
        return datetime.date(granted_on.year, 12, 31)
    if kind in THREE_YEAR_KINDS:
        try:
            anniversary = granted_on.replace(year=granted_on.year + 3)
        except ValueError:  # 29 February
            anniversary = granted_on.replace(year=granted_on.year + 3, day=28)
        return anniversary - datetime.timedelta(days=1)
    return None


def derive_stage(valid_kinds: set[str]) -> str:
    """The furthest stage any valid qualification reaches."""
    stage = Stage.NONE
    for kind in valid_kinds:
        if kind in STAGE_ORDER and STAGE_ORDER.index(kind) > STAGE_ORDER.index(stage):
            stage = Stage(kind)
    return stage


def enterprise_refresh_stage(*, enterprise: Enterprise, on: datetime.date | None = None) -> str:
    on = on or today()
    kinds = set(
        Qualification.objects.filter(enterprise=enterprise).valid_on(on).values_list("kind", flat=True)
    )
    stage = derive_stage(kinds)
    if stage != enterprise.stage:
        Enterprise.objects.filter(pk=enterprise.pk).update(stage=stage)
        enterprise.stage = stage
    return stage


@transaction.atomic
def qualification_record(
    *,
    enterprise: Enterprise,
    kind: str,
    granted_on: datetime.date,
    by,
    number: str = "",
    source: str = Qualification.Source.MANUAL,
) -> Qualification:
    if kind not in QualificationKind.values:
        raise DomainError(_("未知的资质类型。"), field="kind")
    if granted_on > today():
        raise DomainError(_("认定日期不能晚于今天。"), field="granted_on")
    if Qualification.objects.filter(enterprise=enterprise, kind=kind, granted_on=granted_on).exists():
        raise DomainError(_("该企业在这一天已登记过同类资质。"), field="granted_on")
    qualification = _save(
        Qualification(
            enterprise=enterprise,
            kind=kind,
            granted_on=granted_on,
            expires_on=qualification_expiry(kind, granted_on),
            number=(number or "").strip(),
            source=source,
        ),
        by,
    )
    enterprise_refresh_stage(enterprise=enterprise)
    from incentives.engine import rewards_for_qualification  # incentives imports this app's models

    rewards_for_qualification(qualification=qualification, by=by)
    audit_log(
        qualification,
        "enterprises.qualification.recorded",
        by=by,
        data={
            "enterprise": enterprise.pk,
            "kind": kind,
            "granted_on": granted_on.isoformat(),
            "number": number,
        },
    )
    return qualification


@transaction.atomic
def qualification_revoke(
    *, qualification: Qualification, revoked_on: datetime.date, reason: str, by
) -> Qualification:
    qualification = Qualification.objects.select_for_update().get(pk=qualification.pk)
    if qualification.revoked_on:
        raise DomainError(_("该资质已于 %(d)s 撤销。") % {"d": qualification.revoked_on})
    if revoked_on < qualification.granted_on:
        raise DomainError(_("撤销日期不能早于认定日期。"), field="revoked_on")
    if not reason.strip():
        raise DomainError(_("请说明撤销原因。"), field="reason")
    qualification.revoked_on, qualification.revoke_reason = revoked_on, reason.strip()
    _save(qualification, by, update_fields=["revoked_on", "revoke_reason"])
    enterprise_refresh_stage(enterprise=qualification.enterprise)
    audit_log(
        qualification,
        "enterprises.qualification.revoked",
        by=by,
        data={"revoked_on": revoked_on.isoformat(), "reason": reason},
    )
    from incentives.services import rewards_on_qualification_revoked

    rewards_on_qualification_revoked(qualification=qualification, by=by)
    return qualification


def refresh_all_stages(*, on: datetime.date | None = None, batch_size: int = 2000) -> int:
    """Recompute the stored stage of every enterprise whose qualifications changed validity.

    Returns the number of enterprises updated.
    """
    on = on or today()
    updated = 0
    last_pk = 0
    while True:
        ids = list(
            Enterprise.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return updated
        last_pk = ids[-1]
        valid: dict[int, set[str]] = {}
        for ent_id, kind in (
            Qualification.objects.filter(enterprise_id__in=ids)
            .valid_on(on)
            .values_list("enterprise_id", "kind")
        ):
            valid.setdefault(ent_id, set()).add(kind)
        current = dict(Enterprise.objects.filter(pk__in=ids).values_list("pk", "stage"))
        by_stage: dict[str, list[int]] = {}
        for ent_id in ids:
            stage = derive_stage(valid.get(ent_id, set()))
            if current[ent_id] != stage:
                by_stage.setdefault(stage, []).append(ent_id)
        for stage, pks in by_stage.items():
            updated += Enterprise.objects.filter(pk__in=pks).update(stage=stage)


# --- annual figures and readiness --------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessFlags:
    hte_ready: bool | None
    tsme_score: int | None


def enterprise_refresh_readiness(*, enterprise: Enterprise) -> ReadinessFlags:
    from .readiness import assess_enterprise

    result = assess_enterprise(enterprise, on=today())
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
    # Only the flags are kept, not the explanations: skip translating them (a third of the time).
    with translation.override(None):
        for start in range(0, len(ids), chunk_size):
            changed += _readiness_refresh_chunk(ids[start : start + chunk_size], on)
    return changed


def _readiness_refresh_chunk(chunk: list[int], on: datetime.date) -> int:
    from .readiness import assess_enterprise

    with_hte = set(
        Qualification.objects.filter(enterprise_id__in=chunk, kind=QualificationKind.HTE)
        .valid_on(on)
        .values_list("enterprise_id", flat=True)
    )
    dirty = []
    for enterprise in Enterprise.objects.filter(pk__in=chunk).order_by().prefetch_related("figures"):
        result = assess_enterprise(enterprise, on=on, has_valid_hte=enterprise.pk in with_hte)
        flags = (result.hte_ready, result.tech_sme.total)
        if (enterprise.hte_ready, enterprise.tsme_score) != flags:
            enterprise.hte_ready, enterprise.tsme_score = flags
            dirty.append(enterprise)
    # Derived flags, not ledger data: no field-history rows for them.
    Enterprise.objects.bulk_update(dirty, ["hte_ready", "tsme_score"], batch_size=500)
    return len(dirty)


@transaction.atomic
def figures_save(*, enterprise: Enterprise, year: int, by, **values) -> AnnualFigures:
    """Create or update one year's figures. Money arrives in exact yuan (``Decimal``)."""
    unknown = set(values) - set(FIGURE_FIELDS)
    if unknown:
        raise TypeError(f"unknown figure fields: {sorted(unknown)}")
    for key, value in values.items():
        if isinstance(value, float):
            raise TypeError(f"{key}: money and counts must not be float")
        if isinstance(value, Decimal | int) and value < 0:
            raise DomainError(_("数值不能为负数。"), field=key)
    if not (1990 <= year <= today().year):
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
    figures.full_clean(exclude=["enterprise"])
    _save(figures, by)
    audit_log(
        figures,
        "enterprises.figures.created" if created else "enterprises.figures.updated",
        by=by,
        data={"enterprise": enterprise.pk, "year": year, "fields": sorted(changed)},
    )
    enterprise_refresh_readiness(enterprise=enterprise)
    return figures


# --- helper timetable and visits ---------------------------------------------------------------


@transaction.atomic
def milestone_create(
    *,
    enterprise: Enterprise,
    title: str,
    due_on: datetime.date,
    by,
    note: str = "",
    done_on: datetime.date | None = None,
) -> LedgerMilestone:
    if not title.strip():
        raise DomainError(_("请填写节点事项。"), field="title")
    if done_on and done_on > today():
        raise DomainError(_("完成日期不能晚于今天。"), field="done_on")
    milestone = _save(
        LedgerMilestone(
            enterprise=enterprise, title=title.strip(), due_on=due_on, done_on=done_on, note=note
        ),
        by,
    )
    audit_log(milestone, "enterprises.milestone.created", by=by, data={"enterprise": enterprise.pk})
    return milestone


@transaction.atomic
def milestone_update(*, milestone: LedgerMilestone, by, **fields) -> LedgerMilestone:
    milestone = LedgerMilestone.objects.select_for_update().get(pk=milestone.pk)
    allowed = {"title", "due_on", "done_on", "note"}
    if set(fields) - allowed:
        raise TypeError(f"unknown milestone fields: {sorted(set(fields) - allowed)}")
    done_on = fields.get("done_on", milestone.done_on)
    if done_on and done_on > today():
        raise DomainError(_("完成日期不能晚于今天。"), field="done_on")
    for key, value in fields.items():
        setattr(milestone, key, value)
    _save(milestone, by)
    audit_log(milestone, "enterprises.milestone.updated", by=by, data={"fields": sorted(fields)})
    return milestone


@transaction.atomic
def visit_create(
    *,
    enterprise: Enterprise,
    visited_on: datetime.date,
    visitors: str,
    by,
    problems: str = "",
    actions: str = "",
) -> ServiceVisit:
    if visited_on > today():
        raise DomainError(_("走访日期不能晚于今天。"), field="visited_on")
    if not visitors.strip():
        raise DomainError(_("请填写走访人员。"), field="visitors")
    visit = _save(
        ServiceVisit(
            enterprise=enterprise,
            visited_on=visited_on,
            visitors=visitors.strip(),
            problems=problems,
            actions=actions,
            created_by=by if getattr(by, "pk", None) else None,
        ),
        by,
    )
    audit_log(visit, "enterprises.visit.created", by=by, data={"enterprise": enterprise.pk})
    return visit
