"""The action plan every installation has: 《安阳市加快培育高新技术企业行动计划》 (domain.md).

Its goal for 2021: 80 newly certified HTEs over the plan's years, more than 120 valid HTEs, and HTE
industry value-added at about 40 % of above-scale industrial value-added; the high-tech zone (安阳高新区)
is the main ground of task 11. Later plans are added as data by the tech bureau.
"""

from decimal import Decimal

PLAN_2017 = {
    "name": "安阳市加快培育高新技术企业行动计划",
    "document_number": "安政办〔2017〕100号",
    "first_year": 2018,
    "last_year": 2021,
    "goal_new_hte": 80,
    "goal_valid_hte": 120,
    "goal_valid_hte_exceeds": True,
    "goal_share": Decimal("40.00"),
}
PLAN_2017_ZONE = "410571"  # 安阳高新技术产业开发区


def ensure_plans(plan_model=None, jurisdiction_model=None) -> None:
    """Create the 2017 plan if it is missing (used by the data migration and by test set-up); an
    existing row, perhaps corrected by the bureau since, is left as it is."""
    if plan_model is None:
        from .models import Plan as plan_model
    if jurisdiction_model is None:
        from anyang_hte.core.models import Jurisdiction as jurisdiction_model
    zone = jurisdiction_model.objects.filter(code=PLAN_2017_ZONE).first()
    plan_model.objects.get_or_create(
        document_number=PLAN_2017["document_number"],
        defaults={**PLAN_2017, "zone": zone},
    )
