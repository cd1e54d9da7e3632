import datetime

import pytest

from applications.demo import seed_rounds
from applications.models import ApplicationRound, RoundEntry
from enterprises.demo import ensure_demo_accounts
from tests.factories import EnterpriseFactory, QualificationFactory, jurisdiction

pytestmark = pytest.mark.django_db


def test_seed_rounds_open_this_year_closed_last_year_every_step():
    ensure_demo_accounts()
    for i in range(20):
        EnterpriseFactory(jurisdiction=jurisdiction(("410502", "410581", "410522")[i % 3]))
    # Two firms the province certified in 2025: the closed round's 认定 entries are theirs.
    certified = [EnterpriseFactory(jurisdiction=jurisdiction("410502")) for _ in range(2)]
    for enterprise in certified:
        QualificationFactory(enterprise=enterprise, kind="hte", granted_on=datetime.date(2025, 10, 28))
    today = datetime.date(2026, 11, 30)
    assert seed_rounds(today=today) == {"2025": 6, "2026": 9}
    current = ApplicationRound.objects.get(year=2026)
    assert current.is_open and current.intention_deadline == datetime.date(2026, 12, 14)
    assert set(current.entries.values_list("status", flat=True)) == {
        "intention",
        "recommended",
        "held",
        "passed",
        "returned",
        "withdrawn",
    }
    last = ApplicationRound.objects.get(year=2025)
    assert not last.is_open
    assert set(last.entries.values_list("outcome_reason", flat=True)) >= {"expert_review", "objection"}
    assert {e.enterprise for e in last.entries.filter(status="certified")} == set(certified)
    assert all(e.moves.count() >= 1 for e in RoundEntry.objects.all())
    assert seed_rounds(today=today) == {}  # idempotent


def test_without_certificates_in_the_ledger_no_entry_reads_certified():
    """A 认定 entry always matches an HTE certificate of the round's year in the ledger."""
    ensure_demo_accounts()
    for i in range(20):
        EnterpriseFactory(jurisdiction=jurisdiction(("410502", "410581")[i % 2]))
    seeded = seed_rounds(today=datetime.date(2026, 11, 30))
    assert seeded["2025"] == 4
    assert not RoundEntry.objects.filter(status="certified").exists()
