"""Payout batches and payments: who may batch and pay what, the legal moves, and the money."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog, Notification
from anyang_hte.core.roles import Role
from incentives.models import FundingLine, FundingSource, Payment, PayoutBatch, Recovery, Reward, RewardRule
from incentives.selectors import batch_lines, batch_summary, batch_total
from incentives.services import payouts
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RecoveryFactory, RewardWithLinesFactory, fund_generously, publicized

WF, LZ = "410502", "410581"
PAID_ON = datetime.date(2026, 3, 20)
L = FundingLine.Status


@pytest.fixture(autouse=True)
def _funded(db):
    """专项经费 of every source, large enough that the balance check never stands in the way here
    (tests/incentives/test_appropriations.py tests the check itself)."""
    fund_generously()


@pytest.fixture
def city_finance(db):
    return UserFactory(username="city_fin", role=Role.CITY_FINANCE, jurisdiction=None)


@pytest.fixture
def wf_finance(db):
    return UserFactory(username="wf_fin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction(WF))


@pytest.fixture
def lz_finance(db):
    return UserFactory(username="lz_fin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction(LZ))


@pytest.fixture
def admin(db):
    return UserFactory(username="admin1", role=Role.ADMIN, jurisdiction=None)


def approved_reward(code=WF, *, rule="HTE_NEW", approved_on=datetime.date(2026, 3, 1), **kwargs) -> Reward:
    """An approved reward with its approved funding lines (city share, and county share for HTE_NEW),
    whose 公示 has ended (so its lines may be paid; tests/incentives/test_publicity.py tests the hold)."""
    approved_at = timezone.make_aware(datetime.datetime.combine(approved_on, datetime.time(10, 0)))
    reward = RewardWithLinesFactory(
        enterprise=EnterpriseFactory(jurisdiction=jurisdiction(code), **kwargs),
        rule=RewardRule.objects.get(code=rule),
        status=Reward.Status.APPROVED,
        approved_at=approved_at,
    )
    publicized([reward])
    return reward


def line_of(reward: Reward, source: str) -> FundingLine:
    return reward.lines.get(source=source)


def city_batch(by, name="2026年第一批市级奖励资金") -> PayoutBatch:
    return payouts.batch_create(by=by, name=name, source=FundingSource.CITY)


def locked_city_batch(by, *rewards) -> PayoutBatch:
    batch = city_batch(by)
    payouts.batch_add_lines(batch=batch, lines_or_ids=[line_of(r, "city") for r in rewards], by=by)
    return payouts.batch_lock(batch=batch, by=by)


def refresh(obj):
    obj.refresh_from_db()
    return obj


class TestBatchCreate:
    def test_city_finance_makes_a_city_batch(self, city_finance):
        batch = city_batch(city_finance)
        assert (batch.source, batch.jurisdiction, batch.status) == ("city", None, PayoutBatch.Status.DRAFT)
        assert batch.created_by == city_finance
        assert AuditLog.objects.filter(action="incentives.batch.created", object_id=str(batch.pk)).exists()

    def test_county_finance_makes_a_batch_of_its_own_county(self, wf_finance):
        batch = payouts.batch_create(by=wf_finance, name="文峰区第一批", source="county")
        assert batch.jurisdiction.code == WF
        explicit = payouts.batch_create(
            by=wf_finance, name="文峰区第二批", source="county", jurisdiction=jurisdiction(WF)
        )
        assert explicit.jurisdiction.code == WF

    @pytest.mark.parametrize(
        ("user", "source", "code"),
        [
            ("city_finance", "county", WF),  # city finance does not pay county money
            ("city_finance", "city", WF),  # a city batch belongs to no county
            ("wf_finance", "city", None),
            ("wf_finance", "county", LZ),  # 文峰 finance cannot make a 林州 batch
            ("reviewer", "city", None),
            ("county_official", "county", WF),
            ("admin", "city", None),
        ],
    )
    def test_refused_outside_ones_own_money(self, request, db, user, source, code):
        by = request.getfixturevalue(user)
        with pytest.raises(DomainError):
            payouts.batch_create(
                by=by, name="批次", source=source, jurisdiction=jurisdiction(code) if code else None
            )
        assert not PayoutBatch.objects.exists()

    def test_name_is_required(self, city_finance):
        with pytest.raises(DomainError, match="批次名称"):
            payouts.batch_create(by=city_finance, name="  ", source="city")


class TestAddLines:
    def test_adds_approved_city_lines(self, city_finance):
        rewards = [approved_reward(), approved_reward(LZ)]
        batch = city_batch(city_finance)
        added = payouts.batch_add_lines(
            batch=batch,
            lines_or_ids=[line_of(rewards[0], "city"), line_of(rewards[1], "city").pk],
            by=city_finance,
        )
        assert added == 2
        for reward in rewards:
            line = line_of(reward, "city")
            assert (line.status, line.batch_id) == (L.BATCHED, batch.pk)
            assert line_of(reward, "county").status == L.APPROVED  # the county's share is not the city's
        assert batch_total(batch) == Decimal("300000.00")
        entry = AuditLog.objects.get(action="incentives.batch.lines_added")
        assert entry.data["count"] == 2 and entry.data["amount"] == "300000.00"

    def test_city_finance_cannot_batch_county_lines(self, city_finance):
        reward = approved_reward()
        batch = city_batch(city_finance)
        with pytest.raises(DomainError):
            payouts.batch_add_lines(batch=batch, lines_or_ids=[line_of(reward, "county")], by=city_finance)
        assert line_of(reward, "county").status == L.APPROVED

    def test_county_finance_only_touches_its_own_county(self, wf_finance, lz_finance):
        wf, lz = approved_reward(WF), approved_reward(LZ)
        wf_batch = payouts.batch_create(by=wf_finance, name="文峰区第一批", source="county")
        with pytest.raises(DomainError):
            payouts.batch_add_lines(batch=wf_batch, lines_or_ids=[line_of(lz, "county")], by=wf_finance)
        with pytest.raises(DomainError):  # nor the city's share of its own enterprises
            payouts.batch_add_lines(batch=wf_batch, lines_or_ids=[line_of(wf, "city")], by=wf_finance)
        with pytest.raises(DomainError):  # 林州 finance cannot add to 文峰's batch
            payouts.batch_add_lines(batch=wf_batch, lines_or_ids=[line_of(lz, "county")], by=lz_finance)
        assert (
            payouts.batch_add_lines(batch=wf_batch, lines_or_ids=[line_of(wf, "county")], by=wf_finance) == 1
        )
        assert line_of(lz, "county").status == L.APPROVED

    @pytest.mark.parametrize("user", ["reviewer", "county_official", "admin", "lz_finance"])
    def test_others_cannot_batch(self, request, city_finance, wf_finance, user):
        reward = approved_reward()
        by = request.getfixturevalue(user)
        for batch, line in (
            (city_batch(city_finance), line_of(reward, "city")),
            (payouts.batch_create(by=wf_finance, name="文峰", source="county"), line_of(reward, "county")),
        ):
            with pytest.raises(DomainError):
                payouts.batch_add_lines(batch=batch, lines_or_ids=[line], by=by)
            with pytest.raises(DomainError):
                payouts.batch_add_matching(batch=batch, by=by)
        assert not FundingLine.objects.filter(status=L.BATCHED).exists()

    @pytest.mark.parametrize("status", [L.PENDING, L.CANCELLED, L.PAID])
    def test_only_approved_lines(self, city_finance, status):
        reward = approved_reward()
        # A paid line has a batch (a database constraint); give it one.
        old = city_batch(city_finance, "旧批次") if status == L.PAID else None
        FundingLine.objects.filter(reward=reward).update(status=status, batch=old)
        with pytest.raises(DomainError, match="状态"):
            payouts.batch_add_lines(
                batch=city_batch(city_finance), lines_or_ids=[line_of(reward, "city")], by=city_finance
            )

    def test_all_or_nothing(self, city_finance):
        good, pending = approved_reward(), approved_reward()
        FundingLine.objects.filter(reward=pending).update(status=L.PENDING)
        batch = city_batch(city_finance)
        with pytest.raises(DomainError):
            payouts.batch_add_lines(
                batch=batch, lines_or_ids=[line_of(good, "city"), line_of(pending, "city")], by=city_finance
            )
        assert line_of(good, "city").status == L.APPROVED
        assert not batch.lines.exists()

    def test_a_line_is_in_one_batch_only(self, city_finance):
        reward = approved_reward()
        first, second = city_batch(city_finance, "一"), city_batch(city_finance, "二")
        payouts.batch_add_lines(batch=first, lines_or_ids=[line_of(reward, "city")], by=city_finance)
        with pytest.raises(DomainError, match="已在拨付批次中"):
            payouts.batch_add_lines(batch=second, lines_or_ids=[line_of(reward, "city")], by=city_finance)
        assert line_of(reward, "city").batch_id == first.pk

    def test_unknown_line_and_empty_selection(self, city_finance):
        batch = city_batch(city_finance)
        with pytest.raises(DomainError, match="不存在"):
            payouts.batch_add_lines(batch=batch, lines_or_ids=[987654], by=city_finance)
        with pytest.raises(DomainError, match="请选择"):
            payouts.batch_add_lines(batch=batch, lines_or_ids=[], by=city_finance)

    def test_cannot_add_to_a_locked_batch(self, city_finance):
        first, second = approved_reward(), approved_reward()
        batch = locked_city_batch(city_finance, first)
        with pytest.raises(DomainError, match="编制中"):
            payouts.batch_add_lines(batch=batch, lines_or_ids=[line_of(second, "city")], by=city_finance)
        with pytest.raises(DomainError, match="编制中"):
            payouts.batch_add_matching(batch=batch, by=city_finance)
        assert line_of(second, "city").status == L.APPROVED


class TestAddMatching:
    def test_filters_by_rule_jurisdiction_and_approval_period(self, city_finance):
        march_wf = approved_reward(WF, approved_on=datetime.date(2026, 3, 5))
        march_lz = approved_reward(LZ, approved_on=datetime.date(2026, 3, 31))
        april_wf = approved_reward(WF, approved_on=datetime.date(2026, 4, 1))
        giant = approved_reward(WF, rule="LITTLE_GIANT", approved_on=datetime.date(2026, 3, 10))
        pending = approved_reward(WF)
        FundingLine.objects.filter(reward=pending).update(status=L.PENDING)

        batch = city_batch(city_finance)
        added = payouts.batch_add_matching(
            batch=batch,
            by=city_finance,
            rule=RewardRule.objects.get(code="HTE_NEW"),
            approved_from=datetime.date(2026, 3, 1),
            approved_to=datetime.date(2026, 3, 31),
        )
        assert added == 2
        assert set(batch.lines.values_list("reward_id", flat=True)) == {march_wf.pk, march_lz.pk}

        second = city_batch(city_finance, "第二批")
        assert payouts.batch_add_matching(batch=second, by=city_finance, jurisdiction=jurisdiction(WF)) == 2
        assert set(second.lines.values_list("reward_id", flat=True)) == {april_wf.pk, giant.pk}
        assert batch_total(second) == Decimal("450000.00")
        # Nothing left: already batched lines are not taken again.
        assert payouts.batch_add_matching(batch=city_batch(city_finance, "第三批"), by=city_finance) == 0

    def test_county_batch_takes_only_its_county_lines(self, wf_finance):
        wf, lz = approved_reward(WF), approved_reward(LZ)
        batch = payouts.batch_create(by=wf_finance, name="文峰区", source="county")
        assert payouts.batch_add_matching(batch=batch, by=wf_finance) == 1
        assert list(batch.lines.all()) == [line_of(wf, "county")]
        # Asking for another county's lines through the filter finds nothing.
        assert payouts.batch_add_matching(batch=batch, by=wf_finance, jurisdiction=jurisdiction(LZ)) == 0
        assert line_of(lz, "county").status == L.APPROVED


class TestRemoveAndLock:
    def test_remove_gives_the_line_back(self, city_finance):
        reward = approved_reward()
        batch = city_batch(city_finance)
        payouts.batch_add_lines(batch=batch, lines_or_ids=[line_of(reward, "city")], by=city_finance)
        payouts.batch_remove_line(batch=batch, line=line_of(reward, "city"), by=city_finance)
        line = line_of(reward, "city")
        assert (line.status, line.batch) == (L.APPROVED, None)
        assert batch_total(batch) == Decimal("0.00")

    def test_remove_refused_when_locked_or_not_in_batch(self, city_finance):
        reward, other = approved_reward(), approved_reward()
        batch = locked_city_batch(city_finance, reward)
        with pytest.raises(DomainError, match="编制中"):
            payouts.batch_remove_line(batch=batch, line=line_of(reward, "city"), by=city_finance)
        draft = city_batch(city_finance, "草稿")
        with pytest.raises(DomainError, match="不在本批次"):
            payouts.batch_remove_line(batch=draft, line=line_of(other, "city"), by=city_finance)

    def test_lock(self, city_finance):
        batch = locked_city_batch(city_finance, approved_reward(), approved_reward(LZ))
        assert batch.status == PayoutBatch.Status.LOCKED
        assert batch.locked_by == city_finance and batch.locked_at is not None
        entry = AuditLog.objects.get(action="incentives.batch.locked")
        assert entry.data == {"count": 2, "total": "300000.00"}
        with pytest.raises(DomainError, match="不能再次锁定"):
            payouts.batch_lock(batch=batch, by=city_finance)
        assert not hasattr(payouts, "batch_unlock")

    def test_empty_batch_cannot_be_locked(self, city_finance):
        with pytest.raises(DomainError, match="没有资金明细"):
            payouts.batch_lock(batch=city_batch(city_finance), by=city_finance)

    def test_only_the_owner_locks(self, city_finance, wf_finance, reviewer):
        batch = city_batch(city_finance)
        payouts.batch_add_lines(
            batch=batch, lines_or_ids=[line_of(approved_reward(), "city")], by=city_finance
        )
        for by in (wf_finance, reviewer):
            with pytest.raises(DomainError):
                payouts.batch_lock(batch=batch, by=by)
        assert refresh(batch).status == PayoutBatch.Status.DRAFT

    def test_batch_reads(self, city_finance):
        rewards = [approved_reward(), approved_reward(LZ), approved_reward(rule="LEADING")]
        batch = locked_city_batch(city_finance, *rewards)
        assert batch_total(batch) == Decimal("800000.00")
        assert batch_lines(batch).count() == 3
        summary = batch_summary(batch)
        assert (summary["count"], summary["total"], summary["paid"], summary["unpaid"]) == (
            3,
            Decimal("800000.00"),
            Decimal("0.00"),
            Decimal("800000.00"),
        )


class TestPayment:
    def test_records_one_payment(self, city_finance):
        reward = approved_reward()
        batch = locked_city_batch(city_finance, reward, approved_reward())
        payment = payouts.payment_record(
            line=line_of(reward, "city"), paid_on=PAID_ON, reference=" ZF-001 ", by=city_finance
        )
        line = line_of(reward, "city")
        assert payment.line == line and payment.amount == line.amount == Decimal("150000.00")
        assert (payment.paid_on, payment.reference, payment.recorded_by) == (PAID_ON, "ZF-001", city_finance)
        assert line.status == L.PAID
        assert refresh(batch).status == PayoutBatch.Status.LOCKED  # one line is still unpaid
        entry = AuditLog.objects.get(action="incentives.payment.recorded")
        assert entry.object_id == str(payment.pk) and entry.data["amount"] == "150000.00"

    def test_pay_twice_is_refused(self, city_finance):
        reward = approved_reward()
        locked_city_batch(city_finance, reward)
        payouts.payment_record(line=line_of(reward, "city"), paid_on=PAID_ON, reference="A", by=city_finance)
        with pytest.raises(DomainError, match="该笔资金已登记拨付"):
            payouts.payment_record(
                line=line_of(reward, "city"), paid_on=PAID_ON, reference="B", by=city_finance
            )
        assert Payment.objects.get().reference == "A"

    def test_one_to_one_refuses_a_second_payment_behind_the_status(self, city_finance):
        # Should a line's status ever disagree with its payment, the unique line still refuses.
        reward = approved_reward()
        locked_city_batch(city_finance, reward)
        line = line_of(reward, "city")
        Payment.objects.create(
            line=line, amount=line.amount, paid_on=PAID_ON, reference="X", recorded_by=city_finance
        )
        with pytest.raises(DomainError, match="该笔资金已登记拨付"):
            payouts.payment_record(line=line, paid_on=PAID_ON, reference="Y", by=city_finance)
        assert Payment.objects.count() == 1 and line_of(reward, "city").status == L.BATCHED

    def test_unlocked_batch_cannot_be_paid(self, city_finance):
        reward = approved_reward()
        batch = city_batch(city_finance)
        payouts.batch_add_lines(batch=batch, lines_or_ids=[line_of(reward, "city")], by=city_finance)
        with pytest.raises(DomainError, match="已锁定"):
            payouts.payment_record(
                line=line_of(reward, "city"), paid_on=PAID_ON, reference="A", by=city_finance
            )
        with pytest.raises(DomainError, match="尚未锁定"):
            payouts.batch_record_payment(batch=batch, paid_on=PAID_ON, reference="A", by=city_finance)
        assert not Payment.objects.exists()

    def test_unbatched_line_cannot_be_paid(self, city_finance):
        reward = approved_reward()
        with pytest.raises(DomainError, match="尚未加入拨付批次"):
            payouts.payment_record(
                line=line_of(reward, "city"), paid_on=PAID_ON, reference="A", by=city_finance
            )

    @pytest.mark.parametrize("user", ["wf_finance", "reviewer", "county_official", "admin"])
    def test_only_the_paying_finance_records(self, request, city_finance, user):
        reward = approved_reward()
        batch = locked_city_batch(city_finance, reward)
        by = request.getfixturevalue(user)
        with pytest.raises(DomainError):
            payouts.payment_record(line=line_of(reward, "city"), paid_on=PAID_ON, reference="A", by=by)
        with pytest.raises(DomainError):
            payouts.batch_record_payment(batch=batch, paid_on=PAID_ON, reference="A", by=by)
        assert not Payment.objects.exists()

    def test_county_lines_are_paid_by_their_county(self, wf_finance, lz_finance, city_finance):
        reward = approved_reward(WF)
        batch = payouts.batch_create(by=wf_finance, name="文峰区", source="county")
        payouts.batch_add_matching(batch=batch, by=wf_finance)
        payouts.batch_lock(batch=batch, by=wf_finance)
        for by in (lz_finance, city_finance):
            with pytest.raises(DomainError):
                payouts.payment_record(line=line_of(reward, "county"), paid_on=PAID_ON, reference="A", by=by)
        payouts.payment_record(line=line_of(reward, "county"), paid_on=PAID_ON, reference="A", by=wf_finance)
        assert line_of(reward, "county").status == L.PAID

    @pytest.mark.parametrize(
        ("paid_on", "reference", "message"),
        [
            (None, "A", "拨付日期"),
            (datetime.date(2999, 1, 1), "A", "不能晚于今天"),
            (PAID_ON, "  ", "凭证号"),
        ],
    )
    def test_date_and_reference_are_required(self, city_finance, paid_on, reference, message):
        reward = approved_reward()
        locked_city_batch(city_finance, reward)
        with pytest.raises(DomainError, match=message):
            payouts.payment_record(
                line=line_of(reward, "city"), paid_on=paid_on, reference=reference, by=city_finance
            )

    def test_paying_every_line_pays_the_batch(self, city_finance):
        first, second = approved_reward(), approved_reward()
        batch = locked_city_batch(city_finance, first, second)
        for reward in (first, second):
            payouts.payment_record(
                line=line_of(reward, "city"), paid_on=PAID_ON, reference="A", by=city_finance
            )
        assert refresh(batch).status == PayoutBatch.Status.PAID
        assert AuditLog.objects.get(action="incentives.batch.paid").data == {"total": "300000.00"}


class TestWholeBatchPayment:
    def test_pays_every_unpaid_line(self, city_finance):
        rewards = [approved_reward(), approved_reward(LZ), approved_reward(rule="LEADING")]
        batch = locked_city_batch(city_finance, *rewards)
        payouts.payment_record(
            line=line_of(rewards[0], "city"), paid_on=PAID_ON, reference="單筆", by=city_finance
        )
        paid = payouts.batch_record_payment(
            batch=batch, paid_on=PAID_ON, reference="ZF-BATCH", by=city_finance
        )
        assert paid == 2
        assert refresh(batch).status == PayoutBatch.Status.PAID
        assert Payment.objects.count() == 3
        assert sorted(Payment.objects.values_list("reference", flat=True)) == ["ZF-BATCH", "ZF-BATCH", "單筆"]
        assert sum(p.amount for p in Payment.objects.all()) == batch_total(batch) == Decimal("800000.00")
        assert AuditLog.objects.filter(action="incentives.payment.recorded").count() == 3
        batch_entries = AuditLog.objects.filter(
            action="incentives.payment.recorded", data__reference="ZF-BATCH"
        ).order_by("pk")
        assert [(e.user, e.data["batch"], e.data["source"]) for e in batch_entries] == [
            (city_finance, batch.pk, "city")
        ] * 2
        assert {e.object_id for e in batch_entries} == {
            str(p.pk) for p in Payment.objects.filter(reference="ZF-BATCH")
        }
        with pytest.raises(DomainError, match="已全部拨付"):
            payouts.batch_record_payment(batch=batch, paid_on=PAID_ON, reference="again", by=city_finance)
        # The rewards paid wholly by the city (Leading) are paid; the HTE ones wait for their county.
        assert refresh(rewards[2]).status == Reward.Status.PAID
        assert refresh(rewards[0]).status == Reward.Status.APPROVED

    def test_county_officials_are_told(self, city_finance, county_official):
        reward = approved_reward(WF, rule="LITTLE_GIANT")
        batch = locked_city_batch(city_finance, reward)
        payouts.batch_record_payment(batch=batch, paid_on=PAID_ON, reference="ZF", by=city_finance)
        assert Notification.objects.filter(user=county_official, title__contains="已拨付").count() == 1


class TestRewardPaid:
    def test_reward_is_paid_when_city_and_county_shares_are(self, city_finance, wf_finance):
        reward = approved_reward(WF)
        city = locked_city_batch(city_finance, reward)
        payouts.batch_record_payment(batch=city, paid_on=PAID_ON, reference="C", by=city_finance)
        assert refresh(reward).status == Reward.Status.APPROVED

        county = payouts.batch_create(by=wf_finance, name="文峰区", source="county")
        payouts.batch_add_lines(batch=county, lines_or_ids=[line_of(reward, "county")], by=wf_finance)
        payouts.batch_lock(batch=county, by=wf_finance)
        payouts.payment_record(line=line_of(reward, "county"), paid_on=PAID_ON, reference="W", by=wf_finance)
        assert refresh(reward).status == Reward.Status.PAID
        assert refresh(county).status == PayoutBatch.Status.PAID


class TestRecovery:
    def test_finance_of_the_line_records_the_recovery(self, city_finance, wf_finance):
        recovery = RecoveryFactory()  # a paid city line
        with pytest.raises(DomainError):
            payouts.recovery_record(recovery=recovery, recovered_on=PAID_ON, reference="R", by=wf_finance)
        done = payouts.recovery_record(
            recovery=recovery, recovered_on=PAID_ON, reference="HK-1", by=city_finance
        )
        assert (done.status, done.recovered_on, done.reference) == (
            Recovery.Status.RECOVERED,
            PAID_ON,
            "HK-1",
        )
        assert AuditLog.objects.filter(action="incentives.recovery.recorded", object_id=str(done.pk)).exists()
        with pytest.raises(DomainError, match="不能重复登记"):
            payouts.recovery_record(
                recovery=recovery, recovered_on=PAID_ON, reference="HK-2", by=city_finance
            )
        payment = refresh(recovery.payment)
        assert payment.amount == recovery.amount  # the payment itself is never edited

    def test_reviewer_cannot_record_a_recovery(self, reviewer):
        recovery = RecoveryFactory()
        with pytest.raises(DomainError):
            payouts.recovery_record(recovery=recovery, recovered_on=PAID_ON, reference="R", by=reviewer)
        assert refresh(recovery).status == Recovery.Status.OPEN


def test_no_service_edits_a_payment():
    public = [name for name in dir(payouts) if not name.startswith("_")]
    assert not [name for name in public if name.startswith("payment_") and name != "payment_record"]
