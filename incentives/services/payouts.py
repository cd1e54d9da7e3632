"""Payout batches and payments: every write finance makes to the money.

Only finance builds batches and records payment (``Right.PAYOUT_MANAGE``): city finance for the city's
funding lines (a CITY batch has no jurisdiction), a county's finance for its own county's lines (a
COUNTY batch belongs to that county). Lines move APPROVED → BATCHED (in a draft batch) → PAID (once the
batch is locked); a draft batch gives a line back (BATCHED → APPROVED). A locked batch is what was
exported to the bank, so it is never unlocked.

A funding line is paid at most once: the payment service locks the batch and the line rows and checks
the line's status, and the one-to-one ``Payment.line`` refuses a second payment even if that check were
bypassed. A payment is never edited; money paid on a revoked qualification comes back through a
``Recovery``, a new record.

Lock order is always batch, then rewards, then lines (each in primary-key order); the reward services
lock a reward before its lines too, so a payment and a revocation never deadlock, and the two shares of
one reward paid at the same moment by city and county finance are serialised on the reward's row (so
the second sees the first and marks the reward PAID).
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core import dates
from anyang_hte.core.audit import audit_log, audit_log_many
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import CITY_LEVEL, ensure_allowed, guard
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import Right

from .. import balances, notifications
from ..funding import can_pay, paying_office
from ..models import FundingLine, FundingSource, Payment, PaymentRun, PayoutBatch, Recovery, Reward
from ..selectors import batch_summary
from ..workflow import ensure_line_transition
from .appropriations import balance_enforce
from .publicity import ensure_lines_published
from .rewards import rewards_mark_paid_if_complete

Line = FundingLine.Status
Batch = PayoutBatch.Status
CHUNK = 900  # ids per IN (...) list, below SQLite's oldest limit on query parameters


# --- who may touch what (funding.py says which office pays which money) -------------------------


def _ensure_finance(by) -> None:
    # the money's source and county are checked per line (``_ensure_source``, ``can_pay``)
    guard(
        by,
        Right.PAYOUT_MANAGE,
        jurisdiction_id=CITY_LEVEL,
        reason=_("只有财政部门可以编制拨付批次和登记拨付。"),
    )


def _ensure_source(by, *, source: str, jurisdiction_id) -> None:
    """``by`` pays money of ``source`` (and, for county money, of ``jurisdiction_id``)."""
    ensure_allowed(can_pay(by, source=source, jurisdiction_id=jurisdiction_id))


def _ensure_batch_owner(batch: PayoutBatch, by) -> None:
    _ensure_source(by, source=batch.source, jurisdiction_id=batch.jurisdiction_id)


def _lock_batch(batch: PayoutBatch | int) -> PayoutBatch:
    pk = batch.pk if isinstance(batch, PayoutBatch) else batch
    return PayoutBatch.objects.select_for_update().get(pk=pk)


# --- batches -----------------------------------------------------------------------------------


@transaction.atomic
def batch_create(*, by, name: str, source: str, jurisdiction: Jurisdiction | None = None) -> PayoutBatch:
    """A draft batch of ``source`` money; a county batch defaults to the officer's own county."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写批次名称。"), field="name")
    if source == FundingSource.CITY and jurisdiction is not None:
        raise DomainError(_("市级财政批次不属于任何县区。"), field="jurisdiction")
    if source == FundingSource.COUNTY and jurisdiction is None:
        office = paying_office(by)
        jurisdiction = Jurisdiction.objects.filter(pk=office.jurisdiction_id).first() if office else None
    _ensure_source(by, source=source, jurisdiction_id=jurisdiction.pk if jurisdiction else None)
    batch = PayoutBatch.objects.create(name=name, source=source, jurisdiction=jurisdiction, created_by=by)
    audit_log(
        batch,
        "incentives.batch.created",
        by=by,
        data={"name": name, "source": source, "jurisdiction": jurisdiction.code if jurisdiction else None},
    )
    return batch


def _line_ids(lines_or_ids: Iterable) -> list[int]:
    ids = []
    for item in lines_or_ids:
        ids.append(item.pk if isinstance(item, FundingLine) else int(item))
    return sorted(set(ids))


