"""What importing an official list would do, computed without writing: the preview's plan.

For each row of the file: the ledger enterprise it names (by credit code, else by normalised name) or
none; whether that enterprise already holds a qualification of the list's kind on the list's date (then
nothing new is recorded); and the money the new qualification would create, from a dry run of the
engine's rule matching (``engine.rewards_for_new_grants``): rule, amount, city and county shares.

The plan's ``digest`` sums up every outcome it shows. The preview page carries it; confirming imports
only while the plan computed again (in the import's transaction) has the same digest, and the import
then checks that what it wrote is what the plan said (``official_list_import(expected_digest=...)``).
"""

import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from enterprises.models import Enterprise, Qualification

from ..models import OfficialList, RewardRule
from ..official_lists import ParsedList, ParsedRow, match_rows
from .engine import rewards_for_new_grants

CHUNK = 500

NEW = "new"  # matched: a qualification will be recorded (and its rewards generated)
RECORDED = "recorded"  # matched, but the enterprise already holds this grant: nothing new
UNMATCHED = "unmatched"  # no ledger enterprise: waits for the reviewer (link, create, ignore)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class PlannedReward:
    rule: RewardRule
    amount: Decimal
    city_amount: Decimal
    county_amount: Decimal


@dataclass
class PlannedRow:
    row: ParsedRow
    outcome: str  # NEW, RECORDED or UNMATCHED
    enterprise: Enterprise | None = None
    matched_by: str = ""  # "code" or "name"
    note: str = ""
    rewards: list[PlannedReward] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.row.number

    @property
    def warning(self) -> str:
        return self.row.code_warning

    @property
    def amount(self) -> Decimal:
        return sum((r.amount for r in self.rewards), Decimal("0"))


@dataclass
class ListPlan:
    checksum: str
    filename: str
    kind: str
    granted_on: datetime.date
    title: str
    rows: list[PlannedRow]
    already_imported: OfficialList | None = None  # the same file, kind and date: importing changes nothing

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def new(self) -> int:
        return self.count(NEW)

    @property
    def recorded(self) -> int:
        return self.count(RECORDED)

    @property
    def unmatched(self) -> int:
        return self.count(UNMATCHED)

    @property
    def matched(self) -> int:
        """Rows that name a ledger enterprise (new and already recorded alike)."""
        return self.new + self.recorded

    @property
    def warnings(self) -> list[str]:
        return [r.warning for r in self.rows if r.warning]

    @property
    def rewards(self) -> list[PlannedReward]:
        return [reward for r in self.rows for reward in r.rewards]

    @property
    def amount(self) -> Decimal:
        return sum((r.amount for r in self.rewards), Decimal("0"))

    @property
    def city_amount(self) -> Decimal:
        return sum((r.city_amount for r in self.rewards), Decimal("0"))

    @property
    def county_amount(self) -> Decimal:
        return sum((r.county_amount for r in self.rewards), Decimal("0"))

    @property
    def digest(self) -> str:
        """A fingerprint of every outcome the preview shows (file, list, rows, enterprises, money).

        Language-independent: the notes and warnings follow from the file (its checksum) and the
        enterprises named here, so a reviewer who switches language between preview and confirm is not
        refused."""
        facts = {
            "file": self.checksum,
            "kind": self.kind,
            "granted_on": self.granted_on.isoformat(),
            "title": self.title,
            "already_imported": self.already_imported.pk if self.already_imported else None,
            "rows": [
                [
                    r.number,
                    r.outcome,
                    r.enterprise.pk if r.enterprise else None,
                    r.enterprise.jurisdiction_id if r.enterprise else None,
                    r.enterprise.credit_code if r.enterprise else None,
                    r.matched_by,
                    [[p.rule.pk, str(p.amount), str(p.city_amount), str(p.county_amount)] for p in r.rewards],
                ]
                for r in self.rows
            ],
        }
        return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def _held(enterprise_ids: list[int], *, kind: str, granted_on: datetime.date) -> set[int]:
    """The enterprises that already hold a ``kind`` grant on ``granted_on``."""
    held: set[int] = set()
    for chunk in _chunks(sorted(enterprise_ids)):
        held.update(
            Qualification.objects.filter(
                enterprise_id__in=chunk, kind=kind, granted_on=granted_on
            ).values_list("enterprise_id", flat=True)
        )
    return held


def plan_official_list(
    parsed: ParsedList, *, checksum: str, filename: str, kind: str, granted_on: datetime.date, title: str
) -> ListPlan:
    """What importing ``parsed`` would do now. Reads only."""
    already = OfficialList.objects.filter(checksum=checksum, kind=kind, granted_on=granted_on).first()
    matches = match_rows(parsed.rows)
    enterprise_ids = [m.enterprise.pk for m in matches.values() if m.enterprise is not None]
    held = _held(enterprise_ids, kind=kind, granted_on=granted_on)
    fresh = [pk for pk in dict.fromkeys(enterprise_ids) if pk not in held]
    due = rewards_for_new_grants(kind=kind, granted_on=granted_on, enterprise_ids=fresh)
    first_row: dict[int, int] = {}  # enterprise id → the row that records its grant
    rows: list[PlannedRow] = []
    for parsed_row in parsed.rows:
        match = matches[parsed_row.number]
        enterprise = match.enterprise
        planned = PlannedRow(row=parsed_row, outcome=UNMATCHED, note=match.note)
        rows.append(planned)
        if enterprise is None:
            continue
        planned.enterprise, planned.matched_by = enterprise, match.by
        if already is not None or enterprise.pk in held:
            planned.outcome = RECORDED
        elif enterprise.pk in first_row:
            planned.outcome = RECORDED
            same = _("与第%(r)d行为同一企业，只登记一次。") % {"r": first_row[enterprise.pk]}
            planned.note = "；".join(filter(None, [planned.note, same]))
        else:
            first_row[enterprise.pk] = parsed_row.number
            planned.outcome = NEW
            planned.rewards = [
                PlannedReward(rule, rule.total_amount, rule.city_amount, rule.county_amount)
                for rule in due.get(enterprise.pk, [])
            ]
    return ListPlan(
        checksum=checksum,
        filename=filename,
        kind=kind,
        granted_on=granted_on,
        title=title,
        rows=rows,
        already_imported=already,
    )
