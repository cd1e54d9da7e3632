#!/usr/bin/env python3
"""Time ``manage.py import_ledger`` on a generated county ledger of BENCH_ROWS rows (default 10,000).

Run through ``make bench``. The database is a fresh SQLite file in a temporary folder, unless
DATABASE_URL is set, in which case that database is migrated and used as it is (rows already there
count as updated or unchanged). The file is imported twice: first every row is new, then every row
is unchanged. Each time includes the command's start-up (Django setup, about a second). The readiness
refresh the import triggers is, as in production, a task queued when the import commits (off the
critical path): the import runs with BENCH_REDIS_URL (default redis://127.0.0.1:6379/14, flushed before
and after) as its broker, and the refresh of the whole ledger (``readiness_refresh_all``, what the queued
tasks and the nightly job do) is timed on its own afterwards, beside its floor: starting Django and reading
every enterprise and its yearly figures. Without a reachable Redis the tasks run in the import's process
and inside its time (the line says so).

Beside each time it prints the floor measured in the same run: a process that starts Django, reads
every cell of the same file with openpyxl in read-only mode and COPYs the rows into a scratch table
(on SQLite: inserts them, 1,000 to a statement), which any import of that file must do. The ratio
holds on a noisy machine where the seconds do not. The peak RSS of each process (the import's and the
floor's) is printed beside it. One line per import:

    import_ledger rows 100000 seconds X floor_seconds Y ratio Z peak_rss_mb M floor_peak_rss_mb F

IMPORT_MAX_BYTES is raised for the import when the generated file is larger than its default.

    BENCH_ROWS=50000 make bench
    .venv/bin/python scripts/bench_import.py --rows 2000 --keep
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JURISDICTION = "410502"

# The county ledger's header: the whole template (every ledger field and yearly figure), as in the files
# the counties send (full-width brackets).
HEADER = [
    "序号", "企业名称", "统一社会信用代码", "所属县区", "技术领域", "成立日期", "地址", "法定代表人",
    "联系人", "联系电话", "开户银行", "银行账号", "户名", "研发机构名称", "研发机构级别",
    "主要产品属于禁止、限制或淘汰类", "培育阶段", "挂钩帮扶责任人", "责任人电话", "责任人单位",
    "计划申报年度", "年度", "营业收入（万元）", "总收入（万元）", "研发费用（万元）", "境内研发费用（万元）",
    "成本费用总额（万元）", "职工总数", "科技人员数", "高新技术产品（服务）收入（万元）", "资产总额（万元）",
    "净资产（万元）", "工业增加值（万元）", "I类知识产权数", "II类知识产权数", "科技成果转化数", "备注",
]  # fmt: skip
SUMMARY = re.compile(r"created (\d+), updated (\d+), unchanged (\d+), errors (\d+)")


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anyang_hte.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def write_ledger(path: Path, rows: int) -> None:
    """A ledger of ``rows`` enterprises of one county, every template column filled (model labels)."""
    import openpyxl

    from anyang_hte.core.models import Jurisdiction
    from enterprises.models import RDInstitutionLevel, Stage, TechField
    from tests.factories import make_credit_code

    county = Jurisdiction.objects.get(code=JURISDICTION).name
    fields = [str(label) for label in TechField.labels]
    stages = [str(label) for value, label in Stage.choices if value != Stage.NONE]

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append([f"{county}高新技术企业培育台账（基准测试）"])
    ws.append([])
    ws.append(HEADER)
    levels = [str(label) for label in RDInstitutionLevel.labels]
    for i in range(1, rows + 1):
        sales = 500 + (i * 37) % 20000
        staff = 20 + i % 400
        rd = round(sales * (0.03 + (i % 5) / 100), 2)
        name = f"安阳基准{i:06d}科技有限公司"
        ws.append([
            i,
            name,
            make_credit_code(i, JURISDICTION),
            county,
            fields[i % len(fields)],
            datetime.date(2005 + i % 19, 1 + i % 12, 1 + i % 28),
            f"安阳市{county}基准路{i}号",
            f"法人{i % 89:02d}",
            f"联系人{i % 83:02d}",
            f"0372-{5000000 + i}",
            "中国银行安阳分行",
            f"62220202{i:011d}",
            name,
            f"{name[:-6]}研发中心" if i % 3 else None,
            levels[i % len(levels)] if i % 3 else None,
            "否",
            stages[i % len(stages)],
            f"帮扶人{i % 97:02d}",
            f"139{i:08d}",
            f"{county}科技局",
            2026 + i % 3,
            2025,
            sales,
            round(sales * 1.01, 2),
            rd,
            round(rd * 0.9, 2),
            round(sales * 0.8, 2),
            staff,
            staff // 5 + i % 3,
            round(sales * 0.65, 2),
            round(sales * 1.2, 2),
            round(sales * 0.6, 2),
            round(sales * 0.25, 2),
            i % 3,
            i % 12,
            i % 4,
            "基准测试数据" if i % 10 == 0 else None,
        ])  # fmt: skip
    wb.save(path)


def _run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, int]:
    """Run ``cmd``: (seconds, peak RSS in MB, stdout + stderr, exit status), the RSS from wait4."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    return elapsed, usage.ru_maxrss / 1024, output, proc.returncode


