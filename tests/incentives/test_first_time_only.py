"""A rule's "first time only" setting, both ways, and certificates brought from elsewhere.

Ticked (HTE_NEW's setting): only the enterprise's first-ever grant of the kind earns the reward, and an
enterprise is never paid twice under the rule. Unticked: every grant in the rule's period earns it once,
so a re-certification after a lapse (重新认定) earns it again. A grant the firm brought when it moved to
Anyang earns nothing and still counts as an earlier grant.
"""

import datetime
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction

from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import SystemActor
from enterprises import services as ent_services
from incentives.models import FundingLine, PayoutBatch, Recovery, Reward, RewardRule
from incentives.services import engine
from tests.factories import EnterpriseFactory, QualificationFactory

from .factories import PaymentFactory, PayoutBatchFactory

D = datetime.date
SYSTEM = SystemActor("test")
FIRST = D(2018, 11, 30)  # valid to 2021-11-29
AGAIN = D(2022, 10, 28)  # certified again after the lapse


def set_hte_rule(first_time_only: bool) -> RewardRule:
    RewardRule.objects.filter(code="HTE_NEW").update(first_time_only=first_time_only)
    return RewardRule.objects.get(code="HTE_NEW")


@pytest.fixture(params=[True, False], ids=["ticked", "unticked"])
def ticked(request, db) -> bool:
    """HTE_NEW with its "first time only" setting ticked (as seeded) or unticked."""
    set_hte_rule(request.param)
    return request.param


@pytest.fixture
def unticked(db) -> RewardRule:
    return set_hte_rule(False)


def record(enterprise, granted_on, by, **kw):
    return ent_services.qualification_record(
        enterprise=enterprise, kind=kw.pop("kind", "hte"), granted_on=granted_on, by=by, **kw
    )


def moved_in(enterprise, granted_on, by, **kw):
    return record(enterprise, granted_on, by, granted_elsewhere=True, granted_where="郑州市", **kw)


def raw(enterprise, granted_on, **kw):
    """A qualification row the engine has not seen (as old data or the demo would have it)."""
    return QualificationFactory(
        enterprise=enterprise, kind=kw.pop("kind", "hte"), granted_on=granted_on, **kw
    )


def rewarded(enterprise) -> list[tuple[str, datetime.date]]:
    return sorted(
        Reward.objects.filter(enterprise=enterprise).values_list("rule__code", "qualification__granted_on")
    )


def counts() -> tuple[int, int, int]:
    return Reward.objects.count(), FundingLine.objects.count(), AuditLog.objects.count()


class TestLapseAndRecertification:
    def test_ticked_rewards_the_first_grant_only(self, county_official):
        ent = EnterpriseFactory()
        first = record(ent, FIRST, county_official)
        again = record(ent, AGAIN, county_official)
        assert first.expires_on < again.granted_on  # a lapse, then 重新认定
        reward = Reward.objects.get(enterprise=ent)
        assert reward.qualification == first
        assert reward.first_time_only is True
        assert not again.rewards.exists()

    def test_unticked_rewards_each_grant_once(self, unticked, county_official):
        ent = EnterpriseFactory()
        first = record(ent, FIRST, county_official)
        again = record(ent, AGAIN, county_official)
        rewards = list(Reward.objects.filter(enterprise=ent).order_by("qualification__granted_on"))
        assert [r.qualification for r in rewards] == [first, again]
        for reward in rewards:
            assert reward.rule == unticked
            assert reward.first_time_only is False
            assert reward.amount == Decimal("300000.00")
            assert sorted((line.source, line.amount) for line in reward.lines.all()) == [
                ("city", Decimal("150000.00")),
                ("county", Decimal("150000.00")),
            ]
            log = AuditLog.objects.get(action="incentives.reward.generated", object_id=str(reward.pk))
            assert log.data["qualification"] == reward.qualification_id
            assert log.data["first_time_only"] is False

    def test_unticked_rewards_a_third_certification_too(self, unticked):
        ent = EnterpriseFactory()
        for granted_on in (FIRST, AGAIN, D(2025, 12, 12)):
            assert len(engine.rewards_for_qualification(qualification=raw(ent, granted_on), by=SYSTEM)) == 1
        assert Reward.objects.filter(enterprise=ent).count() == 3

    def test_a_revoked_recertification_earns_nothing_either_way(self, ticked):
        ent = EnterpriseFactory()
        engine.rewards_for_qualification(qualification=raw(ent, FIRST), by=SYSTEM)
        again = raw(ent, AGAIN, revoked_on=D(2023, 1, 1))
        assert engine.rewards_for_qualification(qualification=again, by=SYSTEM) == []
        assert rewarded(ent) == [("HTE_NEW", FIRST)]


