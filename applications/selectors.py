"""Reads of the round: the open round, the entries a user may see, the filters, and the round in numbers.

The numbers (``round_numbers``) count entries by the furthest step their state shows, per county:

- 意向 (intentions): every entry of the round, withdrawn ones included;
- 县区推荐 (recommended): recommended, and everything the city decided on since (passed, returned,
  certified, not certified);
- 初审通过 (passed): passed, certified, not certified;
- 认定 (certified).

A withdrawn entry counts as an intention only. The pass rates are recommended ÷ intentions, passed ÷
recommended, certified ÷ passed. The reasons for failure are tallied: held by the county, withdrawn,
returned per HTE condition, not certified per reason. ``assessment`` shows them (it imports this module,
never the reverse).
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.scope import scope_enterprises
from enterprises.models import Enterprise

from .models import CONDITIONS, ApplicationRound, OutcomeReason, RoundEntry

S = RoundEntry.Status

# The steps of the round, each the states an entry has when it reached the step (see the module doc).
STAGES: dict[str, tuple[str, frozenset[str]]] = {
    "intention": (_("申报意向"), frozenset(S.values)),
    "recommended": (
        _("县区推荐"),
        frozenset({S.RECOMMENDED, S.PASSED, S.RETURNED, S.CERTIFIED, S.NOT_CERTIFIED}),
    ),
    "passed": (_("初审通过"), frozenset({S.PASSED, S.CERTIFIED, S.NOT_CERTIFIED})),
    "certified": (_("认定"), frozenset({S.CERTIFIED})),
}
RATES = (("recommended", "intention"), ("passed", "recommended"), ("certified", "passed"))


def open_round() -> ApplicationRound | None:
    return ApplicationRound.objects.filter(status=ApplicationRound.Status.OPEN).first()


def rounds_with_counts() -> QuerySet:
    return ApplicationRound.objects.annotate(
        n_entries=Count("entries"),
        n_certified=Count("entries", filter=Q(entries__status=S.CERTIFIED)),
    ).order_by("-year")


def entries_for(user, round_: ApplicationRound | None = None) -> QuerySet:
    """The entries ``user`` may see (a county its own county's, the city all, a firm its own)."""
    qs = RoundEntry.objects.select_related("round", "enterprise__jurisdiction", "declared_by")
    if round_ is not None:
        qs = qs.filter(round=round_)
    return scope_enterprises(qs, user, enterprise_field="enterprise")


def filter_entries(qs: QuerySet, *, jurisdiction=None, status: str = "", stage: str = "") -> QuerySet:
    if jurisdiction is not None:
        qs = qs.filter(enterprise__jurisdiction=jurisdiction)
    if status:
        qs = qs.filter(status=status)
    if stage in STAGES:
        qs = qs.filter(status__in=STAGES[stage][1])
    return qs


def status_totals(qs: QuerySet) -> dict[str, int]:
    """``{status: entries}`` for every status (0 when none), and ``"all"``."""
    counts = dict.fromkeys(S.values, 0)
    for row in qs.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    counts["all"] = sum(counts[s] for s in S.values)
    return counts


def _rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / denominator).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class NumbersRow:
    jurisdiction: Jurisdiction | None  # None: the city's total
    counts: dict[str, int]

    @property
    def code(self) -> str:
        return self.jurisdiction.code if self.jurisdiction else ""

    @property
    def name(self) -> str:
        return self.jurisdiction.name if self.jurisdiction else str(_("全市合计"))

    @property
    def cells(self) -> list[dict]:
        return [{"stage": code, "label": STAGES[code][0], "value": self.counts[code]} for code in STAGES]

    @property
    def rates(self) -> list[Decimal | None]:
        return [_rate(self.counts[a], self.counts[b]) for a, b in RATES]


@dataclass
class Failures:
    held: int = 0
    withdrawn: int = 0
    returned: int = 0
    returned_by_condition: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, n
    not_certified: int = 0
    not_certified_by_reason: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.held or self.withdrawn or self.returned or self.not_certified)


@dataclass
class RoundNumbers:
    round: ApplicationRound
    rows: list[NumbersRow]
    total: NumbersRow
    failures: Failures

    @property
    def stages(self) -> list[tuple[str, str]]:
        return [(code, label) for code, (label, _states) in STAGES.items()]

    @property
    def rate_labels(self) -> list[str]:
        return [_("推荐率"), _("初审通过率"), _("认定率")]