def run_import(path: Path, env: dict[str, str]) -> tuple[float, float, tuple[int, ...], str]:
    cmd = [sys.executable, "manage.py", "import_ledger", str(path), "--jurisdiction", JURISDICTION]
    elapsed, rss, output, status = _run_child(cmd, env)
    if status != 0:
        sys.exit(f"bench: import_ledger exited {status}:\n{output[-3000:]}")
    match = SUMMARY.search(output)
    if not match:
        sys.exit(f"bench: no 'created N, updated N, unchanged N, errors N' in the output:\n{output[-3000:]}")
    return elapsed, rss, tuple(int(n) for n in match.groups()), output


FLOOR_SCRIPT = """
import io, os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anyang_hte.settings.dev")
django.setup()
import openpyxl
from django.db import connection

BATCH = 1000
wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
rows = (row for ws in wb.worksheets for row in ws.iter_rows(min_row=4, values_only=True))
width = int(sys.argv[2])
cells = written = 0
with connection.cursor() as cursor:
    columns = ", ".join(f"c{i} text" for i in range(width))
    if connection.vendor == "postgresql":
        cursor.execute(f"CREATE TEMP TABLE bench_floor ({columns})")
        raw = cursor.cursor
        def flush(batch):
            text = "".join(
                "\\t".join("\\\\N" if v is None else str(v).replace("\\\\", "\\\\\\\\") for v in row) + "\\n"
                for row in batch
            )
            raw.copy_expert("COPY bench_floor FROM STDIN", io.StringIO(text))
    else:
        cursor.execute(f"CREATE TEMP TABLE bench_floor ({columns})")
        marks = ", ".join(["%s"] * width)
        def flush(batch):
            cursor.executemany(f"INSERT INTO bench_floor VALUES ({marks})", [
                [None if v is None else str(v) for v in row] for row in batch
            ])
    batch = []
    for row in rows:
        row = (list(row) + [None] * width)[:width]
        cells += width
        batch.append(row)
        if len(batch) >= BATCH:
            flush(batch)
            written += len(batch)
            batch = []
    if batch:
        flush(batch)
        written += len(batch)
print(cells, written)
"""


