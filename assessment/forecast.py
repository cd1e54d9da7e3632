"""Next year's liability (下一年度奖励资金预测): the rewards the HTE pipeline is expected to earn.

A certificate the province grants in this year's round is rewarded (and paid) next year, so the
liability of next year is the money the firms now in the pipeline will earn if they are certified. The
forecast, for the firms a user may see (a county its own, the city's offices all):

**The pipeline.** Every enterprise at one of these steps (``STEPS``; the furthest one counts):

- ``passed``: its entry in the open round has passed the city's first review (初审通过);
- ``recommended``: its entry was recommended by its county (县区推荐);
- ``intention``: it has declared an intention in the open round (申报意向);
- ``ready``: its stored verdict is 符合 (``Enterprise.hte_ready`` True) with no entry in the open round
  (a withdrawn entry counts as none);
- ``near`` (接近符合): its stage is 高企后备 (``Stage.HTE_CANDIDATE``) and its stored verdict is 待补充
  (``hte_ready`` None: no condition fails, some figure or record is still missing), with no entry.

An entry held, returned, not certified or already certified in the open round is out of the pipeline
(a certified one already has its reward, which the money pages show).

**The amount.** The rules in force today for a new HTE certificate (``incentives`` ``RewardRule`` with
trigger ``hte``: HTE_NEW, 150,000 city + 150,000 county). A first-time-only rule gives nothing to a firm
that ever held an HTE certificate (expired, revoked or brought from elsewhere: 重新认定 is not 新认定);
such a firm is listed apart, with why.

**The rates.** Each step's chance of reaching the next, from the closed rounds pooled
(``applications.selectors.round_numbers``: 推荐率 = recommended ÷ intentions, 初审通过率 = passed ÷
recommended, 认定率 = certified ÷ passed): the county's own when its closed rounds hold at least
``min_base`` entries at the step's start, else the city's, else a default (``DEFAULT_RATES``). Two steps
have no history in the portal and always take their default: 符合 → 登记意向, and 接近符合 → 符合.
Settings ``FORECAST_DEFAULT_RATES`` and ``FORECAST_MIN_BASE`` change the defaults.

**The range.** For each firm, ``amount`` = what the rules give it if certified:

- expected (预期) = Σ probability × amount, the probability the product of the rates of the steps still
  ahead of it (initial review passed: 认定率; recommended: 初审通过率 × 认定率; and so on);
- low (保守) = only the firms that passed the first review, each × the 认定率 of the lowest closed year
  (at the same level, county or city, as its expected rate);
- high (乐观) = every firm in the pipeline certified (probability 1).

Rates are kept to four decimals, each firm's money to the fen (ROUND_HALF_UP) per funding source, and
every total is the sum of the firms behind it, so a number and its list agree.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q, Subquery, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.dates import today as portal_today
from anyang_hte.core.exporters import CellValue, ListExporter, Quantity
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.scope import scope_enterprises, user_may_use_jurisdiction
from applications.models import ApplicationRound, RoundEntry
from applications.selectors import open_round, round_numbers
from enterprises.models import Enterprise, Qualification, QualificationKind, Stage
from incentives.funding import FundingSource
from incentives.models import RewardRule
from incentives.services.engine import rules_in_force

E = RoundEntry.Status
CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")

# The steps of the pipeline, from the furthest on; each with the moves still ahead of it (named by the
# step they reach).
STEPS: dict[str, str] = {
    "passed": gettext_lazy("已通过市级初审"),
    "recommended": gettext_lazy("县区已推荐"),
    "intention": gettext_lazy("已登记申报意向"),
    "ready": gettext_lazy("符合条件，尚未登记意向"),
    "near": gettext_lazy("接近符合（高企后备，待补充）"),
}
AHEAD: dict[str, tuple[str, ...]] = {
    "passed": ("certified",),
    "recommended": ("passed", "certified"),
    "intention": ("recommended", "passed", "certified"),
    "ready": ("intention", "recommended", "passed", "certified"),
    "near": ("ready", "intention", "recommended", "passed", "certified"),
}
# Each move: its name, and the round's step it starts from (None: no history in the portal).
MOVES: dict[str, tuple[str, str | None]] = {
    "ready": (gettext_lazy("接近符合 → 符合"), None),
    "intention": (gettext_lazy("符合 → 登记意向"), None),
    "recommended": (gettext_lazy("意向 → 县区推荐（推荐率）"), "intention"),
    "passed": (gettext_lazy("推荐 → 初审通过（初审通过率）"), "recommended"),
    "certified": (gettext_lazy("初审通过 → 认定（认定率）"), "passed"),
}
DEFAULT_RATES: dict[str, Decimal] = {
    "ready": Decimal("0.5000"),
    "intention": Decimal("0.6000"),
    "recommended": Decimal("0.8000"),
    "passed": Decimal("0.8500"),
    "certified": Decimal("0.7500"),
}
DEFAULT_MIN_BASE = 10
ENTRY_STEPS = {E.PASSED: "passed", E.RECOMMENDED: "recommended", E.INTENTION: "intention"}
BANDS: dict[str, str] = {
    "low": gettext_lazy("保守"),
    "expected": gettext_lazy("预期"),
    "high": gettext_lazy("乐观"),
}
SOURCES = (FundingSource.CITY, FundingSource.COUNTY)


def default_rates() -> dict[str, Decimal]:
    configured = getattr(settings, "FORECAST_DEFAULT_RATES", {})
    return {move: Decimal(str(configured.get(move, rate))) for move, rate in DEFAULT_RATES.items()}


def min_base() -> int:
    return int(getattr(settings, "FORECAST_MIN_BASE", DEFAULT_MIN_BASE))


def _ratio(numerator: int, denominator: int) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- the rates ---------------------------------------------------------------------------------


SOURCE_COUNTY, SOURCE_CITY, SOURCE_DEFAULT = "county", "city", "default"
RATE_SOURCES = {
    SOURCE_COUNTY: gettext_lazy("本县区历史"),
    SOURCE_CITY: gettext_lazy("全市历史"),
    SOURCE_DEFAULT: gettext_lazy("默认值"),
}


@dataclass(frozen=True)
class Rate:
    move: str
    value: Decimal  # 0..1, four decimals
    lowest: Decimal  # the lowest closed year's rate at the same level (the value itself for a default)
    source: str  # SOURCE_COUNTY | SOURCE_CITY | SOURCE_DEFAULT
    numerator: int = 0
    denominator: int = 0

    @property
    def label(self) -> str:
        return str(MOVES[self.move][0])

    @property
    def source_label(self) -> str:
        return str(RATE_SOURCES[self.source])

    @property
    def percent(self) -> Decimal:
        return self.value * 100

    @property
    def lowest_percent(self) -> Decimal:
        return self.lowest * 100


@dataclass
class Rates:
    """The rate of every move, for the city and for each county (its own or the city's)."""

    years: list[int]  # the closed rounds the history comes from
    city: dict[str, Rate]
    counties: dict[int, dict[str, Rate]]

    def of(self, jurisdiction_id: int, move: str) -> Rate:
        return self.counties.get(jurisdiction_id, self.city)[move]


def _pooled(move: str, yearly: list[dict[str, int]], source: str) -> Rate:
    """The rate of ``move`` pooled over ``yearly`` counts (one dict of step counts per closed year)."""
    base = MOVES[move][1]
    numerator = sum(c[move] for c in yearly)
    denominator = sum(c[base] for c in yearly)
    value = _ratio(numerator, denominator)
    lowest = min(_ratio(c[move], c[base]) for c in yearly if c[base])
    return Rate(move, value, lowest, source, numerator, denominator)


def _default(move: str, defaults: dict[str, Decimal]) -> Rate:
    return Rate(move, defaults[move], defaults[move], SOURCE_DEFAULT)


def historical_rates(jurisdictions: list[Jurisdiction]) -> Rates:
    """The rates from the closed rounds (``round_numbers`` of each), for the city and ``jurisdictions``."""
    defaults, enough = default_rates(), min_base()
    years = list(
        ApplicationRound.objects.filter(status=ApplicationRound.Status.CLOSED)
        .order_by("year")
        .values_list("year", flat=True)
    )
    city_counts: list[dict[str, int]] = []
    county_counts: dict[int, list[dict[str, int]]] = {j.pk: [] for j in jurisdictions}
    for year in years:
        numbers = round_numbers(year)
        city_counts.append(numbers.total.counts)
        for row in numbers.rows:
            if row.jurisdiction.pk in county_counts:
                county_counts[row.jurisdiction.pk].append(row.counts)

    city: dict[str, Rate] = {}
    for move, (_label, base) in MOVES.items():
        has_history = base is not None and sum(c[base] for c in city_counts) > 0
        city[move] = _pooled(move, city_counts, SOURCE_CITY) if has_history else _default(move, defaults)
    counties: dict[int, dict[str, Rate]] = {}
    for pk, counts in county_counts.items():
        counties[pk] = {}
        for move, (_label, base) in MOVES.items():
            if base is not None and sum(c[base] for c in counts) >= enough:
                counties[pk][move] = _pooled(move, counts, SOURCE_COUNTY)
            else:
                counties[pk][move] = city[move]
    return Rates(years=years, city=city, counties=counties)


# --- the firms ---------------------------------------------------------------------------------


@dataclass
class FirmForecast:
    enterprise_id: int
    name: str
    credit_code: str
    jurisdiction: Jurisdiction
    stage: str
    hte_ready: bool | None
    entry_status: str  # "" when no entry in the open round
    step: str
    probability: Decimal  # of being certified
    low_probability: Decimal
    city_amount: Decimal  # what the rules give if certified, per funding source
    county_amount: Decimal
    excluded: str = ""  # why the rules give it nothing ("" when they give something)

    @property
    def step_label(self) -> str:
        return str(STEPS[self.step])

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)

    @property
    def entry_label(self) -> str:
        return str(E(self.entry_status).label) if self.entry_status else ""

    @property
    def verdict_label(self) -> str:
        return {True: _("符合"), False: _("不符合"), None: _("待补充")}[self.hte_ready]

    def probability_in(self, band: str) -> Decimal:
        return {"low": self.low_probability, "expected": self.probability, "high": Decimal(1)}[band]

    def amount(self, band: str, source: str | None = None) -> Decimal:
        """The firm's money in ``band`` for ``source`` (city or county; None: both), to the fen."""
        p = self.probability_in(band)
        city, county = _money(p * self.city_amount), _money(p * self.county_amount)
        return {FundingSource.CITY: city, FundingSource.COUNTY: county, None: city + county}[source]


