"""python manage.py rollup_indicators [--year YYYY]

Computes every indicator of the year (default: the current one) for every jurisdiction and the city,
upserts the snapshots (the same code as the Celery rollup, without a RollupRun) and prints the table:
one line per jurisdiction, then 全市, then ``rolled up N snapshots in X.XXs``.
"""

import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.errors import DomainError
from anyang_hte.core.money import wan_rounded
from anyang_hte.core.roles import SystemActor
from assessment import indicators
from assessment.models import CITY_SCOPE
from assessment.services import check_year, rollup_year_sync

COLUMNS = [
    "new_hte",
    "valid_hte",
    "tech_sme",
    "little_giant",
    "leading",
    "hte_candidates",
    "overdue_milestones",
]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _left(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _right(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


class Command(BaseCommand):
    help = "汇总各县区和全市的考核指标（写入指标快照）并打印指标表。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="年度，默认今年")

    def handle(self, *args, year, **options):
        try:
            year = check_year(year or timezone.localdate().year)
            result = rollup_year_sync(year=year, by=SystemActor("command rollup_indicators"))
        except DomainError as exc:
            raise CommandError(exc.message) from None
        values = result["values"]
        headers = [_("县区")] + [str(indicators.get(code).short_label) for code in COLUMNS]
        headers.append(_("已拨付（万元）"))
        lines = []
        for jurisdiction in [*indicators.jurisdictions(), None]:
            scope = jurisdiction.code if jurisdiction else CITY_SCOPE
            name = (jurisdiction.short_name or jurisdiction.name) if jurisdiction else _("全市")
            paid = values["rewards_paid_city"][scope] + values["rewards_paid_county"][scope]
            cells = [str(values[code][scope]) for code in COLUMNS]
            cells.append(f"{wan_rounded(paid)}")
            lines.append([name, *cells])
        widths = [max(_width(row[i]) for row in [headers, *lines]) for i in range(len(headers))]
        self.stdout.write(_("%(year)s 年度考核指标") % {"year": year})
        for row in [headers, *lines]:
            first = _left(row[0], widths[0])
            rest = [_right(cell, widths[i + 1]) for i, cell in enumerate(row[1:])]
            self.stdout.write("  ".join([first, *rest]).rstrip())
        self.stdout.write(f"rolled up {result['snapshots']} snapshots in {result['seconds']:.2f}s")
