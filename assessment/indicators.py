"""The assessment indicators: the one place that defines them.

The dashboard, the jurisdiction pages, the bulletin, the exports, the rollup and the tests all compute
from :data:`INDICATORS`. Each indicator has

- ``compute(year, jurisdiction_ids)``: every jurisdiction at once, with database aggregates
  (``values("jurisdiction").annotate(Count/Sum)`` over ``Exists`` filters), one or two queries whatever
  the number of enterprises. Counts and money return ``{jurisdiction_id: Decimal}``; shares return
  ``{jurisdiction_id: Parts(numerator, denominator)}`` so that the city's share is recomputed from the
  summed parts, never averaged;
- ``drill(year)``: the rows behind the number (enterprises, milestones, rewards, carriers or events),
  all jurisdictions; :func:`drilldown` narrows it to one. Counting indicators compute *from* their
  drill queryset, so the list and the number cannot disagree;
- ``unknown_note(year, scopes)`` (optional): for the scopes whose value is unknown, why (which
  figure is missing), so that a page shows "—" with the reason.

"New HTEs" are counted by the rule the tech bureau sets (:class:`~assessment.models.CountingRule`,
default: a re-certification after the certificate lapsed counts in the year it is certified); a
certificate a firm brought when it moved to Anyang (``granted_elsewhere``) is never new, but it is valid.

The period is the calendar year; its end is 31 December, or today while the year is running.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.money import CENT
from enterprises.models import Enterprise, LedgerMilestone, Qualification, QualificationKind
from incentives.models import FundingLine, FundingSource, Payment, Reward

from .models import CITY_SCOPE, CountingRule, IncubationCarrier, PublishedValueAdded, TrainingEvent

COUNT, MONEY, SHARE = "count", "money", "share"
ZERO = Decimal("0")

Value = Decimal | None


class Parts(NamedTuple):
    """A share's numerator and denominator; either is None when it is unknown."""

    numerator: Decimal | None
    denominator: Decimal | None

    @property
    def known(self) -> bool:
        return self.numerator is not None and self.denominator is not None

    @property
    def value(self) -> Value:
        return percent(self.numerator, self.denominator) if self.numerator is not None else None


@dataclass(frozen=True)
class Indicator:
    code: str
    label: Promise
    short_label: Promise
    unit: Promise
    kind: str  # COUNT, MONEY or SHARE
    compute: Callable[[int, Sequence[int]], dict]
    drill: Callable[[int], QuerySet]
    jurisdiction_field: str  # the drill queryset's path to the jurisdiction
    description: Promise
    # (year, scopes whose value is unknown) -> {scope: why}; None: the page shows "—" alone
    unknown_note: Callable[[int, Sequence[str]], dict[str, str]] | None = None
    drill_note: Promise | None = None  # what the drill-down lists, when it is not the counted rows

    @property
    def additive(self) -> bool:
        """Counts and money add up over jurisdictions; shares do not."""
        return self.kind != SHARE

    def __str__(self):
        return str(self.label)


