"""python manage.py restore DIR [--database ALIAS] [--media-root PATH] [--force]

Restores a backup written by ``manage.py backup`` into an EMPTY database (create one and point
DATABASE_URL at it; the schema comes from the backup, so do not migrate first) and an empty media folder.
Every checksum is verified before anything is written; afterwards every table's row count and every
file's sha256 are compared with the backup's manifest. ``--force`` drops the target database's tables
first and replaces media files of the same path: only for a database you mean to overwrite.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from anyang_hte.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "从 backup 命令写的目录恢复数据库和上传文件（只写入空数据库；恢复后核对行数和校验和）。"

    def add_arguments(self, parser):
        parser.add_argument("directory", help="backup 命令写的备份目录")
        parser.add_argument("--database", default="default", help="数据库别名，默认 default")
        parser.add_argument("--media-root", help="上传文件目录，默认为 MEDIA_ROOT")
        parser.add_argument(
            "--force", action="store_true", help="目标数据库或文件目录不是空的也恢复：先删除数据库中的全部表"
        )

    def handle(self, *args, directory, database, media_root, force, **options):
        try:
            done = restore(
                Path(directory),
                using=database,
                media_root=Path(media_root or settings.MEDIA_ROOT),
                force=force,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"restored from {directory}: {done.tables} tables, {done.rows} rows, {done.files} files "
            f"({done.bytes} bytes); every row count and checksum matches the manifest"
        )
