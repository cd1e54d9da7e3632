#!/usr/bin/env python3
"""Time the indicator rollup (``rollup_year_sync``) over BENCH_ENTERPRISES enterprises (default 100,000).

Run through ``make bench``. Builds the data with bulk_create in a fresh SQLite file in a temporary
folder (deleted afterwards), or in DATABASE_URL's database when set (the rows are left there; a second
run adds as many again). Every enterprise gets qualifications of several kinds (first certifications,
re-certifications, revoked ones), about half a timetable, a third annual figures; the new HTEs of the
year get their rewards, funding lines and some payments; there are carriers and training events. The
rollup is then timed twice (cold, warm) with the time of each indicator, beside its floor measured in
the same run: one grouped aggregate over each table the rollup reads (per county, and per kind or status
where the indicators split by them; the least a rollup over every row must do), printed as

    rollup enterprises <n> seconds <warm> floor_seconds <y> ratio <warm/y>

BENCH_EXPLAIN=1 also prints
the plan (PostgreSQL: EXPLAIN ANALYZE) of the slowest indicator's query. It measures and prints; it
asserts nothing. Measured on 2 CPUs, PostgreSQL 15, 17 indicators: 100,000 enterprises 0.36 s, 1,000,000
2.8 s; with the 18th (the growth of valid HTEs, two more counts) 100,000 took 0.5 s.

    BENCH_ENTERPRISES=1000000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/anyang_rollup_bench \\
        .venv/bin/python scripts/bench_rollup.py
"""

from __future__ import annotations

import datetime
import os
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 5000


def _setup() -> str | None:
    """Set Django up; returns the temporary folder to delete afterwards (without DATABASE_URL)."""
    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="anyang-bench-rollup-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anyang_hte.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return tmp


def _three_years(day: datetime.date) -> datetime.date:
    return day.replace(year=day.year + 3, day=min(day.day, 28)) - datetime.timedelta(days=1)


