#!/usr/bin/env python3
"""Time the xlsx export of BENCH_EXPORT_ROWS ledger-like rows (default 100,000) beside its floor.

Run through ``make bench``. Two measurements, each in its own child process so that its peak RSS
(``resource.getrusage``) is its own, alternated BENCH_EXPORT_REPEAT times (default 2; the best time
of each is kept, the machine being shared):

- the portal: Django set up, a ``ListExporter`` with the ledger's 36 columns (headers and widths of
  the import template) written by ``anyang_hte.core.exporters.write_xlsx`` to a temporary file, as
  ``xlsx_response`` and the export jobs do;
- the floor: xlsxwriter in constant-memory mode writing the same title, headers and values to a
  temporary file directly, each column with the one call its type needs, no Django.

The rows are built from a pool of 1,000 distinct rows (names, credit codes, dates, money with six
decimals, head counts, counts, blanks), so making them costs next to nothing in either. It prints

    export xlsx rows <n> seconds <x> floor_seconds <y> ratio <x/y> peak_rss_mb <m>

(peak_rss_mb is the portal process's, Django and its apps included; the line before gives the
floor's and what the portal process held after ``django.setup()``, before writing a row). It measures;
it asserts nothing.
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POOL = 1000
COUNTIES = ["文峰区", "北关区", "殷都区", "龙安区", "安阳县", "汤阴县", "滑县", "内黄县", "林州市"]
FIELDS = ["电子信息", "生物与新医药", "航空航天", "新材料", "高技术服务", "新能源与节能", "资源与环境"]
STAGES = ["种子", "苗圃", "小巨人", "后备"]


def pool(quantity=Decimal) -> list[list]:
    """1,000 ledger rows in the export's column order (see enterprises.ledger_template.COLUMNS)."""
    rows = []
    for i in range(POOL):
        money = [Decimal(1000 + i * 37 + k * 11).scaleb(-4) * 10000 / Decimal(7) for k in range(9)]
        money = [m.quantize(Decimal("0.000001")) for m in money]
        rows.append(
            [
                i + 1,
                f"安阳市基准测试{i}号科技有限公司",
                f"91410500MA{i:08d}",
                COUNTIES[i % len(COUNTIES)],
                FIELDS[i % len(FIELDS)],
                datetime.date(2005 + i % 18, 1 + i % 12, 1 + i % 28),
                f"河南省安阳市文峰区中华路{i}号高新技术创业服务中心{i % 9}楼",
                f"张{i}",
                f"李{i}",
                f"1380372{i:04d}",
                "中原银行文峰支行",
                f"62305800{i:011d}",
                f"安阳市基准测试{i}号科技有限公司",
                "安阳市工程技术研究中心" if i % 3 == 0 else None,
                "市级" if i % 3 == 0 else None,
                "否",
                STAGES[i % len(STAGES)],
                f"王{i}",
                f"0372-59{i:05d}",
                "安阳市科学技术局",
                2026 + i % 3,
                2025,
                *money[:5],
                quantity(40 + i % 200),
                quantity(Decimal(8 + i % 30) + Decimal("0.5") * (i % 2)),
                *money[5:],
                i % 7,
                i % 5,
                i % 4,
                '=HYPERLINK("x")' if i % 97 == 0 else None,  # now and then a formula-looking note
            ]
        )
    return rows


def rows(n: int, base: list[list]):
    for i in range(n):
        row = base[i % POOL]
        if i >= POOL:
            row = [i + 1, *row[1:]]
        yield row


def child_portal(n: int, target) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anyang_hte.settings.dev")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/anyang-bench-export.sqlite3")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from anyang_hte.core.exporters import ListExporter, Quantity, write_xlsx
    from enterprises.ledger_template import COLUMNS, template_width

    base = pool(Quantity)
    setup_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    class BenchLedger(ListExporter):
        filename = "培育台账"
        title = "安阳市高新技术企业培育台账（2025年度数据）"
        headers = [c.header for c in COLUMNS]

        def column_widths(self):
            return [template_width(c.key) for c in COLUMNS]

        def iter_rows(self):
            return rows(n, base)

    started = time.perf_counter()
    count = write_xlsx(BenchLedger(), target)
    report(time.perf_counter() - started, count, target, setup_kb)


def child_floor(n: int, target) -> None:
    import xlsxwriter

    base = pool()
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    wb = xlsxwriter.Workbook(target, {"constant_memory": True})
    ws = wb.add_worksheet("培育台账")
    money = wb.add_format({"num_format": "#,##0.00"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_string(0, 0, "安阳市高新技术企业培育台账（2025年度数据）")
    first = base[0]
    writers = []
    for col, value in enumerate(first):
        if isinstance(value, str) or value is None:
            writers.append(lambda r, c, v: ws.write_string(r, c, v) if v else None)
        elif isinstance(value, datetime.date):
            writers.append(lambda r, c, v: ws.write_datetime(r, c, v, date))
        elif isinstance(value, Decimal) and col not in (27, 28):  # 27, 28: head counts
            writers.append(lambda r, c, v: ws.write_number(r, c, v, money))
        elif isinstance(value, Decimal):
            writers.append(lambda r, c, v: ws.write_number(r, c, v))
        else:
            writers.append(ws.write_number)
    for col in range(len(first)):
        ws.write_string(1, col, f"列{col}")
    count = 0
    for r, row in enumerate(rows(n, base), start=2):
        for c, value in enumerate(row):
            writers[c](r, c, value)
        count += 1
    wb.close()
    report(time.perf_counter() - started, count, target)


def report(seconds: float, count: int, target, setup_kb: int = 0) -> None:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = target.seek(0, 2)
    result = {"seconds": seconds, "rows": count, "bytes": size}
    result.update(peak_rss_mb=peak_kb / 1024, setup_rss_mb=setup_kb / 1024)
    print(json.dumps(result))


def measure(kind: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        kind, n = sys.argv[2], int(sys.argv[3])
        with tempfile.TemporaryFile(suffix=".xlsx") as target:
            (child_portal if kind == "portal" else child_floor)(n, target)
        return
    n = int(os.environ.get("BENCH_EXPORT_ROWS", "100000"))
    repeat = max(1, int(os.environ.get("BENCH_EXPORT_REPEAT", "2")))
    portal, floor = [], []
    for _ in range(repeat):
        floor.append(measure("floor", n))
        portal.append(measure("portal", n))
    best_floor = min(floor, key=lambda m: m["seconds"])
    best = min(portal, key=lambda m: m["seconds"])
    peak = max(m["peak_rss_mb"] for m in portal)
    print(
        f"bench: export floor (xlsxwriter constant_memory, no Django) {best_floor['seconds']:.2f}s "
        f"peak_rss_mb {max(m['peak_rss_mb'] for m in floor):.0f}; portal file {best['bytes'] / 1e6:.1f} MB, "
        f"its process {max(m['setup_rss_mb'] for m in portal):.0f} MB after django.setup() before the export"
    )
    ratio = best["seconds"] / best_floor["seconds"]
    print(
        f"export xlsx rows {best['rows']} seconds {best['seconds']:.2f} "
        f"floor_seconds {best_floor['seconds']:.2f} ratio {ratio:.2f} peak_rss_mb {peak:.0f}"
    )


if __name__ == "__main__":
    main()