def _check_line_fits(line: FundingLine, batch: PayoutBatch) -> None:
    if line.source != batch.source:
        raise DomainError(
            _("资金明细 %(line)s 的资金来源为“%(src)s”，不能加入“%(batch_src)s”批次。")
            % {
                "line": line.pk,
                "src": line.get_source_display(),
                "batch_src": batch.get_source_display(),
            }
        )
    if batch.source == FundingSource.COUNTY and line.jurisdiction_id != batch.jurisdiction_id:
        raise DomainError(_("资金明细 %(line)s 不属于本批次所在县区。") % {"line": line.pk})
    if line.status == Line.BATCHED:
        raise DomainError(_("资金明细 %(line)s 已在拨付批次中。") % {"line": line.pk})
    if line.status != Line.APPROVED:
        raise DomainError(
            _("资金明细 %(line)s 当前状态为“%(status)s”，只有已批准待拨付的资金可以加入批次。")
            % {"line": line.pk, "status": line.get_status_display()}
        )
    ensure_line_transition(line, to=Line.BATCHED)


def _ensure_draft(batch: PayoutBatch) -> None:
    if batch.status != Batch.DRAFT:
        raise DomainError(
            _("批次“%(name)s”当前状态为“%(status)s”，只有编制中的批次可以增减资金明细。")
            % {"name": batch.name, "status": batch.get_status_display()}
        )


def _add_locked_lines(
    batch: PayoutBatch, lines: list[FundingLine], by, *, how: str, override_reason: str = ""
) -> int:
    for line in lines:
        _check_line_fits(line, batch)
    ids = [line.pk for line in lines]
    if not ids:
        return 0
    # Beyond what the year's appropriation leaves to batch: refused with the figures, or overridden.
    overrides = balance_enforce(
        balances.needs_of_lines(ids), batching=True, by=by, override_reason=override_reason, batch=batch
    )
    for start in range(0, len(ids), CHUNK):
        FundingLine.objects.filter(pk__in=ids[start : start + CHUNK]).update(status=Line.BATCHED, batch=batch)
    audit_log(
        batch,
        "incentives.batch.lines_added",
        by=by,
        data={
            "how": how,
            "lines": ids,
            "count": len(ids),
            "amount": str(sum((line.amount for line in lines), Decimal("0"))),
            "overrides": [override.pk for override in overrides],
        },
    )
    return len(ids)


@transaction.atomic
def batch_add_lines(*, batch: PayoutBatch, lines_or_ids: Iterable, by, override_reason: str = "") -> int:
    """Put these approved lines into a draft batch, all or none; return how many were added.

    Beyond what the lines' appropriations leave to batch (``balances``), refused unless
    ``override_reason`` says why."""
    batch = _lock_batch(batch)
    _ensure_batch_owner(batch, by)
    _ensure_draft(batch)
    ids = _line_ids(lines_or_ids)
    if not ids:
        raise DomainError(_("请选择要加入批次的资金明细。"))
    lines = list(FundingLine.objects.payable_by(by).select_for_update().filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {line.pk for line in lines})
    if missing:
        raise DomainError(
            _("资金明细 %(ids)s 不存在或不在您的拨付范围内。")
            % {"ids": "、".join(str(pk) for pk in missing[:10])}
        )
    return _add_locked_lines(batch, lines, by, how="selected", override_reason=override_reason)