def percent(numerator, denominator) -> Value:
    """numerator ÷ denominator × 100 with 2 decimals; None when the denominator is missing or zero."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


def normalise(kind: str, value) -> Value:
    """The value as the tables show it: counts whole, money and shares with 2 decimals."""
    if value is None:
        return None
    value = Decimal(value)
    return value.quantize(Decimal("1") if kind == COUNT else CENT, rounding=ROUND_HALF_UP)


def period_end(year: int, *, today: datetime.date | None = None) -> datetime.date:
    """31 December of ``year``, or today while ``year`` is the current year."""
    today = today or timezone.localdate()
    return today if year == today.year else datetime.date(year, 12, 31)


def _period(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), period_end(year)


# --- the conditions the indicators share -------------------------------------------------------


def _holds_valid(kind: str, day: datetime.date, *, enterprise: str = "pk") -> Exists:
    """The enterprise (``enterprise``: the outer query's path to it) holds a ``kind`` qualification
    valid on ``day`` (QualificationQuerySet.valid_on)."""
    return Exists(Qualification.objects.valid_on(day).filter(enterprise=OuterRef(enterprise), kind=kind))


def _granted_in(kind: str, year: int) -> Exists:
    """The enterprise was granted a ``kind`` qualification in the year (a revoked one never counts)."""
    start, end = _period(year)
    return Exists(
        Qualification.objects.filter(
            enterprise=OuterRef("pk"), kind=kind, revoked_on__isnull=True, granted_on__range=(start, end)
        )
    )


def counting_rule() -> CountingRule:
    """How new HTEs are counted now: the stored rule, or the defaults when none was stored (one query)."""
    return CountingRule.objects.order_by("pk").first() or CountingRule()


def new_hte_rule_label(rule: CountingRule | None = None) -> str:
    """The rule in the words the pages show next to every "new HTEs" number."""
    rule = rule or counting_rule()
    if rule.recertification_is_new:
        return gettext("含期满后重新认定；不含迁入企业")
    return gettext("不含重新认定；不含迁入企业")


def new_hte_grants(
    start: datetime.date, end: datetime.date, *, recertification_is_new: bool | None = None
) -> QuerySet:
    """The HTE certificates granted from ``start`` to ``end`` that count as new HTEs of the city.

    Never a revoked certificate, nor one the firm brought when it moved to Anyang (``granted_elsewhere``:
    valid, but not new here). With ``recertification_is_new`` (the default rule) a certificate is new
    unless another HTE certificate of the firm is still valid on its grant day (a re-certification after
    the old one lapsed, expired or revoked, is new in the year it is certified); without it, only the
    firm's first-ever HTE is new (any earlier grant, expired, revoked or brought in, makes it a
    re-certification). ``None``: the stored rule (:func:`counting_rule`).
    """
    if recertification_is_new is None:
        recertification_is_new = counting_rule().recertification_is_new
    earlier = Qualification.objects.filter(
        enterprise=OuterRef("enterprise"), kind=QualificationKind.HTE, granted_on__lt=OuterRef("granted_on")
    )
    if recertification_is_new:
        earlier = earlier.valid_on(OuterRef("granted_on"))
    return Qualification.objects.filter(
        kind=QualificationKind.HTE,
        revoked_on__isnull=True,
        granted_elsewhere=False,
        granted_on__range=(start, end),
    ).filter(~Exists(earlier))


def _new_hte_in(year: int) -> Exists:
    """The enterprise has a certificate granted in the year that counts as new (:func:`new_hte_grants`)."""
    start, end = _period(year)
    return Exists(new_hte_grants(start, end).filter(enterprise=OuterRef("pk")))


def _open_overdue_milestones(day: datetime.date):
    """Milestones due before ``day`` and not done by then."""
    return LedgerMilestone.objects.filter(due_on__lt=day).filter(Q(done_on__isnull=True) | Q(done_on__gt=day))


def _timetable_up_to_date(day: datetime.date) -> Q:
    """A named helper, at least one milestone, and none overdue on ``day``."""
    milestones = LedgerMilestone.objects.filter(enterprise=OuterRef("pk"))
    overdue = _open_overdue_milestones(day).filter(enterprise=OuterRef("pk"))
    return ~Q(helper_name="") & Q(Exists(milestones)) & ~Q(Exists(overdue))


def _trained_in(year: int) -> Exists:
    start, end = _period(year)
    attended = TrainingEvent.enterprises.through.objects.filter(
        enterprise=OuterRef("pk"), trainingevent__held_on__range=(start, end)
    )
    return Exists(attended)


# --- computing over jurisdictions -------------------------------------------------------------


def _fill(jurisdiction_ids: Sequence[int], found: dict, default=ZERO) -> dict:
    return {pk: found.get(pk, default) for pk in jurisdiction_ids}


def _counting(drill: Callable[[int], QuerySet], field: str):
    """A compute function that counts the drill queryset's rows per jurisdiction (one query)."""

    def compute(year: int, jurisdiction_ids: Sequence[int]) -> dict[int, Decimal]:
        rows = (
            drill(year)
            .filter(**{f"{field}__in": jurisdiction_ids})
            .order_by()
            .values(field)
            .annotate(n=Count("pk"))
        )
        return _fill(jurisdiction_ids, {row[field]: Decimal(row["n"]) for row in rows})

    return compute