def pipeline_queryset(user, round_: ApplicationRound | None):
    """The enterprises ``user`` may see that are in the pipeline, with ``entry_status`` (their entry in
    the open round, "" without) and ``held_hte`` (ever held an HTE certificate) annotated."""
    qs = scope_enterprises(Enterprise.objects.select_related("jurisdiction"), user)
    if round_ is not None:
        entry = RoundEntry.objects.filter(round=round_, enterprise=OuterRef("pk")).values("status")[:1]
        qs = qs.annotate(entry_status=Subquery(entry, output_field=CharField()))
    else:
        qs = qs.annotate(entry_status=Value(None, output_field=CharField()))
    no_entry = Q(entry_status__isnull=True) | Q(entry_status=E.WITHDRAWN)
    candidate = Q(hte_ready=True) | Q(hte_ready__isnull=True, stage=Stage.HTE_CANDIDATE)
    held = Qualification.objects.filter(enterprise=OuterRef("pk"), kind=QualificationKind.HTE)
    return (
        qs.filter(Q(entry_status__in=list(ENTRY_STEPS)) | (candidate & no_entry))
        .annotate(held_hte=Exists(held))
        .order_by("jurisdiction_id", "name", "pk")  # the ledger's index order
    )


def _step_of(enterprise) -> str:
    if enterprise.entry_status in ENTRY_STEPS:
        return ENTRY_STEPS[enterprise.entry_status]
    return "ready" if enterprise.hte_ready else "near"


