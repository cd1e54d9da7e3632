#!/usr/bin/env python3
"""Time the payout sheet of a BENCH_LINES-line batch (default 10,000), xlsx and csv, and its payment.

Run through ``make bench``. Builds the data with bulk_create in a fresh SQLite file in a temporary
folder (or in DATABASE_URL's database, when set; the rows are left there), then writes the sheet.
Beside each figure it prints the floor measured in the same run, and the ratio:

- sheet xlsx: one query for the same columns, written by xlsxwriter in constant-memory mode, no
  print setup, no 大写 amounts (the portal's sheet keeps openpyxl for its print setup);
- sheet csv: the same query written by ``csv.writer``;
- payment: the least a payment can write: one UPDATE of the lines, one INSERT of a payment per line
  and one UPDATE of the rewards, in a transaction rolled back afterwards.

    payout xlsx lines <n> seconds <x> floor_seconds <y> ratio <x/y>

It measures and prints; it asserts nothing.
"""

from __future__ import annotations

import datetime
import io
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    lines = int(os.environ.get("BENCH_LINES", "10000"))
    tmp = tempfile.mkdtemp(prefix="anyang-bench-payout-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anyang_hte.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from anyang_hte.core.models import Jurisdiction, User
    from anyang_hte.core.roles import Role
    from enterprises.models import Enterprise, Qualification
    from incentives.exporters import PayoutSheetExporter
    from incentives.models import FundingLine, PayoutBatch, Reward, RewardRule
    from tests.factories import make_credit_code

    started = time.perf_counter()
    county = Jurisdiction.objects.get(code="410502")
    finance, _ = User.objects.get_or_create(username="bench_finance", defaults={"role": Role.CITY_FINANCE})
    rule = RewardRule.objects.get(code="HTE_NEW")
    base = Enterprise.objects.count()
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            name=f"安阳基准测试科技有限公司{base + i}",
            credit_code=make_credit_code(5_000_000 + base + i),
            jurisdiction=county,
            bank_name="中原银行文峰支行",
            bank_account=f"62305800{base + i:011d}",
        )
        for i in range(lines)
    )
    quals = Qualification.objects.bulk_create(
        Qualification(enterprise=e, kind="hte", granted_on=datetime.date(2025, 11, 30)) for e in enterprises
    )
    rewards = Reward.objects.bulk_create(
        Reward(enterprise=e, jurisdiction=county, rule=rule, qualification=q, amount=Decimal("300000.00"),
               status=Reward.Status.APPROVED)
        for e, q in zip(enterprises, quals, strict=True)
    )  # fmt: skip
    batch = PayoutBatch.objects.create(
        name="基准测试批次", source="city", status=PayoutBatch.Status.LOCKED, created_by=finance
    )
    FundingLine.objects.bulk_create(
        FundingLine(reward=r, source="city", jurisdiction=county, amount=Decimal("150000.00"),
                    status=FundingLine.Status.BATCHED, batch=batch)
        for r in rewards
    )  # fmt: skip
    # 公示 held and ended before payment (the payment checks every line's reward against it)
    from incentives.models import Publicity, PublicityEntry

    ended = datetime.date(2026, 1, 9)
    publicity = Publicity.objects.create(
        title="基准测试拟奖励名单公示",
        kind=Publicity.Kind.ROUND,
        published_on=ended - datetime.timedelta(days=7),
        starts_on=ended - datetime.timedelta(days=6),
        ends_on=ended,
        working_days=5,
        contact_unit="安阳市科学技术局",
        contact_phone="0372-0000000",
        published_by=finance,
        published_at=datetime.datetime(2026, 1, 2, 1, tzinfo=datetime.UTC),
    )
    PublicityEntry.objects.bulk_create(
        PublicityEntry(publicity=publicity, reward=r, enterprise_name=e.name, jurisdiction_name=county.name,
                       rule_name=rule.name, amount=r.amount, position=i)
        for i, (r, e) in enumerate(zip(rewards, enterprises, strict=True), start=1)
    )  # fmt: skip
    print(f"bench: built a {lines}-line batch in {time.perf_counter() - started:.1f}s")

    floors = _floors(batch, rewards, finance)
    exporter = PayoutSheetExporter(batch)
    started = time.perf_counter()
    buffer = io.BytesIO()
    exporter.write_xlsx(buffer)
    xlsx_s = time.perf_counter() - started
    print(f"bench: payout sheet xlsx {lines} lines in {xlsx_s:6.2f}s ({len(buffer.getvalue()) / 1e6:.1f} MB)")
    _line("payout xlsx", lines, xlsx_s, floors["xlsx"])
    from anyang_hte.core.exporters import iter_csv

    started = time.perf_counter()
    size = sum(len(chunk) for chunk in iter_csv(PayoutSheetExporter(batch)))
    csv_s = time.perf_counter() - started
    print(f"bench: payout sheet csv  {lines} lines in {csv_s:6.2f}s ({size / 1e6:.1f} MB)")
    _line("payout csv", lines, csv_s, floors["csv"])

    # Recording the whole batch as paid; every reward here completes (its only line is paid).
    from django.utils import timezone

    from incentives.services import batch_record_payment

    started = time.perf_counter()
    today = timezone.localdate()
    paid = batch_record_payment(batch=batch, paid_on=today, reference="BENCH-0001", by=finance)
    done = Reward.objects.filter(pk__in=[r.pk for r in rewards], status=Reward.Status.PAID).count()
    pay_s = time.perf_counter() - started
    print(f"bench: whole-batch payment {paid} lines in {pay_s:6.2f}s ({done} rewards now paid)")
    _line("payment", paid, pay_s, floors["payment"])


