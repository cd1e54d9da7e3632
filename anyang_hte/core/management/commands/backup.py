"""python manage.py backup DIR [--database ALIAS] [--media-root PATH]

Writes DIR/database.dump (PostgreSQL, pg_dump --format=custom) or DIR/database.sqlite3, DIR/media.tar (every
file under MEDIA_ROOT) and DIR/manifest.json (rows per table; path, size and sha256 of every file). DIR
must be new or empty. Restore with ``manage.py restore DIR``.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from anyang_hte.core.backup import BackupError, backup, summarize


class Command(BaseCommand):
    help = "备份数据库和全部上传文件到一个新目录（含行数与校验和清单）；用 restore 命令恢复。"

    def add_arguments(self, parser):
        parser.add_argument("directory", help="备份目录（新目录或空目录）")
        parser.add_argument("--database", default="default", help="数据库别名，默认 default")
        parser.add_argument("--media-root", help="上传文件目录，默认为 MEDIA_ROOT")

    def handle(self, *args, directory, database, media_root, **options):
        try:
            manifest = backup(
                Path(directory), using=database, media_root=Path(media_root or settings.MEDIA_ROOT)
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        done = summarize(manifest)
        self.stdout.write(
            f"backup written to {directory}: {done.tables} tables, {done.rows} rows, "
            f"{done.files} files ({done.bytes} bytes)"
        )