def firm_forecast(enterprise, *, rules: list[RewardRule], rates: Rates) -> FirmForecast:
    step = _step_of(enterprise)
    probability = Decimal(1)
    for move in AHEAD[step]:
        probability *= rates.of(enterprise.jurisdiction_id, move).value
    low = rates.of(enterprise.jurisdiction_id, "certified").lowest if step == "passed" else Decimal(0)
    earning = [r for r in rules if not (r.first_time_only and enterprise.held_hte)]
    city = sum((r.city_amount for r in earning), Decimal(0))
    county = sum((r.county_amount for r in earning), Decimal(0))
    excluded = ""
    if not rules:
        excluded = _("今日没有有效的新认定高企奖励规则")
    elif not earning:
        excluded = _("曾取得高新技术企业证书，“%(rule)s”仅奖励首次认定（重新认定不奖励）") % {
            "rule": "、".join(r.name for r in rules)
        }
    return FirmForecast(
        enterprise_id=enterprise.pk,
        name=enterprise.name,
        credit_code=enterprise.credit_code,
        jurisdiction=enterprise.jurisdiction,
        stage=enterprise.stage,
        hte_ready=enterprise.hte_ready,
        entry_status=enterprise.entry_status or "",
        step=step,
        probability=probability,
        low_probability=low,
        city_amount=city,
        county_amount=county,
        excluded=excluded,
    )


