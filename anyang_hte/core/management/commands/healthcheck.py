"""python manage.py healthcheck [--check worker]

The checks of ``/healthz`` from the command line (the beat container's health check): prints one line per
check (``worker: stale (age 300 s)``) and exits 1 when any named check fails.
"""

import sys

from django.core.management.base import BaseCommand

from anyang_hte.core.health import CHECKS, run_checks


class Command(BaseCommand):
    help = "检查数据库、任务队列和后台任务心跳（与 /healthz 相同）；任一项失败时退出码为 1。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="append", choices=CHECKS, help="只做这一项检查（可重复）；默认全部"
        )

    def handle(self, *args, check, **options):
        results = run_checks(check or CHECKS)
        for name, result in results.items():
            age = f" (age {result.age_seconds} s)" if result.age_seconds is not None else ""
            self.stdout.write(f"{name}: {result.status}{age}")
        if not all(result.ok for result in results.values()):
            sys.exit(1)