@transaction.atomic
def batch_add_matching(
    *,
    batch: PayoutBatch,
    by,
    rule=None,
    jurisdiction: Jurisdiction | None = None,
    approved_from: datetime.date | None = None,
    approved_to: datetime.date | None = None,
    override_reason: str = "",
) -> int:
    """Add every approved, unbatched line of the batch's source that matches the filters (held to the
    appropriations' balance like ``batch_add_lines``).

    ``approved_from``/``approved_to`` bound the day (Asia/Shanghai) the reward was approved, inclusive.
    """
    batch = _lock_batch(batch)
    _ensure_batch_owner(batch, by)
    _ensure_draft(batch)
    qs = FundingLine.objects.payable_by(by).filter(
        status=Line.APPROVED, batch__isnull=True, source=batch.source
    )
    if batch.jurisdiction_id:
        qs = qs.filter(jurisdiction_id=batch.jurisdiction_id)
    if rule is not None:
        qs = qs.filter(reward__rule=rule)
    if jurisdiction is not None:
        qs = qs.filter(jurisdiction=jurisdiction)
    if approved_from is not None:
        qs = qs.filter(reward__approved_at__date__gte=approved_from)
    if approved_to is not None:
        qs = qs.filter(reward__approved_at__date__lte=approved_to)
    lines = list(qs.select_for_update(of=("self",)).order_by("pk"))
    return _add_locked_lines(batch, lines, by, how="matching", override_reason=override_reason)


@transaction.atomic
def batch_remove_line(*, batch: PayoutBatch, line: FundingLine, by) -> FundingLine:
    """Give a line back from a draft batch (BATCHED → APPROVED)."""
    batch = _lock_batch(batch)
    _ensure_batch_owner(batch, by)
    _ensure_draft(batch)
    line = FundingLine.objects.select_for_update().get(pk=line.pk)
    if line.batch_id != batch.pk:
        raise DomainError(_("资金明细 %(line)s 不在本批次中。") % {"line": line.pk})
    ensure_line_transition(line, to=Line.APPROVED)
    line.status, line.batch = Line.APPROVED, None
    line.save(update_fields=["status", "batch"])
    audit_log(
        batch,
        "incentives.batch.line_removed",
        by=by,
        data={"line": line.pk, "amount": str(line.amount)},
    )
    return line


@transaction.atomic
def batch_lock(*, batch: PayoutBatch, by) -> PayoutBatch:
    """DRAFT → LOCKED: the batch's lines and total are fixed; it can now be exported and paid."""
    batch = _lock_batch(batch)
    _ensure_batch_owner(batch, by)
    if batch.status != Batch.DRAFT:
        raise DomainError(
            _("批次“%(name)s”当前状态为“%(status)s”，不能再次锁定。")
            % {"name": batch.name, "status": batch.get_status_display()}
        )
    # Rows locked so a line cancelled at this moment cannot slip past the count and the total.
    lines = list(batch.lines.select_for_update().filter(status=Line.BATCHED).values_list("pk", "amount"))
    if not lines:
        raise DomainError(_("批次中没有资金明细，不能锁定。"))
    batch.status, batch.locked_by, batch.locked_at = Batch.LOCKED, by, timezone.now()
    batch.save(update_fields=["status", "locked_by", "locked_at"])
    audit_log(
        batch,
        "incentives.batch.locked",
        by=by,
        data={"count": len(lines), "total": str(sum((amount for _pk, amount in lines), Decimal("0")))},
    )
    return batch


# --- payments ----------------------------------------------------------------------------------


def _check_payment_input(paid_on, reference: str) -> str:
    if not isinstance(paid_on, datetime.date) or isinstance(paid_on, datetime.datetime):
        raise DomainError(_("请填写拨付日期。"), field="paid_on")
    if paid_on > dates.today():
        raise DomainError(_("拨付日期不能晚于今天。"), field="paid_on")
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_("请填写凭证号或转账流水号。"), field="reference")
    if len(reference) > Payment._meta.get_field("reference").max_length:
        raise DomainError(_("凭证号过长。"), field="reference")
    return reference


def _check_payable(line: FundingLine, batch: PayoutBatch) -> None:
    if line.status == Line.PAID:
        raise DomainError(_("该笔资金已登记拨付"))
    if line.batch_id != batch.pk:
        raise DomainError(_("资金明细 %(line)s 不在本批次中。") % {"line": line.pk})
    if batch.status != Batch.LOCKED:
        raise DomainError(
            _("批次“%(name)s”当前状态为“%(status)s”，只有已锁定的批次可以登记拨付。")
            % {"name": batch.name, "status": batch.get_status_display()}
        )
    ensure_line_transition(line, to=Line.PAID)


