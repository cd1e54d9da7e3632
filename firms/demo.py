"""Demo firm accounts (企业用户): ``qiye_wf`` bound to a 文峰区 enterprise, one self-registration waiting for
文峰区 and one confirmed in 林州市. The registrations go through the real services (the county's official
confirms), so notifications and audit rows are as in use. A re-run changes nothing but resets the
passwords.
"""

import dataclasses
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from anyang_hte.core import dates
from anyang_hte.core.models import Jurisdiction, User
from anyang_hte.core.roles import Role, two_factor_required
from anyang_hte.core.two_factor import two_factor_seed_demo
from applications.demo import seed_rounds
from assessment.demo import seed_demo, seed_demo_deadlines
from enterprises.demo import seed_firm_submissions
from enterprises.identifiers import credit_code_with_check_digit
from enterprises.models import Enterprise, QualificationKind, Stage

from . import services
from .models import FirmInvitation, FirmRegistration

FIRM_USERNAME = "qiye_wf"
PENDING_USERNAME = "qiye_reg_wf"
CONFIRMED_USERNAME = "qiye_lz"
PENDING_CODE = credit_code_with_check_digit("91410502MA47RG001")  # in no ledger: added on confirmation
WF, LZ = "410502", "410581"


@dataclass(frozen=True)
class FirmAccountsResult:
    firm_user: User
    pending: FirmRegistration
    confirmed: FirmRegistration | None  # None when 林州市's ledger has no enterprise free to bind


def _official(code: str) -> User:
    official = (
        User.objects.filter(role=Role.COUNTY_OFFICIAL, jurisdiction__code=code, is_active=True)
        .order_by("pk")
        .first()
    )
    if official is None:
        raise LookupError(f"no active county official of {code}: create the demo accounts first")
    return official


def _set_password(user: User, password: str) -> None:
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])


@transaction.atomic
def seed_firm_accounts(*, enterprise: Enterprise, password: str) -> FirmAccountsResult:
    """``qiye_wf`` (``password``) bound to ``enterprise`` (a 文峰区 firm of the ledger), as if invited by
    文峰区 and its password set; ``qiye_reg_wf`` registered and waiting for 文峰区; ``qiye_lz`` registered
    and confirmed by 林州市 for the first 林州市 enterprise without a firm user."""
    if enterprise.jurisdiction.code != WF:
        raise ValueError("qiye_wf is bound to an enterprise of 文峰区")
    wf_official = _official(WF)
    firm_user, _created = User.objects.update_or_create(
        username=FIRM_USERNAME,
        defaults={
            "role": Role.ENTERPRISE,
            "enterprise": enterprise,
            "jurisdiction": None,
            "display_name": enterprise.contact_name or "企业联系人",
            "phone": enterprise.contact_phone,
            "email": "qiye_wf@example.cn",
            "is_active": True,
        },
    )
    _set_password(firm_user, password)
    FirmInvitation.objects.get_or_create(
        user=firm_user,
        defaults={
            "enterprise": enterprise,
            "invited_by": wf_official,
            "email": firm_user.email,
            "used_at": timezone.now(),
        },
    )

    pending = FirmRegistration.objects.filter(user__username=PENDING_USERNAME).first()
    if pending is None:
        pending = services.firm_register(
            credit_code=PENDING_CODE,
            name="安阳市新锐智能装备有限公司",
            jurisdiction=Jurisdiction.objects.get(code=WF),
            contact_name="周经理",
            contact_phone="13937200001",
            email="qiye_reg_wf@example.cn",
            username=PENDING_USERNAME,
            password=password,
        )
    _set_password(pending.user, password)

    confirmed = FirmRegistration.objects.filter(user__username=CONFIRMED_USERNAME).first()
    if confirmed is None:
        target = (
            Enterprise.objects.filter(jurisdiction__code=LZ, firm_users__isnull=True)
            .exclude(credit_code__in=FirmRegistration.objects.values("credit_code"))
            .order_by("pk")
            .first()
        )
        if target is not None:
            registration = services.firm_register(
                credit_code=target.credit_code,
                name=target.name,
                jurisdiction=target.jurisdiction,
                contact_name=target.contact_name or "企业联系人",
                contact_phone=target.contact_phone or "0372-6800000",
                email="qiye_lz@example.cn",
                username=CONFIRMED_USERNAME,
                password=password,
            )
            confirmed = services.firm_registration_confirm(registration=registration, by=_official(LZ))
    if confirmed is not None:
        _set_password(confirmed.user, password)
    return FirmAccountsResult(firm_user=firm_user, pending=pending, confirmed=confirmed)


