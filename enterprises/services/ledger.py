"""Registering an enterprise in the ledger and editing its record."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError, full_clean
from anyang_hte.core.guards import ensure_scope, guard
from anyang_hte.core.roles import Right, person

from ..identifiers import validate_credit_code
from ..models import Enterprise
from ..pinyin import name_initials
from ._common import guarded_enterprise, save_with_history
from .figures import enterprise_refresh_readiness

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
    "bank_account_holder",
    "rd_institution",
    "rd_institution_level",
    "planned_year",
    "notes",
    "helper_name",
    "helper_phone",
    "helper_unit",
    "declared_stage",
    "restricted_industry",
)

OWN_COUNTY_ONLY = gettext_lazy("您只能登记本县区的企业。")


class DuplicateEnterprise(DomainError):
    def __init__(self, existing: Enterprise):
        super().__init__(
            _("统一社会信用代码 %(code)s 已登记为“%(name)s”（%(juris)s）。")
            % {"code": existing.credit_code, "name": existing.name, "juris": existing.jurisdiction},
            field="credit_code",
        )
        self.existing = existing


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown enterprise fields: {sorted(unknown)}")


def _credit_code(text: str) -> str:
    try:
        return validate_credit_code(text)
    except ValidationError as exc:
        raise DomainError("；".join(exc.messages), field="credit_code") from None


@transaction.atomic
def enterprise_create(*, credit_code: str, by, **fields) -> Enterprise:
    """Register an enterprise in ``fields["jurisdiction"]``'s ledger.

    County offices keep their own ledger (``LEDGER_EDIT``); the tech bureau adds a firm the province
    certified that no county has registered yet, from an official list (``OFFICIAL_LIST_IMPORT``).
    """
    _check_fields(fields)
    jurisdiction = fields.get("jurisdiction")
    guard(
        by,
        Right.LEDGER_EDIT,
        Right.OFFICIAL_LIST_IMPORT,
        jurisdiction_id=getattr(jurisdiction, "pk", None),
        reason=_("您没有登记企业的权限。"),
        scope_reason=OWN_COUNTY_ONLY,
        field="jurisdiction",
    )
    code = _credit_code(credit_code)
    existing = Enterprise.objects.select_related("jurisdiction").filter(credit_code=code).first()
    if existing is not None:
        raise DuplicateEnterprise(existing)
    enterprise = Enterprise(credit_code=code, created_by=person(by), **fields)
    enterprise.name_initials = name_initials(enterprise.name)
    full_clean(enterprise, exclude=["created_by"])
    save_with_history(enterprise, by)
    audit_log(enterprise, "enterprises.enterprise.created", by=by, data={"credit_code": code})
    enterprise_refresh_readiness(enterprise=enterprise)
    return enterprise


@transaction.atomic
def enterprise_update(*, enterprise: Enterprise, by, **fields) -> Enterprise:
    """Change an enterprise's record; moving it to another jurisdiction needs both in ``by``'s scope."""
    _check_fields(fields)
    enterprise = guarded_enterprise(enterprise, by, Right.LEDGER_EDIT)
    if "jurisdiction" in fields:
        ensure_scope(
            by, getattr(fields["jurisdiction"], "pk", None), reason=OWN_COUNTY_ONLY, field="jurisdiction"
        )
    changed = [f for f, v in fields.items() if getattr(enterprise, f) != v]
    if not changed:
        return enterprise
    for f in changed:
        setattr(enterprise, f, fields[f])
    if "name" in changed:
        enterprise.name_initials = name_initials(enterprise.name)
    full_clean(enterprise, exclude=["created_by"])
    save_with_history(enterprise, by)
    audit_log(enterprise, "enterprises.enterprise.updated", by=by, data={"fields": sorted(changed)})
    # The verdict reads the record too (registration date, field, restricted industry): store it anew.
    enterprise_refresh_readiness(enterprise=enterprise)
    return enterprise
