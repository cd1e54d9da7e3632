"""Payment of a large batch as a Celery job: the request queues it, a worker records it, the page polls.

    run = payment_run_start(batch=batch, paid_on=day, reference="PZ-1", by=officer)   # queued
    payment_run_execute(run_id=run.pk)                                               # the task

The worker calls the same service as the inline path (``payouts.batch_record_payment``, with the same
guard on the officer who asked), all in one transaction: every line paid, or none. While a run is
pending or running the batch is "拨付登记中": paying it again, or any of its lines, is refused
(``payouts.ensure_not_paying``; at most one active run per batch is also a constraint).

A redelivered task pays nothing twice: :func:`~anyang_hte.core.jobs.claim` lets only one execution hold
the run, the run is marked done in the payment's own transaction (a worker killed before the commit
leaves the batch unpaid and the run to be taken up again), and a batch already paid is refused by the
service. Progress is the run's heartbeat, saved every ``PAYMENT_PROGRESS_LINES`` lines; on PostgreSQL it
is written through a second connection so the page sees it while the payment's transaction is open.
"""

import logging

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.jobs import Superseded, claim, enqueue, heartbeat, mark_refused

from ..models import FundingLine, PaymentRun, PayoutBatch
from .payouts import _check_payment_input, _lock_batch, batch_record_payment, check_batch_payable
from .publicity import ensure_lines_published

logger = logging.getLogger(__name__)


@transaction.atomic
def payment_run_start(*, batch: PayoutBatch, paid_on, reference: str, by) -> PaymentRun:
    """Queue payment of every unpaid line of a locked batch; the same refusals as paying it inline.

    With the broker down the run is failed at once and ``BrokerUnavailable`` raised from the commit."""
    from ..tasks import run_payment  # tasks import the services

    reference = _check_payment_input(paid_on, reference)
    batch = _lock_batch(batch)
    check_batch_payable(batch, by=by)
    unpaid = list(
        FundingLine.objects.payable_by(by)
        .filter(batch=batch, status=FundingLine.Status.BATCHED)
        .only("pk", "reward_id")
        .order_by("pk")
    )
    total = len(unpaid)
    if not total:
        raise DomainError(_("批次中没有待拨付的资金明细。"))
    # refused now rather than in the worker (which checks again, in ``batch_record_payment``)
    ensure_lines_published(unpaid, paid_on=paid_on)
    run = PaymentRun.objects.create(
        batch=batch,
        user=by,
        paid_on=paid_on,
        reference=reference,
        rows_total=total,
        heartbeat_at=timezone.now(),
    )
    audit_log(
        batch,
        "incentives.batch.payment_queued",
        by=by,
        data={"run": run.pk, "count": total, "paid_on": paid_on.isoformat(), "reference": reference},
    )
    enqueue(run_payment, run.pk, on_refused=mark_refused(PaymentRun, run.pk))
    return run


class _Progress:
    """Saves how many lines are paid (the run's heartbeat) from inside the payment's transaction.

    On PostgreSQL the row is written through a connection of its own, so pollers and the stale-run
    sweeper see it before the payment commits; whether this execution still holds the run is read on
    the payment's connection (READ COMMITTED sees another execution's claim at once). SQLite lets one
    writer at a time, so there the heartbeat is written in the payment's transaction (seen at its end).
    """

    def __init__(self, run: PaymentRun, token: str):
        self.run_id, self.token = run.pk, token
        self.mine = PaymentRun.objects.filter(pk=run.pk)
        self.side = None

    def __call__(self, rows_done: int) -> None:
        if connection.vendor != "postgresql":
            if not heartbeat(self.mine, self.token, rows_done=rows_done):
                raise Superseded
            return
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {PaymentRun._meta.db_table} SET heartbeat_at = %s, rows_done = %s "  # noqa: S608
                "WHERE id = %s AND status = %s AND claim = %s",
                [timezone.now(), rows_done, self.run_id, PaymentRun.Status.RUNNING, self.token],
            )
        if not self.mine.filter(status=PaymentRun.Status.RUNNING, claim=self.token).exists():
            raise Superseded

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _end(run: PaymentRun, token: str, *, status: str, **fields) -> None:
    ended = PaymentRun.objects.filter(pk=run.pk, status=PaymentRun.Status.RUNNING, claim=token).update(
        status=status, finished_at=timezone.now(), **fields
    )
    if not ended:
        raise Superseded


def payment_run_execute(*, run_id: int) -> PaymentRun:
    """Record the payment a run asks for, as its officer (the guard is asked again, here). A run already
    ended, or held by a live execution, is left alone; a run whose worker died is taken over."""
    this_run = PaymentRun.objects.filter(pk=run_id)
    token = claim(this_run, rows_done=0, error="", finished_at=None)
    if token is None:
        return this_run.get()
    run = PaymentRun.objects.select_related("batch", "user").get(pk=run_id)
    progress = _Progress(run, token)
    try:
        with transaction.atomic():
            paid = batch_record_payment(
                batch=run.batch,
                paid_on=run.paid_on,
                reference=run.reference,
                by=run.user,
                run=run,
                progress=progress,
            )
            _end(run, token, status=PaymentRun.Status.DONE, rows_done=paid)
    except Superseded:
        logger.warning("payment run %s taken over by another execution; stopping", run_id)
    except DomainError as exc:
        _end(run, token, status=PaymentRun.Status.FAILED, error=exc.message)
    except (OperationalError, InterfaceError):
        # the database was briefly unavailable: nothing was paid; free the run for the task's retry
        this_run.filter(claim=token).update(status=PaymentRun.Status.PENDING, claim="")
        raise
    except Exception:
        logger.exception("payment run %s failed", run_id)
        _end(
            run,
            token,
            status=PaymentRun.Status.FAILED,
            error=_("登记拨付失败，没有登记任何拨付；请稍后重试或联系系统管理员。"),
        )
        raise
    finally:
        progress.close()
    return this_run.get()