class TestEffectivePeriodForRecertification:
    """The period's boundaries are those of a first grant (``test_engine.TestEffectivePeriod``)."""

    @pytest.mark.parametrize(
        ("granted_on", "unticked_earns"),
        [(D(2017, 12, 28), False), (D(2017, 12, 29), True), (D(2020, 12, 31), True), (D(2021, 1, 1), False)],
    )
    def test_boundaries(self, ticked, granted_on, unticked_earns):
        RewardRule.objects.filter(code="HTE_NEW").update(effective_to=D(2020, 12, 31))
        ent = EnterpriseFactory()
        raw(ent, D(2014, 10, 1), expires_on=D(2017, 9, 30))  # before the policy: never rewarded
        created = engine.rewards_for_qualification(qualification=raw(ent, granted_on), by=SYSTEM)
        assert len(created) == (0 if ticked else int(unticked_earns))


class TestMovedIn:
    @pytest.mark.parametrize("kind", ["hte", "little_giant", "leading"])
    @pytest.mark.parametrize("first_time_only", [True, False], ids=["ticked", "unticked"])
    def test_a_certificate_brought_from_elsewhere_earns_no_city_reward(
        self, county_official, kind, first_time_only
    ):
        RewardRule.objects.update(first_time_only=first_time_only)
        ent = EnterpriseFactory()
        q = moved_in(ent, D(2023, 6, 1), county_official, kind=kind)
        assert q.granted_elsewhere and q.granted_where == "郑州市"
        assert not Reward.objects.filter(enterprise=ent).exists()
        assert engine.rewards_for_qualification(qualification=q, by=SYSTEM) == []
        assert engine.rewards_run_all(by=SYSTEM) == 0
        assert not Reward.objects.filter(enterprise=ent).exists()

    def test_a_later_anyang_grant_is_not_first_under_a_ticked_rule(self, county_official):
        ent = EnterpriseFactory()
        moved_in(ent, FIRST, county_official)
        record(ent, AGAIN, county_official)
        assert engine.rewards_run_all(by=SYSTEM) == 0
        assert rewarded(ent) == []

    def test_a_later_anyang_grant_earns_under_an_unticked_rule(self, unticked, county_official):
        ent = EnterpriseFactory()
        moved_in(ent, FIRST, county_official)
        anyang = record(ent, AGAIN, county_official)
        (reward,) = Reward.objects.filter(enterprise=ent)
        assert reward.qualification == anyang
        assert engine.rewards_run_all(by=SYSTEM) == 0