def _summing(queryset: Callable[[int], QuerySet], field: str, amount: str):
    """A compute function that sums ``amount`` per jurisdiction (one query)."""

    def compute(year: int, jurisdiction_ids: Sequence[int]) -> dict[int, Decimal]:
        rows = (
            queryset(year)
            .filter(**{f"{field}__in": jurisdiction_ids})
            .order_by()
            .values(field)
            .annotate(total=Sum(amount))
        )
        return _fill(jurisdiction_ids, {row[field]: row["total"] or ZERO for row in rows})

    return compute


def _enterprises(condition: Callable[[int], Q | Exists]) -> Callable[[int], QuerySet]:
    return lambda year: Enterprise.objects.filter(condition(year))


def _valid(kind):
    return lambda year: _holds_valid(kind, period_end(year))


def _helper_ok(year):
    return _timetable_up_to_date(period_end(year))


def _rewards_of(year: int, path: str = "reward__") -> Q:
    """Rewards whose triggering qualification was granted in the year (``path`` leads to the reward)."""
    start, end = _period(year)
    return Q(**{f"{path}qualification__granted_on__range": (start, end)})


COMMITTED = Q(status__in=[s for s in FundingLine.Status.values if s != FundingLine.Status.CANCELLED])
APPROVED = Q(
    status__in=[FundingLine.Status.APPROVED, FundingLine.Status.BATCHED, FundingLine.Status.PAID],
)


def _lines(condition: Q):
    return lambda year: FundingLine.objects.filter(_rewards_of(year), condition)


def _payments(source: str):
    return lambda year: Payment.objects.filter(_rewards_of(year, "line__reward__"), line__source=source)


def _rewards_with(lines: Callable[[int], QuerySet]):
    """The rewards behind a money figure: those with a line the figure sums."""

    def drill(year: int) -> QuerySet:
        return Reward.objects.filter(
            _rewards_of(year, ""), Exists(lines(year).filter(reward=OuterRef("pk")))
        ).select_related("enterprise", "rule", "qualification")

    return drill


def _paid_lines(source: str):
    return lambda year: FundingLine.objects.filter(_rewards_of(year), source=source, payment__isnull=False)


def _carriers(year: int) -> QuerySet:
    end = period_end(year)
    return IncubationCarrier.objects.filter(recognised_on__lte=end).filter(
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=end)
    )


def _training_events(year: int) -> QuerySet:
    start, end = _period(year)
    return TrainingEvent.objects.filter(held_on__range=(start, end))


def _helper_parts(year: int, jurisdiction_ids: Sequence[int]) -> dict[int, Parts]:
    """Two queries (the numerator's Exists filters stay in WHERE, where the database can hash-join
    them; inside an aggregate's FILTER they would run once per enterprise)."""
    numerators = _counting(_enterprises(_helper_ok), ENT)(year, jurisdiction_ids)
    denominators = _counting(_ledger, ENT)(year, jurisdiction_ids)
    return {pk: Parts(numerators[pk], denominators[pk]) for pk in jurisdiction_ids}


def _ledger(year: int) -> QuerySet:
    return Enterprise.objects.all()


def _published_parts(year: int, jurisdiction_ids: Sequence[int]) -> dict:
    """The statistics bureau's figures (one query): 高新技术产业增加值 ÷ 规模以上工业增加值 for each
    jurisdiction and, under ``"city"``, the city's own (never the counties' sum); unpublished is None."""
    rows = (
        PublishedValueAdded.objects.filter(year=year)
        .filter(Q(jurisdiction_id__in=jurisdiction_ids) | Q(jurisdiction__isnull=True))
        .values_list("jurisdiction_id", "hightech_value_added", "industrial_value_added")
    )
    found = {juris_id or CITY_SCOPE: Parts(hightech, industrial) for juris_id, hightech, industrial in rows}
    parts = {pk: found.get(pk, Parts(None, None)) for pk in [*jurisdiction_ids, CITY_SCOPE]}
    return parts


def _published_figures(year: int) -> QuerySet:
    return PublishedValueAdded.objects.filter(year=year).select_related("jurisdiction", "entered_by")