def _pay_locked_lines(
    lines: list[FundingLine], batch: PayoutBatch, *, paid_on, reference, by
) -> list[Payment]:
    """Pay lines whose rows (and their batch's and rewards' rows) the caller holds locked.

    One insert for all the payments and one update per chunk of lines, so a batch of ten thousand
    lines is paid in seconds; each payment still gets its own audit entry.
    """
    for line in lines:
        _check_payable(line, batch)
    # 公示: never published, its period not ended on ``paid_on``, or an objection open: refused
    ensure_lines_published(lines, paid_on=paid_on)
    payments = [
        Payment(line=line, amount=line.amount, paid_on=paid_on, reference=reference, recorded_by=by)
        for line in lines
    ]
    try:
        with transaction.atomic():  # a savepoint, so the caller's transaction survives the refusal
            Payment.objects.bulk_create(payments, batch_size=CHUNK)
    except IntegrityError:
        # The one-to-one on Payment.line: this line already has a payment, whatever its status says.
        raise DomainError(_("该笔资金已登记拨付")) from None
    ids = [line.pk for line in lines]
    for start in range(0, len(ids), CHUNK):
        FundingLine.objects.filter(pk__in=ids[start : start + CHUNK]).update(status=Line.PAID)
    if payments and payments[0].pk is None:  # a backend that does not return ids from bulk inserts
        by_line = dict(Payment.objects.filter(line__batch=batch).values_list("line_id", "pk"))
        for payment in payments:
            payment.pk = by_line[payment.line_id]
    for line in lines:
        line.status = Line.PAID
    # one audit entry per payment, written in one insert
    audit_log_many(
        payments,
        "incentives.payment.recorded",
        by=by,
        data_for=lambda payment: {
            "line": payment.line.pk,
            "reward": payment.line.reward_id,
            "batch": batch.pk,
            "source": payment.line.source,
            "amount": str(payment.amount),
            "paid_on": paid_on.isoformat(),
            "reference": reference,
        },
    )
    return payments


def _after_payments(batch: PayoutBatch, lines: list[FundingLine], by) -> None:
    """Rewards whose lines are now all paid become PAID; a batch with nothing left to pay too."""
    # Rewards whose lines are now all paid become PAID in bulk, a chunk of rewards at a time.
    reward_ids = sorted({line.reward_id for line in lines})
    for start in range(0, len(reward_ids), CHUNK):
        rewards_mark_paid_if_complete(reward_ids=reward_ids[start : start + CHUNK], by=by)
    if batch.status == Batch.LOCKED and not batch.lines.filter(status=Line.BATCHED).exists():
        batch.status = Batch.PAID
        batch.save(update_fields=["status"])
        audit_log(batch, "incentives.batch.paid", by=by, data={"total": str(batch_summary(batch)["paid"])})

    notifications.notify_paid(lines)


@transaction.atomic
def payment_record(*, line: FundingLine, paid_on: datetime.date, reference: str, by) -> Payment:
    """Record that one funding line of a locked batch was paid. A line is paid at most once."""
    reference = _check_payment_input(paid_on, reference)
    _ensure_finance(by)
    current = (
        FundingLine.objects.filter(pk=line.pk)
        .values("batch_id", "reward_id", "source", "jurisdiction_id")
        .first()
    )
    if current is None:
        raise DomainError(_("资金明细不存在。"))
    _ensure_source(by, source=current["source"], jurisdiction_id=current["jurisdiction_id"])
    if current["batch_id"] is None:
        raise DomainError(_("资金明细 %(line)s 尚未加入拨付批次，不能登记拨付。") % {"line": line.pk})
    batch = _lock_batch(current["batch_id"])
    _ensure_batch_owner(batch, by)
    ensure_not_paying(batch)
    Reward.objects.select_for_update().get(pk=current["reward_id"])
    locked = FundingLine.objects.payable_by(by).select_for_update().filter(pk=line.pk).first()
    if locked is None:
        raise DomainError(_("资金明细 %(line)s 不在您的拨付范围内。") % {"line": line.pk})
    [payment] = _pay_locked_lines([locked], batch, paid_on=paid_on, reference=reference, by=by)
    _after_payments(batch, [locked], by)
    return payment


