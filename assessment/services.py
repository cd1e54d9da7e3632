"""Writes of the assessment: indicator rollups, targets, the statistics bureau's published value-added
(entered or imported), the action plans, the rule that counts new HTEs, the weekly watch-list
reminder and the daily reminder of overdue items. (The plan's registers have their own services in
``registers/``.)

Every service checks ``by``'s right itself (``ASSESSMENT_MANAGE``: the tech bureau, the administrator,
or the nightly tasks acting as the system).

A rollup computes every indicator for every jurisdiction and the city with database aggregates
(:mod:`assessment.indicators`) and upserts one snapshot per (scope, year, indicator): a rerun or a
retried task writes the same values again (only ``computed_at`` moves), so a worker killed half-way
loses nothing. At most one rollup of a year is pending or running (a partial unique constraint).
A write that changes what an indicator reads (published figures, the counting rule) rewrites that
indicator's snapshots of the years that have snapshots, in its own transaction, so the pages that read
snapshots agree with it at once.
"""

import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import today as portal_today
from anyang_hte.core.errors import DomainError, full_clean
from anyang_hte.core.guards import CITY_LEVEL, guard
from anyang_hte.core.jobs import claim, enqueue, heartbeat, mark_refused
from anyang_hte.core.models import DeadlineReminder, Jurisdiction, User
from anyang_hte.core.money import CENT
from anyang_hte.core.notifications import Message, notify_many
from anyang_hte.core.roles import Right, Role, SystemActor, person
from anyang_hte.core.workdays import Deadlines

from . import deadlines as overdue
from . import indicators, selectors
from .indicators import INDICATORS, Indicator
from .models import CITY_SCOPE, CountingRule, IndicatorSnapshot, Plan, PublishedValueAdded, RollupRun, Target
from .watchlists import WATCHLISTS, counts_by_jurisdiction

logger = logging.getLogger(__name__)

ACTIVE = (RollupRun.Status.PENDING, RollupRun.Status.RUNNING)
STEPS = len(INDICATORS) + 1  # one per indicator, then the counts beside them (``rollup_counts``)
STALE_AFTER = datetime.timedelta(minutes=30)
MIN_YEAR = 2017  # the policy took effect on 2017-12-29


def _check_right(by, reason: str | None = None) -> None:
    guard(
        by,
        Right.ASSESSMENT_MANAGE,
        jurisdiction_id=CITY_LEVEL,
        reason=reason or _("您没有设定考核目标和汇总指标的权限。"),
    )


def check_year(year: int) -> int:
    year, last = int(year), portal_today().year + 1
    if not MIN_YEAR <= year <= last:
        raise DomainError(
            _("年度应在 %(first)s 到 %(last)s 之间。") % {"first": MIN_YEAR, "last": last}, field="year"
        )
    return year


# --- rollup -------------------------------------------------------------------------------------


def rollup_indicator(
    indicator: Indicator, *, year: int, among: Sequence[Jurisdiction]
) -> tuple[int, dict[str, Decimal | None]]:
    """Compute one indicator for every jurisdiction and the city and upsert its snapshots.

    Returns (snapshots written, values). A share with no denominator gets no snapshot (and loses an
    earlier one: the number is unknown now).
    """
    values = indicators.evaluate(indicator, year, among=among)
    now = timezone.now()
    rows = [
        IndicatorSnapshot(scope=scope, year=year, indicator=indicator.code, value=value, computed_at=now)
        for scope, value in values.items()
        if value is not None
    ]
    unknown = [scope for scope, value in values.items() if value is None]
    if rows:
        IndicatorSnapshot.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["scope", "year", "indicator"],
            update_fields=["value", "computed_at"],
        )
    if unknown:
        IndicatorSnapshot.objects.filter(year=year, indicator=indicator.code, scope__in=unknown).delete()
    return len(rows), values


