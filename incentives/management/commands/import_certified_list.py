"""python manage.py import_certified_list PATH --kind KIND --granted-on YYYY-MM-DD [--dry-run] [--title T]

Prints ``matched N, unmatched N, new qualifications N, new rewards N`` and then one line per unmatched
row (``row R: NAME (CODE)``; without the brackets when the list gives no code); a malformed credit
code is warned about on stderr (its row then matches by name only). Unmatched rows and warnings are
not an error: the command exits 0. A bad file, kind or date exits 1 and nothing is written.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import SystemActor
from enterprises.import_parsing import CellError, fold, parse_date
from enterprises.models import QualificationKind
from incentives.services import official_list_import


def _kind(text: str) -> str:
    """A QualificationKind value (hte, little_giant, leading, tech_sme, ...) or its Chinese label."""
    wanted = fold(text).lower()
    for value, label in QualificationKind.choices:
        if wanted in (value, fold(label)):
            return value
    raise CommandError(
        _("未知的资质类型“%(k)s”，--kind 应为：%(all)s。")
        % {"k": text, "all": ", ".join(QualificationKind.values)}
    )


class Command(BaseCommand):
    help = (
        "导入省里公布的认定名单（.xlsx 或 .csv）：匹配企业、登记资质并生成奖励；"
        "同一名单重复导入不会重复登记。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="名单文件路径（.xlsx 或 .csv）")
        parser.add_argument("--kind", required=True, help="资质类型：" + ", ".join(QualificationKind.values))
        parser.add_argument("--granted-on", required=True, help="名单的认定日期，如 2024-11-30")
        parser.add_argument("--title", default="", help="名单标题（默认取表头上方的标题行）")
        parser.add_argument("--dry-run", action="store_true", help="只匹配并统计，不写入")

    def handle(self, *args, path, kind, granted_on, title, dry_run, **options):
        kind = _kind(kind)
        try:
            granted = parse_date(granted_on)
        except CellError as exc:
            raise CommandError(_("--granted-on：%(m)s") % {"m": exc}) from None
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(_("文件不存在：%(p)s") % {"p": path})
        try:
            with file_path.open("rb") as fileobj:
                result = official_list_import(
                    fileobj=fileobj,
                    filename=file_path.name,
                    kind=kind,
                    granted_on=granted,
                    by=SystemActor("command import_certified_list"),
                    title=title,
                    dry_run=dry_run,
                )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"matched {result.matched}, unmatched {result.unmatched}, "
            f"new qualifications {result.new_qualifications}, new rewards {result.new_rewards}"
        )
        for row in result.unmatched_rows:
            code = f" ({row.credit_code})" if row.credit_code else ""
            self.stdout.write(f"row {row.row_number}: {row.name}{code}")
        for warning in result.warnings:
            self.stderr.write(warning)
        if result.already_imported:
            self.stderr.write(
                _("该名单（同一文件、资质类型和认定日期）已于 %(at)s 导入，本次没有任何变更。")
                % {"at": timezone.localtime(result.list.uploaded_at).date().isoformat()}
            )
        if dry_run:
            self.stderr.write(_("试运行：没有写入任何数据。"))