class TestRunAll:
    """``rewards_run_all`` decides as a recording does, and a second run changes nothing."""

    def test_catches_up_by_the_same_rules(self, ticked):
        lapsed, moved, pre_policy = EnterpriseFactory(), EnterpriseFactory(), EnterpriseFactory()
        raw(lapsed, FIRST)
        raw(lapsed, AGAIN)
        raw(moved, D(2019, 6, 1), granted_elsewhere=True, granted_where="北京市")
        raw(moved, D(2023, 6, 1))
        raw(pre_policy, D(2016, 1, 1))
        raw(pre_policy, D(2020, 1, 1))
        expected = {
            lapsed.pk: [("HTE_NEW", FIRST)] if ticked else [("HTE_NEW", FIRST), ("HTE_NEW", AGAIN)],
            moved.pk: [] if ticked else [("HTE_NEW", D(2023, 6, 1))],
            pre_policy.pk: [] if ticked else [("HTE_NEW", D(2020, 1, 1))],
        }
        assert engine.rewards_run_all(by=SYSTEM, chunk_size=2) == sum(map(len, expected.values()))
        assert {ent.pk: rewarded(ent) for ent in (lapsed, moved, pre_policy)} == expected
        before = counts()
        assert engine.rewards_run_all(by=SYSTEM) == 0
        assert counts() == before

    def test_recording_again_and_run_all_change_nothing(self, ticked, county_official):
        ent = EnterpriseFactory()
        quals = [record(ent, FIRST, county_official), record(ent, AGAIN, county_official)]
        before = counts()
        assert before[0] == (1 if ticked else 2)
        for q in quals:
            assert engine.rewards_for_qualification(qualification=q, by=county_official) == []
        assert engine.rewards_run_all(by=SYSTEM) == 0
        assert engine.rewards_run_all(by=SYSTEM, chunk_size=1) == 0
        assert counts() == before

    def test_run_reward_engine_command_is_idempotent_unticked(self, unticked):
        ent = EnterpriseFactory()
        raw(ent, FIRST)
        raw(ent, AGAIN)
        for expected in ("new rewards 2", "new rewards 0"):
            out = StringIO()
            call_command("run_reward_engine", stdout=out)
            assert out.getvalue().strip() == expected


class TestNeverTwiceUnderATickedRule:
    def test_a_grant_recorded_out_of_order_is_not_paid_again(self, county_official):
        """The later certificate was entered first and rewarded; the earlier one, entered afterwards,
        does not earn a second reward (nor is the first taken back)."""
        ent = EnterpriseFactory()
        later = record(ent, AGAIN, county_official)
        record(ent, FIRST, county_official)
        assert engine.rewards_run_all(by=SYSTEM) == 0
        assert Reward.objects.get(enterprise=ent).qualification == later

    def test_the_database_refuses_a_second_reward_to_one_enterprise(self, db):
        """Should a writer get past the engine's checks (a race), the partial constraint refuses the
        insert in a savepoint and the engine ignores it."""
        rule = RewardRule.objects.get(code="HTE_NEW")
        ent = EnterpriseFactory()
        first, again = raw(ent, FIRST), raw(ent, AGAIN)
        assert engine._create_reward(rule=rule, qualification=first, by=SYSTEM) is not None
        assert engine._create_reward(rule=rule, qualification=again, by=SYSTEM) is None
        with pytest.raises(IntegrityError), transaction.atomic():
            Reward.objects.create(
                enterprise=ent,
                jurisdiction=ent.jurisdiction,
                rule=rule,
                qualification=again,
                amount=rule.total_amount,
                first_time_only=True,
            )
        assert rewarded(ent) == [("HTE_NEW", FIRST)]
        assert FundingLine.objects.filter(reward__enterprise=ent).count() == 2

    def test_unticked_one_reward_per_qualification(self, unticked):
        ent = EnterpriseFactory()
        first, again = raw(ent, FIRST), raw(ent, AGAIN)
        assert engine._create_reward(rule=unticked, qualification=first, by=SYSTEM) is not None
        assert engine._create_reward(rule=unticked, qualification=first, by=SYSTEM) is None
        assert engine._create_reward(rule=unticked, qualification=again, by=SYSTEM) is not None
        assert rewarded(ent) == [("HTE_NEW", FIRST), ("HTE_NEW", AGAIN)]