def _line(what: str, lines: int, seconds: float, floor: float) -> None:
    print(f"{what} lines {lines} seconds {seconds:.2f} floor_seconds {floor:.2f} ratio {seconds / floor:.2f}")


FLOOR_FIELDS = (
    "reward__enterprise__name",
    "reward__enterprise__credit_code",
    "jurisdiction__name",
    "reward__rule__name",
    "amount",
    "reward__enterprise__bank_account_holder",
    "reward__enterprise__bank_name",
    "reward__enterprise__bank_account",
)


def _floors(batch, rewards, finance) -> dict[str, float]:
    """The floors of the three figures, measured on the same batch before the portal's own runs."""
    import csv

    import xlsxwriter
    from django.db import transaction
    from django.utils import timezone

    from incentives.models import FundingLine, Payment, Reward

    def rows():
        return (
            FundingLine.objects.filter(batch=batch).order_by("pk").values_list(*FLOOR_FIELDS).iterator(2000)
        )

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        book = xlsxwriter.Workbook(f"{tmp}/floor.xlsx", {"constant_memory": True})
        sheet = book.add_worksheet()
        for r, row in enumerate(rows()):
            for c, value in enumerate(row):
                if isinstance(value, Decimal):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, value or "")
        book.close()
    xlsx = time.perf_counter() - started

    started = time.perf_counter()
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows():
        writer.writerow(row)
    csv_s = time.perf_counter() - started

    class Undo(Exception):
        pass

    started = time.perf_counter()
    try:
        with transaction.atomic():
            today = timezone.localdate()
            ids = list(FundingLine.objects.filter(batch=batch).values_list("pk", "amount"))
            FundingLine.objects.filter(batch=batch).update(status=FundingLine.Status.PAID)
            Payment.objects.bulk_create(
                Payment(line_id=pk, amount=amount, paid_on=today, reference="FLOOR", recorded_by=finance)
                for pk, amount in ids
            )
            Reward.objects.filter(pk__in=[r.pk for r in rewards]).update(status=Reward.Status.PAID)
            raise Undo
    except Undo:
        pass
    payment = time.perf_counter() - started
    return {"xlsx": xlsx, "csv": csv_s, "payment": payment}


if __name__ == "__main__":
    main()
