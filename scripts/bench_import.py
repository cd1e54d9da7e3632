#!/usr/bin/env python3
"""Time ``manage.py import_ledger`` on a generated county ledger of BENCH_ROWS rows (default 10,000).

Run through ``make bench``. The database is a fresh SQLite file in a temporary folder, unless
DATABASE_URL is set, in which case that database is migrated and used as it is (rows already there
count as updated or unchanged). The file is imported twice: first every row is new, then every row
is unchanged. Each time includes the command's start-up (Django setup, about a second).

Beside each time it prints the floor measured in the same run: a process that starts Django and reads
every cell of the same file with openpyxl in read-only mode, which any import of that file must do.
The ratio holds on a noisy machine where the seconds do not.

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


def run_import(path: Path, env: dict[str, str]) -> tuple[float, tuple[int, ...], str]:
    cmd = [sys.executable, "manage.py", "import_ledger", str(path), "--jurisdiction", JURISDICTION]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        sys.exit(f"bench: import_ledger exited {proc.returncode}:\n{output[-3000:]}")
    match = SUMMARY.search(output)
    if not match:
        sys.exit(f"bench: no 'created N, updated N, unchanged N, errors N' in the output:\n{output[-3000:]}")
    return elapsed, tuple(int(n) for n in match.groups()), output


FLOOR_SCRIPT = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anyang_hte.settings.dev")
django.setup()
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
cells = sum(len(row) for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
print(cells)
"""


def measure_floor(path: Path, env: dict[str, str]) -> float:
    """Seconds to start Django and read every cell of ``path`` (the least any import of it costs)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", FLOOR_SCRIPT, str(path)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.exit(f"bench: the floor run failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - started


def bench(rows: int, tmp: Path) -> int:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "anyang_hte.settings.dev"}
    env.pop("REDIS_URL", None)  # tasks the import enqueues run in-process, inside the timing

    print(f"bench: database {database_url.split('@')[-1]}", flush=True)
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
    if subprocess.run(migrate, cwd=ROOT, env=env).returncode != 0:
        print("bench: migrate failed", file=sys.stderr)
        return 1
    _setup_django(database_url)

    ledger = tmp / "ledger.xlsx"
    started = time.perf_counter()
    write_ledger(ledger, rows)
    print(f"bench: wrote {rows} rows to {ledger.name} ({ledger.stat().st_size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - started:.1f}s", flush=True)  # fmt: skip

    floor = measure_floor(ledger, env)
    print(f"bench: floor        Django start + read every cell of the file: {floor:7.2f}s", flush=True)
    failed = False
    for label, expect in (("first import", "created"), ("re-import", "unchanged")):
        elapsed, (created, updated, unchanged, errors), _ = run_import(ledger, env)
        counts = {"created": created, "updated": updated, "unchanged": unchanged}
        print(
            f"bench: {label:<12} {rows} rows in {elapsed:7.2f}s = {elapsed / floor:5.1f}× the floor, "
            f"{rows / elapsed:8.0f} rows/s "
            f"(created {created}, updated {updated}, unchanged {unchanged}, errors {errors})",
            flush=True,
        )
        if errors or created + updated + unchanged != rows:
            failed = True
            print(f"bench: expected {rows} rows imported without errors", file=sys.stderr)
        elif "DATABASE_URL" not in os.environ and counts[expect] != rows:
            failed = True
            print(f"bench: expected all {rows} rows {expect} on a fresh database", file=sys.stderr)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", "10000")))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (file and database)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="anyang-bench-"))
    try:
        return bench(args.rows, tmp)
    finally:
        if args.keep:
            print(f"bench: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
