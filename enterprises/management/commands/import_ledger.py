"""python manage.py import_ledger PATH --jurisdiction CODE [--dry-run]

Prints ``created N, updated N, unchanged N, errors N`` and then one line per error
(``row R, column C: reason``; ``sheet S, row R, column C: reason`` in a file with one sheet per year).
Exits 1 when there is any error; then nothing is written.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import SystemActor
from enterprises.importers import plan_ledger_import
from enterprises.services import import_ledger_file

SYSTEM = SystemActor("command import_ledger")


class Command(BaseCommand):
    help = "导入县区培育台账（.xlsx 或 .csv）：整个文件写入或全部不写入。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="台账文件路径（.xlsx 或 .csv）")
        parser.add_argument("--jurisdiction", required=True, help="县区代码，如 410502")
        parser.add_argument("--dry-run", action="store_true", help="只检查并预览，不写入")

    def handle(self, *args, path, jurisdiction, dry_run, **options):
        try:
            target = Jurisdiction.objects.get(code=jurisdiction.strip())
        except Jurisdiction.DoesNotExist:
            raise CommandError(f"unknown jurisdiction code: {jurisdiction}") from None
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(f"no such file: {path}")
        # One pass: read, check and (without --dry-run) write chunk by chunk; any error undoes the write.
        try:
            with file_path.open("rb") as fileobj:
                if dry_run:
                    plan = plan_ledger_import(
                        fileobj, file_path.name, jurisdiction=target, user=SYSTEM, keep_rows=0
                    )
                else:
                    plan = import_ledger_file(fileobj, file_path.name, jurisdiction=target, by=SYSTEM)
        except DomainError as exc:
            self.stdout.write("created 0, updated 0, unchanged 0, errors 1")
            self.stdout.write(f"row 0, column (文件): {exc.message}")
            sys.exit(1)
        counts = (plan.created, plan.updated, plan.unchanged)
        errors = [(e.where, e.message) for e in plan.errors]
        self.stdout.write("created {}, updated {}, unchanged {}, errors {}".format(*counts, len(errors)))
        for where, message in errors:
            self.stdout.write(f"{where}: {message}")
        if errors:
            sys.exit(1)
