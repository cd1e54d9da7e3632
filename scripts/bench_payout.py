#!/usr/bin/env python3
"""Time the payout sheet of a BENCH_LINES-line batch (default 10,000): xlsx and csv.

Run through ``make bench``. Builds the data with bulk_create in a fresh SQLite file in a temporary
folder (or in DATABASE_URL's database, when set; the rows are left there), then writes the sheet.
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
    print(f"bench: built a {lines}-line batch in {time.perf_counter() - started:.1f}s")

    exporter = PayoutSheetExporter(batch)
    started = time.perf_counter()
    buffer = io.BytesIO()
    exporter.write_xlsx(buffer)
    xlsx_s = time.perf_counter() - started
    print(f"bench: payout sheet xlsx {lines} lines in {xlsx_s:6.2f}s ({len(buffer.getvalue()) / 1e6:.1f} MB)")
    from anyang_hte.core.exporters import iter_csv

    started = time.perf_counter()
    size = sum(len(chunk) for chunk in iter_csv(PayoutSheetExporter(batch)))
    csv_s = time.perf_counter() - started
    print(f"bench: payout sheet csv  {lines} lines in {csv_s:6.2f}s ({size / 1e6:.1f} MB)")

    # Recording the whole batch as paid; every reward here completes (its only line is paid).
    from django.utils import timezone

    from incentives.services import batch_record_payment

    started = time.perf_counter()
    today = timezone.localdate()
    paid = batch_record_payment(batch=batch, paid_on=today, reference="BENCH-0001", by=finance)
    done = Reward.objects.filter(pk__in=[r.pk for r in rewards], status=Reward.Status.PAID).count()
    pay_s = time.perf_counter() - started
    print(f"bench: whole-batch payment {paid} lines in {pay_s:6.2f}s ({done} rewards now paid)")


if __name__ == "__main__":
    main()
