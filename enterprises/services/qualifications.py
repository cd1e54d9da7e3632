"""Recording and revoking a qualification (资质), and the pipeline stage derived from them.

A qualification recorded or revoked is announced with ``enterprises.signals`` inside the transaction;
the incentives app answers with rewards (or their cancellation) through its own services.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import add_years, today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import Right

from ..models import STAGE_ORDER, Enterprise, Qualification, QualificationKind, Stage
from ..signals import qualification_recorded, qualification_revoked
from ._common import guarded_enterprise, save_with_history

# Kinds whose validity ends at the end of the calendar year of grant (国科发政〔2017〕115号).
YEAR_END_KINDS = {QualificationKind.TECH_SME}
# Kinds valid three years from the grant date.
THREE_YEAR_KINDS = {QualificationKind.HTE, QualificationKind.LITTLE_GIANT, QualificationKind.LG_CULTIVATION}


def qualification_expiry(kind: str, granted_on: datetime.date) -> datetime.date | None:
    """The expiry each kind's rule gives: tech SME to year end, HTE and Little Giant 3 years."""
    if kind in YEAR_END_KINDS:
        return datetime.date(granted_on.year, 12, 31)
    if kind in THREE_YEAR_KINDS:
        return add_years(granted_on, 3) - datetime.timedelta(days=1)
    return None


def derive_stage(valid_kinds: set[str]) -> str:
    """The furthest stage any valid qualification reaches."""
    stage = Stage.NONE
    for kind in valid_kinds:
        if kind in STAGE_ORDER and STAGE_ORDER.index(kind) > STAGE_ORDER.index(stage):
            stage = Stage(kind)
    return stage


def enterprise_refresh_stage(*, enterprise: Enterprise, on: datetime.date | None = None) -> str:
    """Store the stage the enterprise's qualifications give on ``on`` (derived data: no right needed,
    nothing a caller passes changes the outcome)."""
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
    granted_elsewhere: bool = False,
    granted_where: str = "",
) -> Qualification:
    """Record a qualification; announced to the apps above (rewards) inside the transaction.

    ``granted_elsewhere``: the firm brought it when it moved to Anyang (``granted_where`` says from where).
    """
    enterprise = guarded_enterprise(enterprise, by, Right.QUALIFICATION_EDIT)
    if kind not in QualificationKind.values:
        raise DomainError(_("未知的资质类型。"), field="kind")
    granted_where = (granted_where or "").strip()
    if granted_elsewhere and not granted_where:
        raise DomainError(_("外地取得的资质请填写取得地。"), field="granted_where")
    if granted_where and not granted_elsewhere:
        raise DomainError(
            _("本市取得的资质不填取得地；迁入前在外地取得的请勾选。"), field="granted_elsewhere"
        )
    if granted_on > today():
        raise DomainError(_("认定日期不能晚于今天。"), field="granted_on")
    if Qualification.objects.filter(enterprise=enterprise, kind=kind, granted_on=granted_on).exists():
        raise DomainError(_("该企业在这一天已登记过同类资质。"), field="granted_on")
    qualification = save_with_history(
        Qualification(
            enterprise=enterprise,
            kind=kind,
            granted_on=granted_on,
            expires_on=qualification_expiry(kind, granted_on),
            number=(number or "").strip(),
            source=source,
            granted_elsewhere=granted_elsewhere,
            granted_where=granted_where,
        ),
        by,
    )
    enterprise_refresh_stage(enterprise=enterprise)
    audit_log(
        qualification,
        "enterprises.qualification.recorded",
        by=by,
        data={
            "enterprise": enterprise.pk,
            "kind": kind,
            "granted_on": granted_on.isoformat(),
            "number": number,
            "granted_elsewhere": granted_elsewhere,
            "granted_where": granted_where,
        },
    )
    qualification_recorded.send(sender=Qualification, qualification=qualification, by=by)
    return qualification


@transaction.atomic
def qualification_revoke(
    *, qualification: Qualification, revoked_on: datetime.date, reason: str, by
) -> Qualification:
    enterprise = guarded_enterprise(qualification.enterprise, by, Right.QUALIFICATION_EDIT)
    qualification = Qualification.objects.select_for_update().get(pk=qualification.pk, enterprise=enterprise)
    if qualification.revoked_on:
        raise DomainError(_("该资质已于 %(d)s 撤销。") % {"d": qualification.revoked_on})
    if revoked_on < qualification.granted_on:
        raise DomainError(_("撤销日期不能早于认定日期。"), field="revoked_on")
    if not reason.strip():
        raise DomainError(_("请说明撤销原因。"), field="reason")
    qualification.revoked_on, qualification.revoke_reason = revoked_on, reason.strip()
    save_with_history(qualification, by, update_fields=["revoked_on", "revoke_reason"])
    enterprise_refresh_stage(enterprise=enterprise)
    audit_log(
        qualification,
        "enterprises.qualification.revoked",
        by=by,
        data={"revoked_on": revoked_on.isoformat(), "reason": reason},
    )
    qualification_revoked.send(sender=Qualification, qualification=qualification, by=by)
    return qualification


def refresh_all_stages(*, on: datetime.date | None = None, batch_size: int = 2000) -> int:
    """Recompute the stored stage of every enterprise whose qualifications changed validity (certificates
    expire without anyone saving anything). Derived data: no right needed. Returns how many changed."""
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
