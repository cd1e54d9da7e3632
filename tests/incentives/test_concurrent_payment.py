"""A funding line is paid once, however many "record payment" requests arrive at the same moment.

Only PostgreSQL runs this (SQLite serialises every writer, so it proves nothing there): N threads,
each with its own connection, wait at a barrier and then record payment of the same line together.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import Role
from incentives.models import FundingLine, Payment, PayoutBatch, Reward, RewardRule
from incentives.services import payouts
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardWithLinesFactory, fund_generously, publicized

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
PAID_ON = datetime.date(2026, 3, 20)
ALREADY_PAID = "该笔资金已登记拨付"


@pytest.fixture(autouse=True)
def _funded(transactional_db):
    """专项经费 of every source, large enough that the balance check never stands in the way here
    (tests/incentives/test_appropriations.py tests the check itself)."""
    fund_generously()


def run_together(calls) -> list[str]:
    """Start every call at once (one thread each); return "ok" or the refusal per call."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = [""] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            call()
            results[index] = "ok"
        except DomainError as exc:
            results[index] = str(exc.message)
        except Exception as exc:  # noqa: BLE001 - any other failure must show in the assertion
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


def approved_reward(code="410502", rule="HTE_NEW") -> Reward:
    """An approved reward whose 公示 has ended (its lines may be paid)."""
    reward = RewardWithLinesFactory(
        enterprise=EnterpriseFactory(jurisdiction=jurisdiction(code)),
        rule=RewardRule.objects.get(code=rule),
        status=Reward.Status.APPROVED,
    )
    publicized([reward])
    return reward


def locked_batch(by, source, lines) -> PayoutBatch:
    batch = payouts.batch_create(by=by, name=f"{source}并发测试批次", source=source)
    payouts.batch_add_lines(batch=batch, lines_or_ids=lines, by=by)
    return payouts.batch_lock(batch=batch, by=by)


@pytest.fixture
def city_finance():
    return UserFactory(username="city_fin", role=Role.CITY_FINANCE, jurisdiction=None)


@pytest.fixture
def wf_finance():
    return UserFactory(username="wf_fin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction("410502"))


def test_one_line_paid_once_by_concurrent_requests(city_finance):
    reward = approved_reward(rule="LITTLE_GIANT")
    line = reward.lines.get(source="city")
    batch = locked_batch(city_finance, "city", [line])

    def pay(i):
        return lambda: payouts.payment_record(
            line=line, paid_on=PAID_ON, reference=f"ZF-{i}", by=city_finance
        )

    results = run_together([pay(i) for i in range(THREADS)])

    assert results.count("ok") == 1, results
    assert results.count(ALREADY_PAID) == THREADS - 1, results
    assert Payment.objects.filter(line=line).count() == 1
    assert Payment.objects.get(line=line).amount == Decimal("300000.00")
    line.refresh_from_db()
    batch.refresh_from_db()
    reward.refresh_from_db()
    assert line.status == FundingLine.Status.PAID
    assert batch.status == PayoutBatch.Status.PAID
    assert reward.status == Reward.Status.PAID


def test_whole_batch_and_single_payments_race(city_finance):
    rewards = [approved_reward(rule="LEADING") for _ in range(3)]
    lines = [r.lines.get(source="city") for r in rewards]
    batch = locked_batch(city_finance, "city", lines)

    def pay_batch(i):
        return lambda: payouts.batch_record_payment(
            batch=batch, paid_on=PAID_ON, reference=f"PL-{i}", by=city_finance
        )

    def pay_line(i):
        line = lines[i % len(lines)]
        return lambda: payouts.payment_record(
            line=line, paid_on=PAID_ON, reference=f"DB-{i}", by=city_finance
        )

    results = run_together(
        [pay_batch(i) for i in range(THREADS // 2)] + [pay_line(i) for i in range(THREADS // 2)]
    )

    assert not [r for r in results if r.startswith("error")], results
    assert Payment.objects.count() == 3
    assert {p.line_id for p in Payment.objects.all()} == {line.pk for line in lines}
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.PAID
    assert set(Reward.objects.values_list("status", flat=True)) == {Reward.Status.PAID}


def test_city_and_county_shares_paid_at_once_pay_the_reward(city_finance, wf_finance):
    """Two finance offices pay the two shares of one reward together: the reward still becomes PAID."""
    for _round in range(3):
        reward = approved_reward()
        city = locked_batch(city_finance, "city", [reward.lines.get(source="city")])
        county = locked_batch(wf_finance, "county", [reward.lines.get(source="county")])
        results = run_together(
            [
                lambda city=city: payouts.batch_record_payment(
                    batch=city, paid_on=PAID_ON, reference="C", by=city_finance
                ),
                lambda county=county: payouts.batch_record_payment(
                    batch=county, paid_on=PAID_ON, reference="W", by=wf_finance
                ),
            ]
        )
        assert results == ["ok", "ok"]
        reward.refresh_from_db()
        assert reward.status == Reward.Status.PAID