def _published_unknown(year: int, scopes: Sequence[str]) -> dict[str, str]:
    """Which published figure is missing, for each scope (a jurisdiction code or "city")."""
    rows = {
        (row.jurisdiction.code if row.jurisdiction_id else CITY_SCOPE): row
        for row in PublishedValueAdded.objects.filter(year=year).select_related("jurisdiction")
    }
    notes = {}
    for scope in scopes:
        row = rows.get(scope)
        if row is None or (row.hightech_value_added is None and row.industrial_value_added is None):
            text = gettext("未录入统计局公布的%(year)s年高新技术产业增加值和规模以上工业增加值。")
        elif row.hightech_value_added is None:
            text = gettext("未录入统计局公布的%(year)s年高新技术产业增加值。")
        else:
            text = gettext("未录入统计局公布的%(year)s年规模以上工业增加值。")
        notes[scope] = text % {"year": year}
    return notes


def _growth_parts(year: int, jurisdiction_ids: Sequence[int]) -> dict[int, Parts]:
    """(valid HTEs at the period's end − at the end of the year before) over the year before's."""
    valid = _counting(_enterprises(_valid(QualificationKind.HTE)), ENT)
    now, before = valid(year, jurisdiction_ids), valid(year - 1, jurisdiction_ids)
    return {pk: Parts(now[pk] - before[pk], before[pk]) for pk in jurisdiction_ids}


def _constant_note(text: Promise):
    return lambda year, scopes: {scope: str(text) for scope in scopes}


def _new_hte_description() -> str:
    return gettext(
        "当年新认定的高新技术企业（口径：%(rule)s；已撤销的不计入）。迁入企业在外地取得的证书计入有效高企，"
        "不计入新认定。"
    ) % {"rule": new_hte_rule_label()}


def _indicator(
    code,
    label,
    short_label,
    unit,
    kind,
    *,
    drill,
    field,
    description,
    compute=None,
    unknown=None,
    drill_note=None,
):
    return Indicator(
        code=code,
        label=label,
        short_label=short_label,
        unit=unit,
        kind=kind,
        compute=compute or _counting(drill, field),
        drill=drill,
        jurisdiction_field=field,
        description=description,
        unknown_note=unknown,
        drill_note=drill_note,
    )


ENT = "jurisdiction"  # an enterprise's (or carrier's, event's, reward's) jurisdiction field
K = QualificationKind
HOUSEHOLDS, ITEMS, TIMES, YUAN, PCT = _("家"), _("个"), _("场"), _("元"), _("%")