def build(n: int, year: int) -> None:
    from django.utils import timezone

    from anyang_hte.core.models import Jurisdiction, User
    from anyang_hte.core.roles import Role
    from assessment.models import IncubationCarrier, PublishedValueAdded, TrainingEvent
    from enterprises.models import AnnualFigures, Enterprise, LedgerMilestone, Qualification
    from incentives.models import FundingLine, Payment, PayoutBatch, Reward, RewardRule
    from tests.factories import make_credit_code

    D = datetime.date
    juris = list(Jurisdiction.objects.order_by("sort_order"))
    rule = RewardRule.objects.get(code="HTE_NEW")
    finance, _ = User.objects.get_or_create(
        username="bench_rollup_finance", defaults={"role": Role.CITY_FINANCE}
    )
    base = Enterprise.objects.count()
    for start in range(0, n, CHUNK):
        idx = range(base + start, base + min(n, start + CHUNK))
        ents = Enterprise.objects.bulk_create(
            Enterprise(
                name=f"安阳指标基准科技有限公司{i}",
                credit_code=make_credit_code(7_000_000 + i),
                jurisdiction=juris[i % len(juris)],
                helper_name="帮扶责任人" if i % 3 else "",
                registered_on=D(2010, 1, 1),
            )
            for i in idx
        )
        quals, new_hte = [], []
        for i, e in zip(idx, ents, strict=True):
            if i % 2 == 0:
                granted = D(year - i % 3, 1 + i % 12, 1)
                quals.append(Qualification(enterprise=e, kind="tech_sme", granted_on=granted,
                                           expires_on=D(granted.year, 12, 31)))  # fmt: skip
            if i % 5 == 0:
                quals.append(Qualification(enterprise=e, kind="hte_candidate", granted_on=D(year - 1, 3, 1)))
            if i % 3 == 0:
                first = D(year - i % 6, 1 + i % 12, 10)
                q = Qualification(enterprise=e, kind="hte", granted_on=first, expires_on=_three_years(first),
                                  revoked_on=D(first.year + 1, 6, 1) if i % 97 == 0 else None)  # fmt: skip
                quals.append(q)
                if first.year == year and i % 97:
                    new_hte.append(q)
                if i % 9 == 0 and first.year + 3 <= year:
                    again = first.replace(year=first.year + 3)
                    quals.append(Qualification(enterprise=e, kind="hte", granted_on=again,
                                               expires_on=_three_years(again)))  # fmt: skip
            if i % 30 == 0:
                quals.append(Qualification(enterprise=e, kind="little_giant", granted_on=D(year - 1, 9, 1),
                                           expires_on=_three_years(D(year - 1, 9, 1))))  # fmt: skip
            if i % 100 == 0:
                quals.append(Qualification(enterprise=e, kind="leading", granted_on=D(year, 5, 1)))
        Qualification.objects.bulk_create(quals, batch_size=CHUNK)
        LedgerMilestone.objects.bulk_create(
            [
                LedgerMilestone(enterprise=e, title=title, due_on=due, done_on=done)
                for i, e in zip(idx, ents, strict=True)
                if i % 2
                for title, due, done in (
                    ("研发费用辅助账", D(year, 6, 1), D(year, 5, 20) if i % 4 == 1 else None),
                    ("申报材料准备", D(year + 1, 3, 1), None),
                )
            ],
            batch_size=CHUNK,
        )
        AnnualFigures.objects.bulk_create(
            [
                AnnualFigures(enterprise=e, year=year, sales_revenue=Decimal("30000000.00"),
                              industrial_value_added=Decimal(1_000_000 + i % 5_000_000))
                for i, e in zip(idx, ents, strict=True)
                if i % 3 == 0 or i % 7 == 0
            ],
            batch_size=CHUNK,
        )  # fmt: skip
        rewards = Reward.objects.bulk_create(
            Reward(enterprise_id=q.enterprise_id, jurisdiction_id=q.enterprise.jurisdiction_id, rule=rule,
                   qualification=q, amount=rule.total_amount, status=Reward.Status.APPROVED)
            for q in new_hte
        )  # fmt: skip
        batch = PayoutBatch.objects.create(
            name=f"基准批次{start}", source="city", status=PayoutBatch.Status.LOCKED, created_by=finance
        )
        lines = FundingLine.objects.bulk_create(
            [
                FundingLine(reward=r, source=source, jurisdiction_id=r.jurisdiction_id, amount=amount,
                            status=FundingLine.Status.PAID if paid else FundingLine.Status.APPROVED,
                            batch=batch if paid else None)
                for k, r in enumerate(rewards)
                for source, amount, paid in (("city", rule.city_amount, k % 2 == 0),
                                             ("county", rule.county_amount, False))
            ]
        )  # fmt: skip
        Payment.objects.bulk_create(
            Payment(line=line, amount=line.amount, paid_on=D(year, 12, 1), reference=f"JZ{line.pk}",
                    recorded_by=finance)
            for line in lines
            if line.status == FundingLine.Status.PAID
        )  # fmt: skip
    for j in juris:
        PublishedValueAdded.objects.update_or_create(
            jurisdiction=j,
            year=year,
            defaults={
                "hightech_value_added": Decimal("20000000000.00"),
                "industrial_value_added": Decimal("50000000000.00"),
                "source": "基准数据",
                "entered_at": timezone.now(),
            },
        )
        for k in range(3):
            IncubationCarrier.objects.get_or_create(
                name=f"{j.short_name}基准孵化器{k}",
                kind="incubator",
                defaults={"level": "city", "jurisdiction": j, "recognised_on": D(year - k, 4, 1)},
            )
    some = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True)[: 20 * 50])
    through = TrainingEvent.enterprises.through
    for k in range(50):
        event = TrainingEvent.objects.create(held_on=D(year, 1 + k % 12, 15), jurisdiction=juris[k % 11],
                                             topic=f"基准培训{k}")  # fmt: skip
        through.objects.bulk_create(
            through(trainingevent=event, enterprise_id=pk) for pk in some[k * 20 : k * 20 + 20]
        )