def round_of(year: int) -> ApplicationRound | None:
    return ApplicationRound.objects.filter(year=year).first()


@dataclass
class CountyTally:
    """One county's entries of a round: by status, returned by HTE condition, not certified by reason."""

    status: Counter = field(default_factory=Counter)
    condition: Counter = field(default_factory=Counter)
    outcome: Counter = field(default_factory=Counter)


def round_tallies(round_: ApplicationRound, jurisdiction_ids: list[int]) -> dict[int, CountyTally]:
    """``{jurisdiction id: CountyTally}`` of the round's entries, counted in the database (two grouped
    queries over the round's entries): what the assessment rollup stores, and :func:`round_numbers`."""
    tallies = {pk: CountyTally() for pk in jurisdiction_ids}
    entries = RoundEntry.objects.filter(round=round_, enterprise__jurisdiction_id__in=jurisdiction_ids)
    for row in entries.order_by().values("enterprise__jurisdiction_id", "status").annotate(n=Count("pk")):
        tallies[row["enterprise__jurisdiction_id"]].status[row["status"]] += row["n"]
    for juris_id, status, reasons, outcome in entries.filter(
        status__in=[S.RETURNED, S.NOT_CERTIFIED]
    ).values_list("enterprise__jurisdiction_id", "status", "reasons", "outcome_reason"):
        if status == S.RETURNED:
            tallies[juris_id].condition.update(code for code in (reasons or {}) if code in CONDITIONS)
        else:
            tallies[juris_id].outcome[outcome or OutcomeReason.OTHER] += 1
    return tallies


def numbers_from_tallies(
    round_: ApplicationRound, jurisdictions: list[Jurisdiction], tallies: dict[int, CountyTally]
) -> RoundNumbers:
    """The round in numbers for ``jurisdictions`` (in that order) from their tallies (missing: none)."""

    def counts(statuses: Counter) -> dict[str, int]:
        return {code: sum(statuses[s] for s in states) for code, (_label, states) in STAGES.items()}

    shown = [tallies.get(j.pk) or CountyTally() for j in jurisdictions]
    rows = [NumbersRow(j, counts(t.status)) for j, t in zip(jurisdictions, shown, strict=True)]
    status, conditions, outcomes = Counter(), Counter(), Counter()
    for tally in shown:
        status.update(tally.status)
        conditions.update(tally.condition)
        outcomes.update(tally.outcome)
    total = NumbersRow(None, counts(status))
    failures = Failures(
        held=status[S.HELD],
        withdrawn=status[S.WITHDRAWN],
        returned=status[S.RETURNED],
        not_certified=status[S.NOT_CERTIFIED],
    )
    failures.returned_by_condition = [
        (c, str(CONDITIONS[c]), conditions[c]) for c in CONDITIONS if conditions[c]
    ]
    failures.not_certified_by_reason = [
        (r, str(OutcomeReason(r).label), outcomes[r]) for r in OutcomeReason.values if outcomes[r]
    ]
    return RoundNumbers(round=round_, rows=rows, total=total, failures=failures)


def round_numbers(year: int, *, scopes: list[str] | None = None) -> RoundNumbers | None:
    """The round of ``year`` in numbers per county (``scopes``: some counties' codes only), or None when
    no round was opened that year, counted now (the round's own pages and the forecast; the assessment
    pages read the rollup's copy). Two grouped queries."""
    round_ = round_of(year)
    if round_ is None:
        return None
    jurisdictions = list(Jurisdiction.objects.all())
    if scopes is not None:
        jurisdictions = [j for j in jurisdictions if j.code in scopes]
    return numbers_from_tallies(round_, jurisdictions, round_tallies(round_, [j.pk for j in jurisdictions]))


def ready_not_applying(today=None) -> QuerySet:
    """Enterprises whose stored verdict is 符合 (``hte_ready``) with no entry in the open round (withdrawn
    counts as none). Without an open round there is nothing to apply to: no rows. Unscoped: the watch
    list scopes it."""
    current = open_round()
    if current is None:
        return Enterprise.objects.none()
    applying = RoundEntry.objects.filter(round=current).exclude(status=S.WITHDRAWN)
    return Enterprise.objects.filter(hte_ready=True).exclude(pk__in=applying.values("enterprise_id"))