INDICATORS: list[Indicator] = [
    _indicator(
        "new_hte", _("新认定高新技术企业"), _("新认定高企"), HOUSEHOLDS, COUNT,
        drill=_enterprises(_new_hte_in), field=ENT,
        description=lazy(_new_hte_description, str)(),
    ),
    _indicator(
        "valid_hte", _("有效期内高新技术企业"), _("有效高企"), HOUSEHOLDS, COUNT,
        drill=_enterprises(_valid(K.HTE)), field=ENT,
        description=_("期末（12月31日，当年为今天）持有有效高新技术企业证书的企业（含迁入企业带来的证书）。"),
    ),
    _indicator(
        "hte_growth", _("有效高新技术企业增幅"), _("高企增幅"), PCT, SHARE,
        drill=_enterprises(_valid(K.HTE)), field=ENT, compute=_growth_parts,
        unknown=_constant_note(_("上年期末没有有效高企，增幅无法计算。")),
        description=_(
            "（期末有效高企 − 上年期末有效高企）÷ 上年期末有效高企 × 100；上年期末为 0 的无法计算。"
            "行动计划任务11：高新区的高企数量和增幅纳入考核。"
        ),
        drill_note=_("下表列出期末有效的高新技术企业；上年期末的名单请切换到上年查看。"),
    ),
    _indicator(
        "tech_sme", _("入库科技型中小企业"), _("科技型中小企业"), HOUSEHOLDS, COUNT,
        drill=_enterprises(lambda year: _granted_in(K.TECH_SME, year)), field=ENT,
        description=_("当年取得科技型中小企业入库登记编号的企业。"),
    ),
    _indicator(
        "little_giant", _("河南省科技小巨人企业"), _("科技小巨人"), HOUSEHOLDS, COUNT,
        drill=_enterprises(_valid(K.LITTLE_GIANT)), field=ENT,
        description=_("期末在有效期内的河南省科技小巨人企业。"),
    ),
    _indicator(
        "leading", _("河南省创新龙头企业"), _("创新龙头"), HOUSEHOLDS, COUNT,
        drill=_enterprises(_valid(K.LEADING)), field=ENT,
        description=_("期末在有效期内的河南省创新龙头企业。"),
    ),
    _indicator(
        "hte_candidates", _("高新技术企业后备企业"), _("高企后备"), HOUSEHOLDS, COUNT,
        drill=_enterprises(_valid(K.HTE_CANDIDATE)), field=ENT,
        description=_("期末在高新技术企业后备（培育）库中的企业。"),
    ),
    _indicator(
        "ledger_enterprises", _("培育台账企业"), _("台账企业"), HOUSEHOLDS, COUNT,
        drill=_ledger, field=ENT,
        description=_("在本平台培育台账中登记的企业。"),
    ),
    _indicator(
        "helper_share", _("落实挂钩帮扶和时间表的企业占比"), _("帮扶落实率"), PCT, SHARE,
        drill=_enterprises(_helper_ok), field=ENT, compute=_helper_parts,
        unknown=_constant_note(_("台账中没有企业，无法计算。")),
        description=_("台账企业中明确了挂钩帮扶责任人、有时间表且期末没有逾期节点的企业所占比例。"),
    ),
    _indicator(
        "overdue_milestones", _("逾期帮扶节点"), _("逾期节点"), ITEMS, COUNT,
        drill=lambda year: _open_overdue_milestones(period_end(year)).select_related("enterprise"),
        field="enterprise__jurisdiction",
        description=_("计划完成日期早于期末、期末仍未完成的帮扶节点。"),
    ),
    _indicator(
        "rewards_committed", _("应兑现奖励资金"), _("应兑现奖励"), YUAN, MONEY,
        drill=_rewards_with(_lines(COMMITTED)), field=ENT,
        compute=_summing(_lines(COMMITTED), "reward__jurisdiction", "amount"),
        description=_("当年认定资质所产生奖励的资金明细（不含已取消）。"),
    ),
    _indicator(
        "rewards_approved", _("已批准奖励资金"), _("已批准奖励"), YUAN, MONEY,
        drill=_rewards_with(_lines(APPROVED)), field=ENT,
        compute=_summing(_lines(APPROVED), "reward__jurisdiction", "amount"),
        description=_("当年认定资质所产生奖励中已批准（含已入批次、已拨付）的资金。"),
    ),
    _indicator(
        "rewards_paid_city", _("市级财政已拨付奖励"), _("市级已拨付"), YUAN, MONEY,
        drill=_rewards_with(_paid_lines(FundingSource.CITY)), field=ENT,
        compute=_summing(_payments(FundingSource.CITY), "line__reward__jurisdiction", "amount"),
        description=_("当年认定资质所产生奖励中市级财政已登记拨付的金额。"),
    ),
    _indicator(
        "rewards_paid_county", _("县区财政已拨付奖励"), _("县区已拨付"), YUAN, MONEY,
        drill=_rewards_with(_paid_lines(FundingSource.COUNTY)), field=ENT,
        compute=_summing(_payments(FundingSource.COUNTY), "line__reward__jurisdiction", "amount"),
        description=_("当年认定资质所产生奖励中县区财政已登记拨付的金额。"),
    ),
    _indicator(
        "carriers", _("孵化载体"), _("孵化载体"), ITEMS, COUNT,
        drill=_carriers, field=ENT,
        description=_("期末已认定且未撤销的科技企业孵化器、大学科技园和众创空间（各级）。"),
    ),
    _indicator(
        "training_events", _("高企政策培训场次"), _("培训场次"), TIMES, COUNT,
        drill=_training_events, field=ENT,
        description=_("当年举办的培训活动。"),
    ),
    _indicator(
        "enterprises_trained", _("参训企业"), _("参训企业"), HOUSEHOLDS, COUNT,
        drill=_enterprises(_trained_in), field=ENT,
        description=_("当年参加过培训的企业（按企业所属县区，每家计一次）。"),
    ),
    _indicator(
        "hte_value_added_share", _("高新技术产业增加值占规模以上工业增加值比重"), _("高新技术产业增加值占比"),
        PCT, SHARE,
        drill=_published_figures, field=ENT, compute=_published_parts, unknown=_published_unknown,
        description=_(
            "高新技术产业增加值 ÷ 规模以上工业增加值 × 100，两项均为统计局公布的当年数据，由市科技局录入"
            "或导入：县区取本县区公布的数据，全市取全市公布的数据（不由县区相加，也不取自企业填报的数据）；"
            "任一项未公布的不计算。行动计划目标为40%左右。"
        ),
        drill_note=_("下表列出统计局公布的数据及其来源、录入人。"),
    ),
]  # fmt: skip

