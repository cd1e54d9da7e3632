"""专项经费: the tech bureau records each year's appropriation per funding source and its adjustments;
approvals and batches are held to the balance (``balances`` says which balance counts).

An appropriation is never edited: a 追加 or 调减 is an adjustment row of its own with its document,
date and reason. Going beyond a balance needs an override with a reason, recorded as a
``BalanceOverride`` row and an audit entry, in the same transaction as the approval or the batch.
"""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import CITY_LEVEL, guard
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.money import format_wan
from anyang_hte.core.roles import Right, person

from .. import balances
from ..models import (
    Appropriation,
    AppropriationAdjustment,
    BalanceOverride,
    FundingSource,
    PayoutBatch,
    Reward,
)

FIRST_YEAR, LAST_YEAR = 2017, 2100  # the policy dates from 2017-12-29


class BalanceShortError(DomainError):
    """Refused: the money goes beyond a fund's balance and no override reason was given."""

    def __init__(self, message, *, shortfalls):
        super().__init__(message, field="override_reason")
        self.shortfalls = shortfalls


def _ensure_bureau(by) -> None:
    # the bureau records the money of every source and county: a city-level record
    guard(
        by, Right.APPROPRIATION_MANAGE, jurisdiction_id=CITY_LEVEL, reason=_("只有市科技局可以录入专项经费。")
    )


def _document(document: str) -> str:
    document = (document or "").strip()
    if not document:
        raise DomainError(_("请填写下达经费的文号。"), field="document")
    if len(document) > 128:
        raise DomainError(_("文号过长（最多128个字）。"), field="document")
    return document


def _date(value, field: str) -> datetime.date:
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise DomainError(_("请填写日期。"), field=field)
    return value


@transaction.atomic
def appropriation_record(
    *,
    year: int,
    source: str,
    jurisdiction: Jurisdiction | None,
    amount: Decimal,
    document: str,
    issued_on: datetime.date,
    notes: str = "",
    by,
) -> Appropriation:
    """A year's appropriation of one source (a county's names its county); one per year and source."""
    _ensure_bureau(by)
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(
            _("年度应在 %(a)s 至 %(b)s 之间。") % {"a": FIRST_YEAR, "b": LAST_YEAR}, field="year"
        )
    if source not in FundingSource.values:
        raise DomainError(_("请选择资金来源。"), field="source")
    if source == FundingSource.CITY and jurisdiction is not None:
        raise DomainError(_("市级专项经费不属于任何县区，请不要选择县区。"), field="jurisdiction")
    if source == FundingSource.COUNTY and jurisdiction is None:
        raise DomainError(_("县区专项经费请选择所属县区。"), field="jurisdiction")
    if amount is None or Decimal(amount) <= 0:
        raise DomainError(_("下达金额应大于零。"), field="amount")
    document, issued_on = _document(document), _date(issued_on, "issued_on")
    existing = Appropriation.objects.filter(year=year, source=source, jurisdiction=jurisdiction).first()
    if existing is not None:
        raise DomainError(
            _("%(year)s年该来源的专项经费已录入（文号：%(doc)s），追加或调减请在该经费下录入调整。")
            % {"year": year, "doc": existing.document},
            field="year",
        )
    try:
        with transaction.atomic():
            appropriation = Appropriation.objects.create(
                year=year,
                source=source,
                jurisdiction=jurisdiction,
                amount=Decimal(amount).quantize(balances.ZERO),
                document=document,
                issued_on=issued_on,
                notes=(notes or "").strip()[:255],
                recorded_by=by,
            )
    except IntegrityError:  # the same fund recorded at this very moment by someone else
        raise DomainError(_("%(year)s年该来源的专项经费已录入。") % {"year": year}, field="year") from None
    audit_log(
        appropriation,
        "incentives.appropriation.recorded",
        by=by,
        data={
            "year": year,
            "source": source,
            "jurisdiction": jurisdiction.code if jurisdiction else None,
            "amount": str(appropriation.amount),
            "document": document,
            "issued_on": issued_on.isoformat(),
        },
    )
    return appropriation