class TestRevocationWithTwoRewards:
    """Revocation finds the rewards of the revoked qualification only (``qualification.rewards``)."""

    def test_revoking_the_recertification_cancels_its_reward_only(self, unticked, county_official):
        ent = EnterpriseFactory()
        first = record(ent, FIRST, county_official)
        again = record(ent, AGAIN, county_official)
        ent_services.qualification_revoke(
            qualification=again, revoked_on=D(2023, 3, 1), reason="弄虚作假", by=county_official
        )
        assert again.rewards.get().status == Reward.Status.CANCELLED
        assert {line.status for line in again.rewards.get().lines.all()} == {FundingLine.Status.CANCELLED}
        kept = first.rewards.get()
        assert kept.status == Reward.Status.GENERATED
        assert {line.status for line in kept.lines.all()} == {FundingLine.Status.PENDING}

    def test_revoking_a_paid_grant_recovers_its_money_only(self, unticked, county_official):
        ent = EnterpriseFactory()
        first = record(ent, FIRST, county_official)
        again = record(ent, AGAIN, county_official)
        paid = first.rewards.get()
        batch = PayoutBatchFactory(status=PayoutBatch.Status.LOCKED)
        paid.lines.update(status=FundingLine.Status.PAID, batch=batch)
        Reward.objects.filter(pk=paid.pk).update(status=Reward.Status.PAID)
        payments = [PaymentFactory(line=line) for line in paid.lines.order_by("pk")]
        ent_services.qualification_revoke(
            qualification=first, revoked_on=D(2020, 5, 1), reason="撤销认定", by=county_official
        )
        assert sorted(Recovery.objects.values_list("payment_id", flat=True)) == [p.pk for p in payments]
        other = again.rewards.get()
        assert other.status == Reward.Status.GENERATED
        assert {line.status for line in other.lines.all()} == {FundingLine.Status.PENDING}


# --- concurrent recording (PostgreSQL: SQLite serialises every writer, so it proves nothing there) ---

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locking and concurrent connections"
)


def run_together(calls) -> list[str]:
    """Start every call at once, one thread (and connection) each; "ok" or the error per call."""
    barrier = threading.Barrier(len(calls))
    results = [""] * len(calls)

    def run(index, call):
        try:
            call(barrier)
            results[index] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure must show in the assertion
            results[index] = f"error: {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_first_grants_recorded_at_once_earn_one_reward():
    """Through the ledger's service: the enterprise's row lock makes the second recording wait, then it
    sees the first grant and its reward."""
    ent = EnterpriseFactory()

    def recording(granted_on):
        def call(barrier):
            barrier.wait(timeout=30)
            ent_services.qualification_record(enterprise=ent, kind="hte", granted_on=granted_on, by=SYSTEM)

        return call

    assert run_together([recording(FIRST), recording(AGAIN)]) == ["ok", "ok"]
    assert ent.qualifications.count() == 2
    assert Reward.objects.filter(enterprise=ent).count() == 1
    assert FundingLine.objects.filter(reward__enterprise=ent).count() == 2


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_time_only", [True, False], ids=["ticked", "unticked"])
def test_first_grants_racing_past_every_lock(first_time_only):
    """Two writers insert a grant each without the enterprise's lock and run the engine while neither has
    committed: each sees no earlier grant. Ticked, the partial constraint lets one reward through;
    unticked, each grant earns its own."""
    set_hte_rule(first_time_only)
    ent = EnterpriseFactory()

    def writer(granted_on):
        def call(barrier):
            with transaction.atomic():
                q = raw(ent, granted_on)
                barrier.wait(timeout=30)  # both grants inserted, neither visible to the other
                engine.rewards_for_qualification(qualification=q, by=SYSTEM)

        return call

    assert run_together([writer(FIRST), writer(AGAIN)]) == ["ok", "ok"]
    rewards = Reward.objects.filter(enterprise=ent)
    if first_time_only:
        assert rewards.count() == 1
    else:
        assert sorted(rewards.values_list("qualification__granted_on", flat=True)) == [FIRST, AGAIN]
    assert FundingLine.objects.filter(reward__enterprise=ent).count() == 2 * rewards.count()


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_time_only", [True, False], ids=["ticked", "unticked"])
def test_run_all_racing_itself_and_a_recording(first_time_only):
    set_hte_rule(first_time_only)
    ent = EnterpriseFactory()
    raw(ent, FIRST)
    again = raw(ent, AGAIN)

    def run_all(barrier):
        barrier.wait(timeout=30)
        engine.rewards_run_all(by=SYSTEM, chunk_size=1)

    def engine_on_again(barrier):
        barrier.wait(timeout=30)
        engine.rewards_for_qualification(qualification=again, by=SYSTEM)

    assert run_together([run_all, run_all, run_all, engine_on_again]) == ["ok"] * 4
    expected = [FIRST] if first_time_only else [FIRST, AGAIN]
    assert sorted(Reward.objects.values_list("qualification__granted_on", flat=True)) == expected
    assert engine.rewards_run_all(by=SYSTEM) == 0