def ensure_not_paying(batch: PayoutBatch, *, run: PaymentRun | None = None) -> None:
    """Refuse while a payment run (other than ``run``) of this batch waits or works: "拨付登记中"."""
    active = PaymentRun.objects.filter(batch=batch, status__in=PaymentRun.ACTIVE)
    if run is not None:
        active = active.exclude(pk=run.pk)
    if active.exists():
        raise DomainError(
            _("批次“%(name)s”正在后台登记拨付（拨付登记中），请等待完成后再操作。") % {"name": batch.name}
        )


def check_batch_payable(batch: PayoutBatch, *, by, run: PaymentRun | None = None) -> None:
    """The refusals of a whole-batch payment, on the batch row the caller holds locked."""
    _ensure_batch_owner(batch, by)
    ensure_not_paying(batch, run=run)
    if batch.status == Batch.PAID:
        raise DomainError(_("批次“%(name)s”已全部拨付。") % {"name": batch.name})
    if batch.status != Batch.LOCKED:
        raise DomainError(_("批次“%(name)s”尚未锁定，不能登记拨付。") % {"name": batch.name})


@transaction.atomic
def batch_record_payment(
    *,
    batch: PayoutBatch,
    paid_on: datetime.date,
    reference: str,
    by,
    run: PaymentRun | None = None,
    progress=None,
) -> int:
    """Pay every unpaid line of a locked batch in one transaction; return how many were paid.

    A payment run (``payment_runs``) calls it with its ``run`` (the run's own "拨付登记中" does not refuse
    it) and ``progress``, called with the lines paid so far every ``PAYMENT_PROGRESS_LINES`` lines."""
    reference = _check_payment_input(paid_on, reference)
    batch = _lock_batch(batch)
    check_batch_payable(batch, by=by, run=run)
    unpaid = FundingLine.objects.filter(batch=batch, status=Line.BATCHED)
    list(
        Reward.objects.select_for_update()
        .filter(pk__in=Subquery(unpaid.values("reward_id")))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    lines = list(FundingLine.objects.payable_by(by).select_for_update().filter(batch=batch).order_by("pk"))
    lines = [line for line in lines if line.status == Line.BATCHED]
    if not lines:
        raise DomainError(_("批次中没有待拨付的资金明细。"))
    step = max(1, settings.PAYMENT_PROGRESS_LINES) if progress is not None else len(lines)
    for start in range(0, len(lines), step):
        _pay_locked_lines(lines[start : start + step], batch, paid_on=paid_on, reference=reference, by=by)
        if progress is not None:
            progress(min(start + step, len(lines)))
    _after_payments(batch, lines, by)
    return len(lines)


# --- recoveries --------------------------------------------------------------------------------


@transaction.atomic
def recovery_record(*, recovery: Recovery, recovered_on: datetime.date, reference: str, by) -> Recovery:
    """追回 done: the money paid on a revoked qualification is back (OPEN → RECOVERED)."""
    recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
    line = FundingLine.objects.get(payment__pk=recovery.payment_id)
    _ensure_source(by, source=line.source, jurisdiction_id=line.jurisdiction_id)
    if recovery.status != Recovery.Status.OPEN:
        raise DomainError(_("该笔追回已登记完成，不能重复登记。"))
    if not isinstance(recovered_on, datetime.date) or isinstance(recovered_on, datetime.datetime):
        raise DomainError(_("请填写追回日期。"), field="recovered_on")
    if recovered_on > dates.today():
        raise DomainError(_("追回日期不能晚于今天。"), field="recovered_on")
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_("请填写凭证号。"), field="reference")
    recovery.status = Recovery.Status.RECOVERED
    recovery.recovered_on, recovery.reference = recovered_on, reference[:64]
    recovery.save(update_fields=["status", "recovered_on", "reference"])
    audit_log(
        recovery,
        "incentives.recovery.recorded",
        by=by,
        data={
            "line": line.pk,
            "payment": recovery.payment_id,
            "amount": str(recovery.amount),
            "recovered_on": recovered_on.isoformat(),
            "reference": recovery.reference,
        },
    )
    return recovery
