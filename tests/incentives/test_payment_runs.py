"""Paying a large batch runs as a Celery job with progress (issue 12, item 5).

Above ``PAYMENT_INLINE_LINES`` unpaid lines the batch page queues a ``PaymentRun`` and polls it; the
worker calls the same service as the inline path, as the officer who asked, in one transaction. Celery
runs in-process here; ``django_capture_on_commit_callbacks(execute=True)`` runs the after-commit publish.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from anyang_hte.core.dates import today
from anyang_hte.core.models import AuditLog, Notification
from anyang_hte.core.roles import Role
from incentives.models import FundingLine, FundingSource, Payment, PaymentRun, PayoutBatch
from incentives.selectors import batch_summary
from incentives.services import payment_runs, payouts
from incentives.tasks import run_payment
from tests.core.test_broker_down import broker_down  # noqa: F401 (a fixture)
from tests.factories import UserFactory
from tests.incentives.test_payouts import approved_reward, line_of, refresh

PAID_ON = datetime.date(2026, 3, 20)
L = FundingLine.Status
BUSY = "拨付登记中"


@pytest.fixture(autouse=True)
def _small_batches(settings, db):
    from tests.incentives.factories import fund_generously

    fund_generously()
    settings.PAYMENT_INLINE_LINES = 2  # three lines make a "large" batch
    settings.PAYMENT_PROGRESS_LINES = 2


@pytest.fixture
def finance(db):
    return UserFactory(username="city_fin_run", role=Role.CITY_FINANCE, jurisdiction=None)


def locked_batch(by, n=3, name="2026年第一批市级奖励资金") -> PayoutBatch:
    batch = payouts.batch_create(by=by, name=name, source=FundingSource.CITY)
    lines = [line_of(approved_reward(), "city") for _ in range(n)]
    payouts.batch_add_lines(batch=batch, lines_or_ids=lines, by=by)
    return payouts.batch_lock(batch=batch, by=by)


def outcome(batch: PayoutBatch) -> dict:
    """What paying a batch leaves behind, independent of ids."""
    lines = list(batch.lines.order_by("pk"))
    payments = Payment.objects.filter(line__batch=batch)
    recorded = AuditLog.objects.filter(
        action="incentives.payment.recorded",
        object_id__in=[str(pk) for pk in payments.values_list("pk", flat=True)],
    )
    return {
        "batch": refresh(batch).status,
        "lines": [line.status for line in lines],
        "rewards": {line.reward.status for line in lines},
        "payments": sorted((str(p.amount), p.paid_on, p.reference, p.recorded_by_id) for p in payments),
        "recorded": recorded.count(),
        "batch_paid_audits": AuditLog.objects.filter(
            action="incentives.batch.paid", object_id=str(batch.pk)
        ).count(),
        "notified": Notification.objects.filter(title__contains=lines[0].reward.enterprise.name[:4]).count()
        > 0,
        "summary": {k: v for k, v in batch_summary(batch).items() if isinstance(v, Decimal | int)},
    }


def pay_page(client, batch, reference="PZ-2026-001", paid_on=PAID_ON):
    return client.post(
        reverse("incentives:batch_action", args=[batch.pk, "pay"]),
        {"paid_on": paid_on.isoformat(), "reference": reference},
    )


def test_a_large_batch_is_paid_by_a_job_exactly_as_inline(
    client, finance, django_capture_on_commit_callbacks
):
    client.force_login(finance)
    inline = locked_batch(finance, n=2, name="小批次")
    assert pay_page(client, inline).status_code == 302  # two lines: paid in the request, as before
    assert not PaymentRun.objects.exists()

    large = locked_batch(finance, n=3, name="大批次")
    with django_capture_on_commit_callbacks(execute=True):
        response = pay_page(client, large)
    assert response.status_code == 302
    run = PaymentRun.objects.get(batch=large)
    assert (run.status, run.rows_total, run.rows_done, run.user, run.reference) == (
        PaymentRun.Status.DONE,
        3,
        3,
        finance,
        "PZ-2026-001",
    )
    a, b = outcome(inline), outcome(large)
    assert b["batch"] == PayoutBatch.Status.PAID and set(b["lines"]) == {L.PAID}
    assert (b["recorded"], b["batch_paid_audits"]) == (3, 1)
    for key in ("batch", "rewards", "batch_paid_audits", "notified"):
        assert a[key] == b[key], key
    assert {r[1:] for r in a["payments"]} == {r[1:] for r in b["payments"]}
    assert sum(Decimal(r[0]) for r in b["payments"]) == batch_summary(large)["paid"]
    assert AuditLog.objects.filter(action="incentives.batch.payment_queued", object_id=str(large.pk)).exists()
    page = client.get(reverse("incentives:batch_detail", args=[large.pk])).content.decode()
    assert BUSY not in page and "PZ-2026-001" in page


def test_while_running_the_page_shows_progress_and_refuses_a_second_payment(
    client, finance, django_capture_on_commit_callbacks
):
    client.force_login(finance)
    batch = locked_batch(finance)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        pay_page(client, batch)
    assert len(queued) == 1  # the publish waits for the commit (the worker has not started)
    run = PaymentRun.objects.get(batch=batch)
    assert run.status == PaymentRun.Status.PENDING

    page = client.get(reverse("incentives:batch_detail", args=[batch.pk])).content.decode()
    assert BUSY in page and 'data-testid="payment-run"' in page and "payment-form" not in page
    poll = client.get(reverse("incentives:payment_run", args=[batch.pk, run.pk]), HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and "hx-get" in poll.content.decode() and "HX-Refresh" not in poll

    again = pay_page(client, batch, reference="PZ-AGAIN")
    assert again.status_code == 200
    assert BUSY in again.content.decode()
    with pytest.raises(payouts.DomainError, match=BUSY):
        payouts.payment_record(line=batch.lines.first(), paid_on=PAID_ON, reference="X", by=finance)
    with pytest.raises(payouts.DomainError, match=BUSY):
        payouts.batch_record_payment(batch=batch, paid_on=PAID_ON, reference="X", by=finance)
    assert PaymentRun.objects.filter(batch=batch).count() == 1 and not Payment.objects.exists()

    queued[0]()  # the worker runs it
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.DONE and refresh(batch).status == PayoutBatch.Status.PAID
    poll = client.get(reverse("incentives:payment_run", args=[batch.pk, run.pk]), HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"


def test_progress_is_saved_every_few_lines(finance, django_capture_on_commit_callbacks, monkeypatch):
    batch = locked_batch(finance, n=5)
    seen = []
    beat = payment_runs._Progress.__call__

    def spy(self, rows_done):
        seen.append(rows_done)
        return beat(self, rows_done)

    monkeypatch.setattr(payment_runs._Progress, "__call__", spy)
    with django_capture_on_commit_callbacks(execute=True):
        payment_runs.payment_run_start(batch=batch, paid_on=PAID_ON, reference="PZ-5", by=finance)
    assert seen == [2, 4, 5]


def test_the_guard_is_asked_again_inside_the_task(finance, django_capture_on_commit_callbacks):
    batch = locked_batch(finance)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = payment_runs.payment_run_start(batch=batch, paid_on=PAID_ON, reference="PZ-1", by=finance)
    finance.role = Role.TECH_REVIEWER  # lost the right before the worker took the run
    finance.save()
    queued[0]()
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.FAILED and run.error
    assert not Payment.objects.exists() and set(batch.lines.values_list("status", flat=True)) == {L.BATCHED}
    assert refresh(batch).status == PayoutBatch.Status.LOCKED


def test_a_failed_run_shows_its_reason_on_the_batch_page(client, finance, django_capture_on_commit_callbacks):
    batch = locked_batch(finance)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = payment_runs.payment_run_start(batch=batch, paid_on=PAID_ON, reference="PZ-1", by=finance)
    # a refusal the service makes inside the worker (the date it checks again is past "today")
    PaymentRun.objects.filter(pk=run.pk).update(paid_on=today() + datetime.timedelta(days=3))
    queued[0]()
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.FAILED and "拨付日期不能晚于今天" in run.error
    assert not Payment.objects.exists()
    client.force_login(finance)
    page = client.get(reverse("incentives:batch_detail", args=[batch.pk])).content.decode()
    assert 'data-testid="payment-run-error"' in page and run.error in page and "payment-form" in page


def test_a_redelivered_task_pays_nothing_twice(finance, django_capture_on_commit_callbacks):
    batch = locked_batch(finance)
    with django_capture_on_commit_callbacks(execute=True):
        run = payment_runs.payment_run_start(batch=batch, paid_on=PAID_ON, reference="PZ-1", by=finance)
    assert refresh(run).status == PaymentRun.Status.DONE
    assert run_payment.apply(args=[run.pk]).get() == PaymentRun.Status.DONE
    assert Payment.objects.count() == 3
    assert AuditLog.objects.filter(action="incentives.payment.recorded").count() == 3


def test_the_form_is_checked_before_anything_is_queued(client, finance):
    client.force_login(finance)
    batch = locked_batch(finance)
    response = pay_page(client, batch, reference="  ")
    assert response.status_code == 200 and not PaymentRun.objects.exists()
    assert 'value="2026-03-20"' in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_broker_down_refuses_and_leaves_no_pending_run(client, broker_down):  # noqa: F811
    finance = UserFactory(username="city_fin_bd", role=Role.CITY_FINANCE, jurisdiction=None)
    batch = locked_batch(finance)
    client.force_login(finance)
    response = pay_page(client, batch, reference="PZ-BD")
    body = response.content.decode()
    assert response.status_code == 200
    assert "后台任务服务暂不可用，请稍后再试" in body and 'value="PZ-BD"' in body
    assert not PaymentRun.objects.filter(status__in=PaymentRun.ACTIVE).exists()
    assert refresh(batch).status == PayoutBatch.Status.LOCKED and not Payment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_progress_is_seen_while_the_payment_is_still_open(finance, monkeypatch):
    """Committed rows, as under a real worker: the heartbeat written on the side connection neither waits
    for the payment's locks nor waits for its commit; another connection reads it mid-payment."""
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("the side connection is PostgreSQL's; SQLite writes the heartbeat in the transaction")
    batch = locked_batch(finance, n=5)
    run = PaymentRun.objects.create(
        batch=batch, user=finance, paid_on=PAID_ON, reference="PZ-PG", status=PaymentRun.Status.PENDING
    )
    observer = connections.create_connection(DEFAULT_DB_ALIAS)
    seen = []
    beat = payment_runs._Progress.__call__

    def look(self, rows_done):
        beat(self, rows_done)
        with observer.cursor() as cursor:  # a poller's view, outside the payment's transaction
            cursor.execute("SET statement_timeout = 5000")
            cursor.execute(f"SELECT rows_done FROM {PaymentRun._meta.db_table} WHERE id = %s", [run.pk])
            seen.append(cursor.fetchone()[0])

    monkeypatch.setattr(payment_runs._Progress, "__call__", look)
    try:
        payment_runs.payment_run_execute(run_id=run.pk)
    finally:
        observer.close()
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.DONE and run.rows_done == 5
    assert seen == [2, 4, 5]
    assert set(batch.lines.values_list("status", flat=True)) == {L.PAID}