def measure_floor(path: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds and peak RSS to start Django, read every cell of ``path`` and COPY its rows into a scratch
    table (the least any import of it costs); and the rows written."""
    cmd = [sys.executable, "-c", FLOOR_SCRIPT, str(path), str(len(HEADER))]
    elapsed, rss, output, status = _run_child(cmd, env)
    if status != 0:
        sys.exit(f"bench: the floor run failed:\n{output[-3000:]}")
    return elapsed, rss, int(output.split()[-1])


def bench(rows: int, tmp: Path, ledger: Path | None = None) -> int:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "anyang_hte.settings.dev"}
    env.pop("REDIS_URL", None)
    queue = _bench_queue()
    if queue is not None:  # the refresh is queued, as in production, and timed on its own below
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/14"
    env["DEBUG"] = "0"  # as in production: DEBUG keeps every SQL statement (a bulk INSERT is ~0.5 MB of text)

    print(f"bench: database {database_url.split('@')[-1]}", flush=True)
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
    if subprocess.run(migrate, cwd=ROOT, env=env).returncode != 0:
        print("bench: migrate failed", file=sys.stderr)
        return 1
    _setup_django(database_url)

    if ledger is None:
        ledger = tmp / "ledger.xlsx"
        started = time.perf_counter()
        write_ledger(ledger, rows)
        print(f"bench: wrote {rows} rows to {ledger.name} ({ledger.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - started:.1f}s", flush=True)  # fmt: skip

    limit = 48 * 1024 * 1024  # settings.IMPORT_MAX_BYTES's default
    if ledger.stat().st_size > int(env.get("IMPORT_MAX_BYTES", limit)):
        env["IMPORT_MAX_BYTES"] = str(ledger.stat().st_size + 1024 * 1024)
        print(f"bench: IMPORT_MAX_BYTES={env['IMPORT_MAX_BYTES']} for this file", flush=True)

    floor, floor_rss, copied = measure_floor(ledger, env)
    print(
        f"bench: floor        Django start + read every cell + COPY {copied} rows: {floor:7.2f}s, "
        f"peak RSS {floor_rss:.0f} MB",
        flush=True,
    )
    failed = False
    for label, name, expect in (
        ("first import", "import_ledger", "created"),
        ("re-import", "import_ledger_again", "unchanged"),
    ):
        elapsed, rss, (created, updated, unchanged, errors), _ = run_import(ledger, env)
        counts = {"created": created, "updated": updated, "unchanged": unchanged}
        print(
            f"bench: {label:<12} {rows} rows in {elapsed:7.2f}s = {elapsed / floor:5.1f}× the floor, "
            f"{rows / elapsed:8.0f} rows/s, peak RSS {rss:.0f} MB "
            f"(created {created}, updated {updated}, unchanged {unchanged}, errors {errors})",
            flush=True,
        )
        print(
            f"{name} rows {rows} seconds {elapsed:.2f} floor_seconds {floor:.2f} ratio {elapsed / floor:.2f} "
            f"peak_rss_mb {rss:.0f} floor_peak_rss_mb {floor_rss:.0f}",
            flush=True,
        )
        if queue is None:
            print("bench: (no Redis: the readiness refresh ran inside the import's time)", flush=True)
        if errors or created + updated + unchanged != rows:
            failed = True
            print(f"bench: expected {rows} rows imported without errors", file=sys.stderr)
        elif "DATABASE_URL" not in os.environ and counts[expect] != rows:
            failed = True
            print(f"bench: expected all {rows} rows {expect} on a fresh database", file=sys.stderr)
    if queue is not None:
        queue.flushdb()
        refresh, refresh_rss, refreshed = _timed_script(REFRESH_SCRIPT, env)
        read, read_rss, _n = _timed_script(READ_SCRIPT, env)
        print(
            f"readiness_refresh enterprises {refreshed} seconds {refresh:.2f} floor_seconds {read:.2f} "
            f"ratio {refresh / read:.2f} peak_rss_mb {refresh_rss:.0f} floor_peak_rss_mb {read_rss:.0f}",
            flush=True,
        )
    return 1 if failed else 0


# The refresh the queued tasks do, for the whole ledger (the nightly job's), and its floor: reading every
# enterprise and its yearly figures, which any refresh must.
_DJANGO = "import django, sys; sys.path.insert(0, '.'); django.setup()\n"
REFRESH_SCRIPT = _DJANGO + (
    "from enterprises.services import readiness_refresh_all\nprint(readiness_refresh_all())"
)
READ_SCRIPT = _DJANGO + (
    "from enterprises.models import AnnualFigures, Enterprise\n"
    "n = sum(1 for _ in Enterprise.objects.values_list().iterator(2000))\n"
    "sum(1 for _ in AnnualFigures.objects.values_list().iterator(2000))\nprint(n)"
)


def _timed_script(script: str, env: dict[str, str]) -> tuple[float, float, int]:
    elapsed, rss, output, status = _run_child([sys.executable, "-c", script], env)
    if status != 0:
        sys.exit(f"bench: a child failed:\n{output[-3000:]}")
    return elapsed, rss, int(output.split()[-1])


def _bench_queue():
    """The bench's own Redis database (flushed), or None when no Redis answers."""
    try:
        import redis

        queue = redis.Redis.from_url(os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/14")
        queue.ping()
        queue.flushdb()
        return queue
    except Exception:  # noqa: BLE001 (any failure: no broker to queue on)
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", "10000")))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (file and database)")
    parser.add_argument(
        "--ledger", type=Path, help="a ledger this script generated before (--keep), of --rows rows"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="anyang-bench-"))
    try:
        return bench(args.rows, tmp, args.ledger)
    finally:
        if args.keep:
            print(f"bench: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