def demo_firm_enterprise(today=None) -> Enterprise:
    """The 文峰区 firm ``qiye_wf`` signs in for: an HTE candidate with figures for each of the last three
    years, not yet certified, one the engine already finds 符合 when there is one (it can declare in the
    open round). A small demo ledger may have no such candidate: then the 文峰区 firm nearest to one."""
    year = (today or dates.today()).year
    certified = [Stage.HTE, Stage.LG_CULTIVATION, Stage.LITTLE_GIANT, Stage.LEADING]
    candidates = (
        Enterprise.objects.filter(jurisdiction__code=WF)
        .annotate(
            # distinct: two joined relations (figures, qualifications) would multiply the counts
            recent=Count(
                "figures", filter=Q(figures__year__gte=year - 3, figures__year__lte=year - 1), distinct=True
            ),
            candidate=Count("pk", filter=Q(stage=Stage.HTE_CANDIDATE), distinct=True),
            certified=Count("pk", filter=Q(stage__in=certified), distinct=True),
            # never certified before: its certification would be 新认定 and bring the HTE reward
            ever_hte=Count(
                "qualifications", filter=Q(qualifications__kind=QualificationKind.HTE), distinct=True
            ),
        )
        .order_by(
            "certified", "-recent", "ever_hte", "-candidate", F("hte_ready").desc(nulls_last=True), "pk"
        )
    )
    bound = User.objects.filter(username=FIRM_USERNAME).values_list("enterprise_id", flat=True).first()
    if bound and candidates.filter(pk=bound).exists():
        return candidates.get(pk=bound)  # a re-run keeps qiye_wf where it was
    enterprise = candidates.first()
    if enterprise is None:
        raise LookupError("no 文峰区 enterprise in the ledger: seed the ledger first")
    return enterprise


def seed_demo_two_factor(accounts) -> list[User]:
    """The demo accounts that must pass a second factor (reviewer, finance_city, finance_wf, admin) get a
    confirmed authenticator with the one public demo key (``two_factor.DEMO_TOTP_KEY``; ``manage.py
    demo_totp`` prints its code). Refused in production by the service."""
    seeded = [user for user in accounts if two_factor_required(user)]
    for user in seeded:
        two_factor_seed_demo(user=user)
    return seeded


def seed_demo_all(*, per_jurisdiction: int = 30, password: str, today=None):
    """The whole demo in layer order: the ledger, rewards and assessment (``assessment.demo.seed_demo``),
    the firm accounts with ``qiye_wf``'s submissions, then the application rounds (``qiye_wf``'s firm left
    out of them, so it can declare for itself), and a few of 文峰区's items made overdue; the money roles'
    demo accounts get the demo authenticator."""
    result = seed_demo(per_jurisdiction=per_jurisdiction, today=today)
    seed_demo_two_factor(result.accounts)
    with transaction.atomic():
        enterprise = demo_firm_enterprise(today)
        firms = seed_firm_accounts(enterprise=enterprise, password=password)
        seed_firm_submissions(enterprise=enterprise, firm_user=firms.firm_user)
        seed_rounds(today=today, keep_free=[enterprise.pk])
        seed_demo_deadlines(code=WF)  # a few of 文峰区's items overdue, for the 超期事项 walk-through
    accounts = [firms.firm_user, firms.pending.user] + ([firms.confirmed.user] if firms.confirmed else [])
    return dataclasses.replace(result, accounts=[*result.accounts, *accounts])