def rollup_counts(*, year: int, among: Sequence[Jurisdiction]) -> int:
    """Count what the assessment pages show beside the indicators and store it as the year's snapshot
    rows under ``selectors.READINESS_PREFIX`` / ``ROUND_PREFIX`` (replacing the year's earlier ones):
    the planned applicants by readiness verdict (the current year's only: the verdict is for this
    year's application) and the year's application round. Returns the rows written."""
    now = timezone.now()
    rows: dict[str, dict[str, int]] = {}
    if year == portal_today().year:
        codes = {j.pk: j.code for j in among}
        for pk, by_verdict in selectors.readiness_counts(year, list(codes)).items():
            for key, n in by_verdict.items():
                rows.setdefault(selectors.READINESS_PREFIX + key, {})[codes[pk]] = n
    rows |= selectors.round_tally_rows(year, among) or {}
    with transaction.atomic():
        IndicatorSnapshot.objects.filter(year=year).filter(
            Q(indicator__startswith=selectors.READINESS_PREFIX)
            | Q(indicator__startswith=selectors.ROUND_PREFIX)
        ).delete()
        IndicatorSnapshot.objects.bulk_create(
            IndicatorSnapshot(scope=scope, year=year, indicator=code, value=n, computed_at=now)
            for code, by_scope in rows.items()
            for scope, n in by_scope.items()
        )
    return sum(len(by_scope) for by_scope in rows.values())


def rollup_year_sync(*, year: int, by) -> dict:
    """Roll up a year in this process, without a RollupRun (the management command, as the system).

    Returns ``{"year", "snapshots": int, "seconds": float, "values": {code: {scope: value}}}``.
    """
    _check_right(by)
    year = check_year(year)
    started = time.perf_counter()
    among = indicators.jurisdictions()
    written, values = 0, {}
    for indicator in INDICATORS:
        count, values[indicator.code] = rollup_indicator(indicator, year=year, among=among)
        written += count
    written += rollup_counts(year=year, among=among)
    return {"year": year, "snapshots": written, "seconds": time.perf_counter() - started, "values": values}