# --- the forecast ------------------------------------------------------------------------------


def _row_label(juris: Jurisdiction | None, source: str | None) -> str:
    if juris is None:
        return str(FundingSource.CITY.label) if source == FundingSource.CITY else _("合计")
    if source == FundingSource.COUNTY:
        return _("%(name)s财政") % {"name": juris.name}
    if source == FundingSource.CITY:
        return _("%(name)s（市级财政承担部分）") % {"name": juris.name}
    return juris.name


@dataclass
class Row:
    """One line of a summary table: its firms and their money in each band."""

    key: str  # "all" or a county's code
    label: str
    jurisdiction: Jurisdiction | None
    source: str | None  # the funding source the money is of (None: both)
    firms: list[FirmForecast] = field(default_factory=list)

    def total(self, band: str) -> Decimal:
        return sum((f.amount(band, self.source) for f in self.firms), Decimal("0.00"))

    @property
    def low(self) -> Decimal:
        return self.total("low")

    @property
    def expected(self) -> Decimal:
        return self.total("expected")

    @property
    def high(self) -> Decimal:
        return self.total("high")

    @property
    def count(self) -> int:
        return len(self.firms)

    def firms_in(self, band: str) -> list[FirmForecast]:
        """The firms whose money makes the row's number in ``band``."""
        return [f for f in self.firms if f.amount(band, self.source)]


@dataclass
class Forecast:
    on: datetime.date
    round: ApplicationRound | None
    rules: list[RewardRule]
    rates: Rates
    jurisdictions: list[Jurisdiction]  # those in the user's scope
    firms: list[FirmForecast]  # earning something if certified
    excluded: list[FirmForecast]  # in the pipeline, but the rules give them nothing

    @property
    def year(self) -> int:
        """The year the liability falls in: the one after the open round's (or after this year)."""
        return (self.round.year if self.round else self.on.year) + 1

    def row(self, key: str, source: str | None = None) -> Row | None:
        """The firms of ``key`` ("all", or a county's code in the user's scope; None when not) and their
        money of ``source`` (city or county; None: both)."""
        if key == "all":
            firms, juris = self.firms, None
        else:
            juris = next((j for j in self.jurisdictions if j.code == key), None)
            if juris is None:
                return None
            firms = [f for f in self.firms if f.jurisdiction.pk == juris.pk]
        return Row(key, _row_label(juris, source), juris, source, firms)

    def by_source(self) -> list[Row]:
        """The city's money (all firms), then each county's own money (its share of its firms)."""
        return [self.row("all", FundingSource.CITY)] + [
            self.row(j.code, FundingSource.COUNTY) for j in self.jurisdictions
        ]

    def by_county(self) -> list[Row]:
        """Each county's firms, city and county money together."""
        return [self.row(j.code) for j in self.jurisdictions]

    def total(self) -> Row:
        return self.row("all")

    def chart(self) -> dict:
        """The spec ``static/js/charts.js`` draws: each county's low / expected / high in 万元."""
        rows = self.by_county()

        def wan(value: Decimal) -> float:
            return float((value / 10000).quantize(CENT, rounding=ROUND_HALF_UP))

        return {
            "type": "bar",
            "unit": "万元",
            "labels": [r.label for r in rows],
            "datasets": [
                {"label": str(BANDS[band]), "data": [wan(r.total(band)) for r in rows], "color": color}
                for band, color in (("low", 6), ("expected", 0), ("high", 2))
            ],
        }