BY_CODE: dict[str, Indicator] = {indicator.code: indicator for indicator in INDICATORS}
CODES: list[str] = [indicator.code for indicator in INDICATORS]


def get(code: str) -> Indicator:
    """The indicator with ``code``; KeyError when there is none."""
    return BY_CODE[code]


def jurisdictions() -> list[Jurisdiction]:
    return list(Jurisdiction.objects.order_by("sort_order", "code"))


# --- evaluating ---------------------------------------------------------------------------------


def evaluate(
    indicator: Indicator | str, year: int, *, among: Sequence[Jurisdiction] | None = None
) -> dict[str, Value]:
    """``{scope: value}`` for every jurisdiction (by code) and for the city (``"city"``).

    Counts and money: the city is the sum. Shares: the city's own parts when the indicator gives them
    (published figures), else Σ numerators ÷ Σ denominators over the jurisdictions whose parts are
    known. A share with a part unknown, or a zero denominator, is None.
    """
    indicator = get(indicator) if isinstance(indicator, str) else indicator
    among = jurisdictions() if among is None else list(among)
    raw = indicator.compute(year, [j.pk for j in among])
    if indicator.kind == SHARE:
        values = {j.code: raw[j.pk].value for j in among}
        if CITY_SCOPE in raw:
            values[CITY_SCOPE] = raw[CITY_SCOPE].value
        else:
            known = [raw[j.pk] for j in among if raw[j.pk].known]
            values[CITY_SCOPE] = percent(
                sum((p.numerator for p in known), ZERO), sum((p.denominator for p in known), ZERO)
            )
        return values
    values = {j.code: normalise(indicator.kind, raw[j.pk]) for j in among}
    values[CITY_SCOPE] = normalise(indicator.kind, sum((raw[j.pk] for j in among), ZERO))
    return values


def evaluate_all(
    year: int, *, codes: Sequence[str] | None = None, among: Sequence[Jurisdiction] | None = None
) -> dict[str, dict[str, Value]]:
    """``{indicator code: {scope: value}}``; one or two queries per indicator, whatever the data size."""
    among = jurisdictions() if among is None else list(among)
    return {code: evaluate(code, year, among=among) for code in (codes or CODES)}


def drilldown(code: str, jurisdiction: Jurisdiction | str | None, year: int) -> QuerySet:
    """The rows behind ``code``'s number for one jurisdiction (a Jurisdiction or its code) or, given
    None or ``"city"``, the whole city. Not scoped to a user: the caller checks who may see it.

    Enterprises for the enterprise counts, the helper share's numerator and the growth (the valid HTEs
    at the period's end), milestones for ``overdue_milestones``, rewards for the money figures, carriers
    and training events for theirs, the published figures for the value-added share (for the city: the
    year's whole publication, the counties' rows and the city's).
    """
    indicator = get(code)
    queryset = indicator.drill(year)
    if jurisdiction is None or jurisdiction == CITY_SCOPE:
        return queryset
    if isinstance(jurisdiction, str):
        return queryset.filter(**{f"{indicator.jurisdiction_field}__code": jurisdiction})
    return queryset.filter(**{indicator.jurisdiction_field: jurisdiction})


def unknown_notes(year: int, values: dict[str, dict[str, Value]]) -> dict[str, dict[str, str]]:
    """``{code: {scope: why}}`` for every unknown value of an indicator that can say why."""
    notes = {}
    for code, by_scope in values.items():
        indicator = get(code)
        missing = [scope for scope, value in by_scope.items() if value is None]
        if missing and indicator.unknown_note is not None:
            notes[code] = indicator.unknown_note(year, missing)
    return notes