def _expire_stale(year: int) -> int:
    """Mark FAILED a run of ``year`` still pending or running with no sign of life for STALE_AFTER
    (no heartbeat; before heartbeats, since it was queued or started): a new rollup may then replace
    it. (The stale-run sweeper, every minute, queues such a run again long before this.)"""
    now = timezone.now()
    cutoff = now - STALE_AFTER
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    stale = silent & (
        Q(status=RollupRun.Status.RUNNING, started_at__lt=cutoff)
        | Q(status=RollupRun.Status.PENDING, created_at__lt=cutoff)
    )
    minutes = int(STALE_AFTER.total_seconds() // 60)
    return RollupRun.objects.filter(stale, year=year).update(
        status=RollupRun.Status.FAILED,
        finished_at=now,
        error=_("stale：超过 %(minutes)s 分钟未完成，已由新的汇总取代。") % {"minutes": minutes},
    )


def _already_running(run: RollupRun) -> RollupRun:
    run.is_new = False
    run.message = _("%(year)s 年度的指标正在汇总（%(status)s，%(percent)s%%），请稍候。") % {
        "year": run.year,
        "status": run.get_status_display(),
        "percent": run.percent,
    }
    return run


def rollup_start(*, year: int, by) -> RollupRun:
    """Queue a rollup of ``year``; the task starts after commit.

    ``by`` is the requesting user or the system (the nightly beat task); either needs ASSESSMENT_MANAGE.
    If a rollup of the year is already pending or running, that run is returned instead.
    The returned run carries ``is_new`` (bool) and ``message`` (for the page).
    """
    _check_right(by)
    return _queue(year=check_year(year), by=by, requested_by=person(by))


def _queue(*, year: int, by, requested_by, data: dict | None = None, quiet: bool = False) -> RollupRun:
    """Queue a rollup of ``year`` (or return the one pending or running); ``by`` has been checked.
    ``quiet``: a broker that refuses the task fails the run without raising (a page being read)."""
    from .tasks import rollup_indicators_task  # tasks import this module

    with transaction.atomic():
        _expire_stale(year)
        active = RollupRun.objects.filter(year=year, status__in=ACTIVE).first()
        if active is not None:
            return _already_running(active)
        try:
            with transaction.atomic():  # a savepoint: the partial unique constraint settles a race
                run = RollupRun.objects.create(
                    year=year,
                    requested_by=requested_by,
                    steps_total=STEPS,
                    heartbeat_at=timezone.now(),
                )
        except IntegrityError:
            active = RollupRun.objects.filter(year=year, status__in=ACTIVE).first()
            if active is None:
                raise
            return _already_running(active)
        audit_log(run, "assessment.rollup.started", by=by, data={"year": year, **(data or {})})
        # after commit; if the broker cannot take it, the run is failed and the caller told at once
        enqueue(rollup_indicators_task, run.pk, on_refused=mark_refused(RollupRun, run.pk), quiet=quiet)
    run.is_new = True
    run.message = _("已开始汇总 %(year)s 年度指标。") % {"year": year}
    return run


def _claim(run_id: int) -> str | None:
    """Set the run RUNNING from the start for this execution; return its token (None: not taken).

    A pending run is taken, and a running one whose heartbeat is stale (its worker died); a running run
    with a live heartbeat is another execution's (a duplicate delivery does nothing). A FAILED run is
    taken up again (a retried task) unless another rollup of its year is active meanwhile; a DONE run
    is left alone."""
    try:
        with transaction.atomic():
            return claim(
                RollupRun.objects.filter(pk=run_id),
                also=Q(status=RollupRun.Status.FAILED),
                started_at=timezone.now(),
                finished_at=None,
                steps_total=STEPS,
                steps_done=0,
                error="",
            )
    except IntegrityError:
        return None


def rollup_run(*, run_id: int) -> RollupRun:
    """Run a queued rollup: one step per indicator and one for the counts beside them, progress saved
    after each.

    It takes no ``by``: it carries out a run that ``rollup_start`` admitted (the run records who asked),
    and writes only snapshots computed from the stored rows.

    Safe to run again for the same run (a redelivered or requeued task starts over and upserts the
    same values). Each step beats the run's heartbeat; a run superseded meanwhile (marked stale, or
    taken over by another execution after its heartbeat went stale) stops at its next step. On an error
    the run is FAILED with the message and the error is raised again (the task retries database errors).
    """
    token = _claim(run_id)
    if token is None:
        return RollupRun.objects.get(pk=run_id)
    run = RollupRun.objects.get(pk=run_id)
    this_run = RollupRun.objects.filter(pk=run_id)
    running = this_run.filter(status=RollupRun.Status.RUNNING, claim=token)
    pause = settings.ROLLUP_STEP_PAUSE_SECONDS
    try:
        among = indicators.jurisdictions()
        steps = [
            *(
                lambda indicator=indicator: rollup_indicator(indicator, year=run.year, among=among)
                for indicator in INDICATORS
            ),
            lambda: rollup_counts(year=run.year, among=among),
        ]
        for step in steps:
            step()
            if pause:
                time.sleep(pause)
            if not heartbeat(this_run, token, steps_done=F("steps_done") + 1):
                logger.warning("rollup %s of %s superseded; stopping", run_id, run.year)
                run.refresh_from_db()
                return run
    except Exception as exc:
        logger.exception("rollup %s of %s failed", run_id, run.year)
        try:
            running.update(status=RollupRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        except DatabaseError:  # the connection itself is gone; the retry will claim the run again
            logger.warning("could not mark rollup %s failed", run_id)
        raise
    running.update(status=RollupRun.Status.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    return run


def shown_years(today: datetime.date | None = None) -> list[int]:
    """The years the pages show by default and keep fresh: the dashboard's trend window ending this year
    (``dashboard.TREND_YEARS``), from the first year a rollup takes."""
    today = today or portal_today()
    return list(range(max(MIN_YEAR, today.year - selectors.TREND_YEARS + 1), today.year + 1))


def rollup_nightly(*, by, today: datetime.date | None = None) -> list[RollupRun]:
    """The nightly rollup: one job per year of the trend window ending this year (``shown_years``), so
    the recent years' late entries (a certificate entered late, a reward of last year paid this year)
    reach the pages by the next morning. An older year keeps the snapshot taken after its end; a page
    that shows one without any queues it (``rollup_missing``)."""
    return [rollup_start(year=year, by=by) for year in shown_years(today)]


def rollup_missing(*, years: Iterable[int], by) -> list[RollupRun]:
    """Queue a rollup of each of ``years`` a page is showing whose snapshots are missing, incomplete or
    stale (or return the run already pending or running): the page reads snapshots only and says the
    year is being computed.

    ``by`` is the reader: anyone with ``ASSESSMENT_VIEW`` (a county official on the county's own page
    too). It does not give them the right to run a rollup (``rollup_start``): a year whose snapshots are
    complete and fresh is never queued again here. The run is the portal's own (the audit row's actor
    is the system, naming the page's reader; ``requested_by`` is the reader), the same job the nightly
    task queues. Years a rollup cannot take (before 2017, after next year) are skipped. A broker that
    refuses the task fails the run without raising: the page still shows what exists, the bar failed.
    """
    guard(by, Right.ASSESSMENT_VIEW, jurisdiction_id=CITY_LEVEL, reason=_("您没有查看考核指标的权限。"))
    last = portal_today().year + 1
    wanted = sorted({int(y) for y in years if MIN_YEAR <= int(y) <= last})
    if not wanted:
        return []
    read = selectors.years_values(wanted, codes=indicators.CODES)
    actor = SystemActor(f"rollup_missing (page of user {by.pk})")
    return [
        _queue(
            year=year,
            by=actor,
            requested_by=person(by),
            data={"reason": "missing", "reader": by.pk},
            quiet=True,
        )
        for year in wanted
        if read[year][1] != selectors.SNAPSHOT or not selectors.counts_taken(year)
    ]


# --- targets and value-added ----------------------------------------------------------------------


def largest_remainder(total: int, weights: Sequence[tuple[object, Decimal | int]]) -> dict[object, int]:
    """Split the whole number ``total`` over the keys in proportion to their weights; the parts are
    whole numbers adding up to ``total`` exactly (largest remainder). Ties go to the earlier key."""
    weight_sum = sum((Fraction(w) for _key, w in weights), Fraction(0))
    if total < 0 or weight_sum <= 0 or any(Fraction(w) < 0 for _key, w in weights):
        raise DomainError(_("分解目标需要非负的总数和正的权重。"))
    quotas = [(key, Fraction(total) * Fraction(w) / weight_sum) for key, w in weights]
    parts = {key: int(quota) for key, quota in quotas}  # floor: quotas are non-negative
    left = total - sum(parts.values())
    by_remainder = sorted(range(len(quotas)), key=lambda i: -(quotas[i][1] - int(quotas[i][1])))
    for i in by_remainder[:left]:
        parts[quotas[i][0]] += 1
    return parts


def _target_indicator(code: str) -> Indicator:
    try:
        indicator = indicators.get(code)
    except KeyError:
        raise DomainError(_("未知的指标：%(code)s") % {"code": code}, field="indicator") from None
    return indicator


def _save_target(*, jurisdiction, year, indicator, value, by, action, data) -> Target:
    old = Target.objects.filter(jurisdiction=jurisdiction, year=year, indicator=indicator).first()
    target, _created = Target.objects.update_or_create(
        jurisdiction=jurisdiction,
        year=year,
        indicator=indicator,
        defaults={"value": value, "set_by": person(by)},
    )
    audit_log(
        target,
        action,
        by=by,
        data={
            "jurisdiction": jurisdiction.code,
            "year": year,
            "indicator": indicator,
            "value": str(value),
            "previous": str(old.value) if old else None,
            **data,
        },
    )
    return target


@transaction.atomic
def target_set(*, jurisdiction: Jurisdiction, year: int, indicator: str, value, by) -> Target:
    """Set one jurisdiction's target for an indicator and year (create or replace)."""
    _check_right(by)
    year = check_year(year)
    _target_indicator(indicator)
    value = Decimal(value)
    if value < 0:
        raise DomainError(_("目标值不能为负数。"), field="value")
    return _save_target(
        jurisdiction=jurisdiction,
        year=year,
        indicator=indicator,
        value=value,
        by=by,
        action="assessment.target.set",
        data={},
    )


def default_weights() -> list[tuple[Jurisdiction, int]]:
    """Each jurisdiction's valid HTEs today, plus one (so that none gets nothing by default)."""
    among = indicators.jurisdictions()
    valid = indicators.evaluate("valid_hte", portal_today().year, among=among)
    return [(j, int(valid[j.code]) + 1) for j in among]


@transaction.atomic
def targets_spread(
    *,
    year: int,
    indicator: str,
    city_total,
    by,
    weights: Mapping[str, Decimal | int] | None = None,
) -> list[Target]:
    """Spread a city total (e.g. the 80 new HTEs) over the jurisdictions as whole numbers that add up
    to it exactly, in proportion to ``weights`` ({jurisdiction code: weight}; by default each
    jurisdiction's current valid HTEs + 1). Writes (replaces) one target per jurisdiction."""
    _check_right(by)
    year = check_year(year)
    if not _target_indicator(indicator).additive:
        raise DomainError(_("比例类指标不能按县区分解。"), field="indicator")
    total = Decimal(city_total)
    if total != total.to_integral_value() or total < 0:
        raise DomainError(_("分解的全市目标应为非负整数。"), field="city_total")
    if weights is None:
        pairs = default_weights()
    else:
        among = indicators.jurisdictions()
        unknown = set(weights) - {j.code for j in among}
        if unknown:
            raise DomainError(_("未知的县区代码：%(codes)s") % {"codes": ", ".join(sorted(unknown))})
        pairs = [(j, weights.get(j.code, 0)) for j in among]
    parts = largest_remainder(int(total), pairs)
    return [
        _save_target(
            jurisdiction=jurisdiction,
            year=year,
            indicator=indicator,
            value=Decimal(parts[jurisdiction]),
            by=by,
            action="assessment.target.spread",
            data={"city_total": int(total), "weight": str(weight)},
        )
        for jurisdiction, weight in pairs
    ]


# --- the statistics bureau's published value-added ---------------------------------------------

MAX_YUAN = Decimal(10) ** 16  # 18 digits, 2 decimal places


def _exact_yuan(value, field: str) -> Decimal | None:
    if value is None:
        return None
    value = Decimal(value)
    if value != value.quantize(CENT):
        raise DomainError(_("金额最多精确到分（万元后6位小数）。"), field=field)
    if value >= MAX_YUAN:
        raise DomainError(_("金额过大，请核对单位是否为万元。"), field=field)
    return value.quantize(CENT)


def validate_published(hightech, industrial, source: str) -> tuple[Decimal | None, Decimal | None, str]:
    """The published figures (exact yuan, None: not published) and their source, checked and cleaned;
    a ``DomainError`` naming the field otherwise. Shared by the page, the import's preview and the write."""
    hightech = _exact_yuan(hightech, "hightech_value_added")
    industrial = _exact_yuan(industrial, "industrial_value_added")
    if hightech is None and industrial is None:
        raise DomainError(_("请至少填写一项统计局公布的增加值。"), field="industrial_value_added")
    if industrial is not None and industrial <= 0:
        raise DomainError(_("规模以上工业增加值应大于零。"), field="industrial_value_added")
    if hightech is not None and hightech < 0:
        raise DomainError(_("高新技术产业增加值不能为负数。"), field="hightech_value_added")
    if hightech is not None and industrial is not None and hightech > industrial:
        raise DomainError(_("高新技术产业增加值不能大于规模以上工业增加值。"), field="hightech_value_added")
    source = (source or "").strip()
    if not source:
        raise DomainError(_("请填写数据来源（如统计公报或统计年鉴的名称）。"), field="source")
    if len(source) > 200:
        raise DomainError(_("数据来源最多200个字。"), field="source")
    return hightech, industrial, source


def _save_published(*, jurisdiction, year, hightech, industrial, source, by, action, data=None):
    """Create or replace one published row (no right check: the callers did it). Unchanged: no write."""
    hightech, industrial, source = validate_published(hightech, industrial, source)
    # no ordering: the model's is by the jurisdiction, and FOR UPDATE cannot lock an outer join
    locked = PublishedValueAdded.objects.select_for_update().order_by()
    old = locked.filter(jurisdiction=jurisdiction, year=year).first()
    new = {"hightech_value_added": hightech, "industrial_value_added": industrial, "source": source}
    if old is not None and all(getattr(old, name) == value for name, value in new.items()):
        return old, False
    previous = {name: getattr(old, name) for name in new} if old else None
    record = old or PublishedValueAdded(jurisdiction=jurisdiction, year=year)
    for name, value in new.items():
        setattr(record, name, value)
    record.entered_by, record.entered_at = person(by), timezone.now()
    record.save()
    audit_log(
        record,
        action,
        by=by,
        data={
            "scope": jurisdiction.code if jurisdiction else CITY_SCOPE,
            "year": year,
            **_as_text(new),
            "previous": None if previous is None else _as_text(previous),
            **(data or {}),
        },
    )
    return record, True


def _as_text(values: dict) -> dict:
    return {name: None if value is None else str(value) for name, value in values.items()}


@transaction.atomic
def published_value_added_set(
    *,
    jurisdiction: Jurisdiction | None,
    year: int,
    hightech_value_added: Decimal | None,
    industrial_value_added: Decimal | None,
    source: str,
    by,
) -> PublishedValueAdded:
    """Enter the statistics bureau's published figures of ``year`` (exact yuan) for a jurisdiction, or for
    the whole city (``jurisdiction=None``: its own publication, never the counties' sum).

    Both figures are stored as given (None: not published); at least one is needed, with its source. The
    row records who entered it and when, and every change is in the audit log with the previous values.
    """
    guard(
        by,
        Right.ASSESSMENT_MANAGE,
        jurisdiction_id=jurisdiction.pk if jurisdiction is not None else CITY_LEVEL,
        reason=_("您没有录入统计局公布数据的权限。"),
    )
    year = check_year(year)
    record, changed = _save_published(
        jurisdiction=jurisdiction,
        year=year,
        hightech=hightech_value_added,
        industrial=industrial_value_added,
        source=source,
        by=by,
        action="assessment.published_value_added.set",
    )
    if changed:
        _refresh_snapshots(["hte_value_added_share"], years=[year])
    return record


@transaction.atomic
def published_value_added_import(*, plan, by) -> dict[str, int]:
    """Write an import planned by :func:`assessment.importers.plan_published_import`: the whole file or
    nothing. Refused while the plan has errors; a row the service refuses names its row number.

    Returns ``{"created", "updated", "unchanged"}``.
    """
    _check_right(by, _("您没有导入统计局公布数据的权限。"))
    if plan.errors:
        raise DomainError(_("文件中有错误，未写入任何数据。"))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    years = set()
    for row in plan.rows:
        year = check_year(row.year)
        existed = PublishedValueAdded.objects.filter(jurisdiction=row.jurisdiction, year=year).exists()
        try:
            _record, changed = _save_published(
                jurisdiction=row.jurisdiction,
                year=year,
                hightech=row.hightech_value_added,
                industrial=row.industrial_value_added,
                source=row.source,
                by=by,
                action="assessment.published_value_added.imported",
                data={"file": plan.filename, "row": row.row},
            )
        except DomainError as exc:
            raise DomainError(
                _("第%(row)d行：%(message)s") % {"row": row.row, "message": exc.message}
            ) from None
        counts["unchanged" if not changed else "updated" if existed else "created"] += 1
        if changed:
            years.add(year)
    _refresh_snapshots(["hte_value_added_share"], years=years)
    return counts


def _refresh_snapshots(codes: Sequence[str], *, years: Iterable[int] | None = None) -> None:
    """Rewrite the snapshots of ``codes`` for those of ``years`` (None: all) that have snapshots, so the
    pages reading them agree with the data just changed. Years without snapshots are left to a rollup."""
    snapshots = IndicatorSnapshot.objects.all()
    if years is not None:
        snapshots = snapshots.filter(year__in=list(years))
    kept = sorted(set(snapshots.values_list("year", flat=True)))
    if not kept:
        return
    among = indicators.jurisdictions()
    for year in kept:
        for code in codes:
            rollup_indicator(indicators.get(code), year=year, among=among)


# --- the action plans and the counting rule ----------------------------------------------------

RULE_PK = 1  # the counting rule is one row

PLAN_FIELDS = (
    "name",
    "document_number",
    "first_year",
    "last_year",
    "goal_new_hte",
    "goal_valid_hte",
    "goal_valid_hte_exceeds",
    "goal_share",
    "zone",
)
LONGEST_PLAN = 20  # years


def _check_plan(plan: Plan) -> None:
    plan.name, plan.document_number = (plan.name or "").strip(), (plan.document_number or "").strip()
    if not plan.name:
        raise DomainError(_("请填写计划名称。"), field="name")
    if not plan.document_number:
        raise DomainError(_("请填写文号，如 安政办〔2017〕100号。"), field="document_number")
    if plan.first_year is None or not MIN_YEAR <= plan.first_year <= portal_today().year + LONGEST_PLAN:
        raise DomainError(
            _("起始年度应在 %(first)s 到 %(last)s 之间。")
            % {"first": MIN_YEAR, "last": portal_today().year + LONGEST_PLAN},
            field="first_year",
        )
    if plan.last_year is None or not plan.first_year <= plan.last_year < plan.first_year + LONGEST_PLAN:
        raise DomainError(
            _("截止年度应不早于起始年度，且计划不超过%(n)d年。") % {"n": LONGEST_PLAN}, field="last_year"
        )
    if plan.goal_share is not None and not 0 <= plan.goal_share <= 100:
        raise DomainError(_("占比目标应在 0 到 100 之间。"), field="goal_share")
    others = Plan.objects.exclude(pk=plan.pk)
    if others.filter(document_number=plan.document_number).exists():
        raise DomainError(
            _("已有文号为 %(number)s 的计划。") % {"number": plan.document_number}, field="document_number"
        )
    overlap = others.filter(first_year__lte=plan.last_year, last_year__gte=plan.first_year).first()
    if overlap is not None:
        raise DomainError(
            _("与《%(name)s》（%(number)s，%(first)s—%(last)s年）的年度重叠：同一年度只能属于一个计划。")
            % {
                "name": overlap.name,
                "number": overlap.document_number,
                "first": overlap.first_year,
                "last": overlap.last_year,
            },
            field="first_year",
        )
    full_clean(plan, exclude=["created_by"], validate_unique=False, validate_constraints=False)


def _plan_data(plan: Plan) -> dict:
    data = {name: getattr(plan, name) for name in PLAN_FIELDS if name != "zone"}
    data["goal_share"] = None if plan.goal_share is None else str(plan.goal_share)
    data["zone"] = plan.zone.code if plan.zone_id else None
    return data


@transaction.atomic
def plan_create(
    *,
    name: str,
    document_number: str,
    first_year: int,
    last_year: int,
    goal_new_hte: int | None = None,
    goal_valid_hte: int | None = None,
    goal_valid_hte_exceeds: bool = False,
    goal_share: Decimal | None = None,
    zone: Jurisdiction | None = None,
    by,
) -> Plan:
    """Add an action plan (its years and goals) for the dashboard's plan panel."""
    _check_right(by, _("您没有维护行动计划的权限。"))
    plan = Plan(
        name=name,
        document_number=document_number,
        first_year=first_year,
        last_year=last_year,
        goal_new_hte=goal_new_hte,
        goal_valid_hte=goal_valid_hte,
        goal_valid_hte_exceeds=goal_valid_hte_exceeds,
        goal_share=goal_share,
        zone=zone,
        created_by=person(by),
    )
    _check_plan(plan)
    plan.save()
    audit_log(plan, "assessment.plan.created", by=by, data=_plan_data(plan))
    return plan


@transaction.atomic
def plan_update(*, plan: Plan, by, **changes) -> Plan:
    """Correct a plan's name, document number, years, goals or zone (``changes``: PLAN_FIELDS)."""
    _check_right(by, _("您没有维护行动计划的权限。"))
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise DomainError(_("不能修改：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    before = _plan_data(plan)
    for name, value in changes.items():
        setattr(plan, name, value)
    _check_plan(plan)
    after = _plan_data(plan)
    if after == before:
        return plan
    plan.save()
    changed = {
        name: {"from": before[name], "to": after[name]} for name in PLAN_FIELDS if before[name] != after[name]
    }
    audit_log(plan, "assessment.plan.updated", by=by, data={"changes": changed})
    return plan


@transaction.atomic
def counting_rule_set(*, recertification_is_new: bool, by) -> CountingRule:
    """Set how the indicators count new HTEs: whether a re-certification after a lapse is new in the year
    it is certified (the default) or only a firm's first HTE is. A certificate brought in by a firm that
    moved to Anyang is never new either way. The new-HTE snapshots of every rolled-up year are rewritten.
    """
    _check_right(by, _("您没有修改指标统计口径的权限。"))
    stored = CountingRule.objects.select_for_update().order_by("pk").first()
    rule = stored or CountingRule(pk=RULE_PK)  # one row (two first writes collide on its key)
    previous = rule.recertification_is_new
    if previous == bool(recertification_is_new):
        return rule
    rule.recertification_is_new, rule.updated_by = bool(recertification_is_new), person(by)
    rule.save()
    audit_log(
        rule,
        "assessment.counting_rule.set",
        by=by,
        data={"recertification_is_new": rule.recertification_is_new, "previous": previous},
    )
    _refresh_snapshots(["new_hte"])
    return rule


# --- the weekly reminder -------------------------------------------------------------------------


def watchlists_notify(*, by, today: datetime.date | None = None) -> int:
    """Tell each county's officials the sizes of its watch lists; one message per county with any.

    ``by`` is the weekly task (the system) or the tech bureau. A county whose lists are all empty
    is told nothing. Returns the number of counties told.
    """
    _check_right(by)
    today = today or portal_today()
    counts = counts_by_jurisdiction(today=today, user=by)
    officials: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        role=Role.COUNTY_OFFICIAL, is_active=True, jurisdiction_id__in=list(counts)
    ).order_by("pk"):
        officials[user.jurisdiction_id].append(user)
    names = dict(Jurisdiction.objects.filter(pk__in=list(counts)).values_list("pk", "name"))
    url = reverse("assessment:watchlists")
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for juris_id in sorted(counts, key=lambda pk: names.get(pk, "")):
            numbers = counts[juris_id]
            if not any(numbers.values()) or not officials.get(juris_id):
                continue
            title = _("%(name)s本周预警：%(summary)s") % {
                "name": names[juris_id],
                "summary": "，".join(f"{WATCHLISTS[code].short} {n}" for code, n in numbers.items() if n),
            }
            body = "\n".join(
                [
                    _("截至%(day)s，%(name)s的预警清单：")
                    % {"day": f"{today:%Y-%m-%d}", "name": names[juris_id]}
                ]
                + [
                    _("· %(label)s：%(n)d 条") % {"label": WATCHLISTS[code].label, "n": n}
                    for code, n in numbers.items()
                ]
                + [_("请登录平台查看清单并跟进处理。")]
            )
            messages.append(Message(users=officials[juris_id], title=title, body=body, url=url))
    notify_many(messages)
    return len(messages)


@transaction.atomic
def deadline_reminders_send(*, by, today: datetime.date | None = None) -> int:
    """Tell each owner of an overdue item (``assessment.deadlines``) once today: one message (portal and
    e-mail) per owner and kind, listing the items. A (user, kind) already reminded today is skipped, so
    running it again the same day sends nothing; an item done is no longer overdue and no longer named.

    ``by`` is the daily task (the system) or the tech bureau running it by hand. Returns the messages sent.
    """
    _check_right(by, _("您没有发送超期提醒的权限。"))
    deadlines = Deadlines.load(today or portal_today())
    day = deadlines.today
    with translation.override(settings.LANGUAGE_CODE):
        due = overdue.reminders_due(deadlines, by=by)
        sent = set(
            DeadlineReminder.objects.filter(day=day, user_id__in=[r.user.pk for r in due]).values_list(
                "user_id", "code"
            )
        )
        due = [r for r in due if (r.user.pk, r.kind.code) not in sent]
        messages = []
        for reminder in due:
            title, body = overdue.reminder_text(reminder)
            messages.append(Message(users=[reminder.user], title=title, body=body, url=reminder.url))
        notifications = notify_many(messages)
    by_user = {n.user_id: [] for n in notifications}
    for n in notifications:
        by_user[n.user_id].append(n)
    DeadlineReminder.objects.bulk_create(
        [
            DeadlineReminder(
                user=r.user,
                code=r.kind.code,
                day=day,
                items=r.items,
                notification=by_user[r.user.pk].pop(0) if by_user.get(r.user.pk) else None,
            )
            for r in due
        ]
    )
    return len(due)