@transaction.atomic
def appropriation_adjust(
    *,
    appropriation: Appropriation,
    amount: Decimal,
    document: str,
    issued_on: datetime.date,
    reason: str,
    by,
) -> AppropriationAdjustment:
    """追加 (amount > 0) or 调减 (amount < 0) by a document of its own; the total never goes below zero."""
    _ensure_bureau(by)
    appropriation = Appropriation.objects.select_for_update().get(pk=appropriation.pk)
    if amount is None or Decimal(amount) == 0:
        raise DomainError(_("调整金额不能为零：追加填正数，调减填负数。"), field="amount")
    amount = Decimal(amount).quantize(balances.ZERO)
    document, issued_on = _document(document), _date(issued_on, "issued_on")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请说明调整原因。"), field="reason")
    [status] = balances.fund_statuses(
        [
            balances.Fund.of(
                year=appropriation.year,
                source=appropriation.source,
                jurisdiction_id=appropriation.jurisdiction_id,
            )
        ]
    ).values()
    if status.appropriated + amount < 0:
        raise DomainError(
            _("调减后专项经费将为负数：当前合计 %(total)s 万元，调减 %(cut)s 万元。")
            % {"total": format_wan(status.appropriated), "cut": format_wan(-amount)},
            field="amount",
        )
    adjustment = AppropriationAdjustment.objects.create(
        appropriation=appropriation,
        amount=amount,
        document=document,
        issued_on=issued_on,
        reason=reason[:255],
        recorded_by=by,
    )
    audit_log(
        appropriation,
        "incentives.appropriation.adjusted",
        by=by,
        data={
            "adjustment": adjustment.pk,
            "amount": str(amount),
            "document": document,
            "issued_on": issued_on.isoformat(),
            "reason": adjustment.reason,
            "appropriated": str(status.appropriated + amount),
        },
    )
    return adjustment


def balance_enforce(
    needs: dict,
    *,
    batching: bool,
    by,
    override_reason: str = "",
    reward: Reward | None = None,
    batch: PayoutBatch | None = None,
) -> list[BalanceOverride]:
    """Inside the caller's transaction (which has checked ``by``'s right): refuse money beyond a fund's
    balance (or, ``batching``, its payable amount) with the figures, or, given a reason, record the
    override. Returns the overrides recorded (none when every fund has room).

    The funds' appropriation rows are locked first, so two approvals at the same moment cannot both
    take the last of a balance.
    """
    if not needs:
        return []
    funds = list(needs)
    q = Q(pk__in=[])
    for fund in funds:
        part = Q(year=fund.year, source=fund.source)
        if fund.source == FundingSource.COUNTY:
            part &= Q(jurisdiction_id=fund.jurisdiction_id)
        q |= part
    list(Appropriation.objects.select_for_update().filter(q).order_by("pk").values_list("pk", flat=True))
    shorts = balances.shortfalls(needs, batching=batching)
    if not shorts:
        return []
    reason = (override_reason or "").strip()
    message = balances.shortfall_message(shorts, batching=batching)
    if not reason:
        hint = (
            _("请市科技局录入或追加专项经费，或勾选“超出专项经费余额仍编入批次”并说明理由。")
            if batching
            else _("请先录入或追加专项经费，或勾选“超出专项经费余额仍批准”并说明理由。")
        )
        raise BalanceShortError(message + hint, shortfalls=shorts)
    kind = BalanceOverride.Kind.BATCH if batching else BalanceOverride.Kind.APPROVAL
    overrides = []
    for short in shorts:
        fund = short.status.fund
        override = BalanceOverride.objects.create(
            kind=kind,
            year=fund.year,
            source=fund.source,
            jurisdiction_id=fund.jurisdiction_id,
            balance=short.room,
            needed=short.needed,
            reason=reason[:255],
            reward=reward,
            batch=batch,
            by=person(by),
        )
        audit_log(
            override,
            "incentives.appropriation.overridden",
            by=by,
            data={
                "kind": kind,
                "fund": short.status.label,
                "balance": str(short.room),
                "needed": str(short.needed),
                "reason": override.reason,
                "reward": reward.pk if reward else None,
                "batch": batch.pk if batch else None,
                "message": message,
            },
        )
        overrides.append(override)
    return overrides