def time_rollup(year: int) -> dict[str, float]:
    from assessment import indicators
    from assessment.services import rollup_indicator

    among = indicators.jurisdictions()
    per = {}
    started = time.perf_counter()
    written = 0
    for indicator in indicators.INDICATORS:
        t = time.perf_counter()
        count, _values = rollup_indicator(indicator, year=year, among=among)
        per[indicator.code] = time.perf_counter() - t
        written += count
    total = time.perf_counter() - started
    print(f"bench: rollup of {year}: {written} snapshots in {total:.2f}s")
    return per


def time_floor() -> float:
    """The floor of the rollup's figure: one pass over each table the rollup reads, grouped by county (and
    kind or status) the way the indicators split them, each aggregate in one query."""
    from django.db.models import Count, Sum

    from enterprises.models import AnnualFigures, Enterprise, LedgerMilestone, Qualification
    from incentives.models import FundingLine, Payment, Reward

    queries = (
        Enterprise.objects.values("jurisdiction_id").annotate(n=Count("pk")),
        Qualification.objects.values("enterprise__jurisdiction_id", "kind").annotate(n=Count("pk")),
        AnnualFigures.objects.values("enterprise__jurisdiction_id", "year").annotate(
            n=Sum("industrial_value_added")
        ),
        LedgerMilestone.objects.filter(done_on__isnull=True)
        .values("enterprise__jurisdiction_id")
        .annotate(n=Count("pk")),
        Reward.objects.values("jurisdiction_id", "status").annotate(n=Sum("amount")),
        FundingLine.objects.values("jurisdiction_id", "source", "status").annotate(n=Sum("amount")),
        Payment.objects.values("line__jurisdiction_id").annotate(n=Sum("amount")),
    )
    started = time.perf_counter()
    for query in queries:
        list(query.order_by())
    return time.perf_counter() - started


def explain(code: str, year: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessment import indicators

    with CaptureQueriesContext(connection) as captured:
        indicators.evaluate(code, year)
    sql = max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        print(f"bench: plan of {code}:")
        for row in cursor.fetchall():
            print("   ", " ".join(str(col) for col in row))


def main() -> None:
    n = int(os.environ.get("BENCH_ENTERPRISES", "100000"))
    tmp = _setup()
    try:
        run(n)
    finally:
        if tmp:
            from django.db import connections

            connections.close_all()
            shutil.rmtree(tmp, ignore_errors=True)


def run(n: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from enterprises.models import Enterprise, Qualification

    year = int(os.environ.get("BENCH_YEAR", timezone.localdate().year - 1))
    started = time.perf_counter()
    build(n, year)
    if connection.vendor == "postgresql":  # what autovacuum does after a bulk load: statistics and
        with connection.cursor() as cursor:  # the visibility map that index-only scans need
            cursor.execute("VACUUM ANALYZE")
    print(
        f"bench: built {n} enterprises ({Enterprise.objects.count()} in the database, "
        f"{Qualification.objects.count()} qualifications) on {connection.vendor} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    time_rollup(year)  # cold
    floor = time_floor()
    started = time.perf_counter()
    per = time_rollup(year)  # warm: a rerun upserts the same values
    warm = time.perf_counter() - started
    print(f"rollup enterprises {n} seconds {warm:.2f} floor_seconds {floor:.2f} ratio {warm / floor:.2f}")
    for code, seconds in sorted(per.items(), key=lambda kv: -kv[1]):
        print(f"bench:   {code:<24}{seconds:7.3f}s")
    if os.environ.get("BENCH_EXPLAIN") == "1":
        explain(max(per, key=per.get), year)


if __name__ == "__main__":
    main()
