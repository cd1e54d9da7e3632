"""python manage.py purge_import_stash [--max-age-hours H]

Does by hand what the hourly beat task ``anyang_hte.core.tasks.purge_import_stash`` does: deletes the
uploaded import files (ledger, official lists, published figures: everything under MEDIA_ROOT/imports/)
that were never confirmed nor cancelled and are older than ``IMPORT_STASH_MAX_AGE_HOURS`` (24 by
default), and records one audit row with the count. Prints ``purged N files older than H hours``.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import SystemActor
from anyang_hte.core.stash import import_stash_purge, max_age


class Command(BaseCommand):
    help = "Delete uploaded import files never confirmed, older than IMPORT_STASH_MAX_AGE_HOURS."

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-age-hours", type=float, help="purge files older than this (default: the setting)"
        )

    def handle(self, *args, max_age_hours=None, **options):
        if max_age_hours is not None and max_age_hours < 0:
            raise CommandError("--max-age-hours must not be negative")
        older_than = max_age() if max_age_hours is None else datetime.timedelta(hours=max_age_hours)
        try:
            removed = import_stash_purge(by=SystemActor("command purge_import_stash"), older_than=older_than)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        hours = older_than.total_seconds() / 3600
        self.stdout.write(f"purged {len(removed)} files older than {hours:g} hours")
