"""Demo rewards for walk-throughs: the engine over the demo ledger, and a few applications in flight.

Called by ``seed_demo`` after the ledger is in place. Idempotent: the engine creates each reward once,
and only rewards still untouched (generated, no documents) are moved along.
"""

from django.core.files.base import ContentFile

from anyang_hte.core.roles import Role, SystemActor

from . import services
from .models import Reward, RewardDocument

DEMO_PDF = b"%PDF-1.4\n% demo document of the Anyang HTE portal\n%%EOF\n"
SUBMITTED_PER_COUNTY = 3
APPROVED_PER_COUNTY = 1


def seed_demo_rewards(accounts) -> int:
    """Generate the rules' rewards, then submit a few per demo county and approve some."""
    created = services.rewards_run_all(by=SystemActor("command seed_demo"))
    reviewer = next(u for u in accounts if u.role == Role.TECH_REVIEWER)
    for official in (u for u in accounts if u.role == Role.COUNTY_OFFICIAL):
        fresh = list(
            Reward.objects.filter(
                jurisdiction=official.jurisdiction, status=Reward.Status.GENERATED, documents__isnull=True
            )
            .exclude(enterprise__bank_account="")
            .order_by("pk")[:SUBMITTED_PER_COUNTY]
        )
        already = Reward.objects.filter(jurisdiction=official.jurisdiction).exclude(
            status=Reward.Status.GENERATED
        )
        if already.exists():
            continue  # moved along on an earlier run
        for index, reward in enumerate(fresh):
            for kind, name in (
                (RewardDocument.Kind.CERTIFICATE, "证书扫描件.pdf"),
                (RewardDocument.Kind.BANK, "银行账户确认书.pdf"),
            ):
                upload = ContentFile(DEMO_PDF, name=name)
                services.reward_document_add(reward=reward, kind=kind, upload=upload, by=official)
            services.reward_submit(reward=reward, by=official, comment="演示申报")
            if index < APPROVED_PER_COUNTY:
                services.reward_approve(reward=reward, by=reviewer, comment="材料齐全，同意")
    return created