def forecast_for(user, *, on: datetime.date | None = None) -> Forecast:
    """The forecast over the enterprises ``user`` may see (see the module doc)."""
    on = on or portal_today()
    round_ = open_round()
    jurisdictions = [j for j in Jurisdiction.objects.all() if user_may_use_jurisdiction(user, j.pk)]
    rules = rules_in_force(QualificationKind.HTE, on)
    rates = historical_rates(jurisdictions)
    firms, excluded = [], []
    for enterprise in pipeline_queryset(user, round_):
        forecast = firm_forecast(enterprise, rules=rules, rates=rates)
        (firms if forecast.city_amount + forecast.county_amount else excluded).append(forecast)
    return Forecast(on, round_, rules, rates, jurisdictions, firms, excluded)


# --- the export --------------------------------------------------------------------------------


class ForecastExporter(ListExporter):
    """The firms behind the forecast (the ones a number was clicked for, or all), one line each, and a
    totals line."""

    filename = "下一年度奖励资金预测"

    def __init__(self, forecast: Forecast, firms: list[FirmForecast]):
        self.forecast, self.firms = forecast, firms
        self.title = _("%(year)s年度高企奖励资金预测（按 %(on)s 的培育管道计算）") % {
            "year": forecast.year,
            "on": forecast.on.isoformat(),
        }
        self.headers = [
            _("县区"),
            _("企业名称"),
            _("统一社会信用代码"),
            _("培育阶段"),
            _("认定条件核验"),
            _("本轮申报状态"),
            _("预测所处环节"),
            _("认定概率"),
            _("保守概率"),
            _("认定后奖励：市级（元）"),
            _("认定后奖励：县区（元）"),
            _("保守（元）"),
            _("预期：市级（元）"),
            _("预期：县区（元）"),
            _("预期合计（元）"),
            _("乐观（元）"),
        ]

    def iter_rows(self) -> Iterator[list[CellValue]]:
        for f in self.firms:
            yield [
                f.jurisdiction.name,
                f.name,
                f.credit_code,
                f.stage_label,
                f.verdict_label,
                f.entry_label or _("未登记"),
                f.step_label,
                Quantity(f.probability),
                Quantity(f.low_probability),
                f.city_amount,
                f.county_amount,
                f.amount("low"),
                f.amount("expected", FundingSource.CITY),
                f.amount("expected", FundingSource.COUNTY),
                f.amount("expected"),
                f.amount("high"),
            ]
        zero = Decimal("0.00")

        def total(band, source=None):
            return sum((f.amount(band, source) for f in self.firms), zero)

        yield [
            _("合计（%(n)d家）") % {"n": len(self.firms)},
            "",
            "",
            "",
            "",
            "",
            "",
            None,
            None,
            sum((f.city_amount for f in self.firms), zero),
            sum((f.county_amount for f in self.firms), zero),
            total("low"),
            total("expected", FundingSource.CITY),
            total("expected", FundingSource.COUNTY),
            total("expected"),
            total("high"),
        ]
