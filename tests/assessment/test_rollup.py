"""The rollup: snapshots equal to the live table, idempotent reruns, one active run per year,
stale runs, progress, retries of the Celery task, the nightly task, the rollup a page queues for a year
it shows without snapshots, and the management command."""

import datetime
import re
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from anyang_hte.celery import app as celery_app
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role, SystemActor
from assessment import indicators, selectors, services, tasks
from assessment.indicators import INDICATORS
from assessment.models import IndicatorSnapshot, PublishedValueAdded, RollupRun
from tests.factories import UserFactory, jurisdiction

from .test_indicators import BG, LZ, WF, YEAR, build_world

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("test")


@pytest.fixture
def manager():
    return UserFactory(username="reviewer_rollup", role=Role.TECH_REVIEWER, jurisdiction=None)


@pytest.fixture
def world():
    return build_world()


def snapshot_values(year=YEAR) -> dict[tuple[str, str], Decimal]:
    """The indicators' snapshots (not the counts stored beside them)."""
    rows = IndicatorSnapshot.objects.filter(year=year, indicator__in=indicators.CODES).order_by("pk")
    return {(s.scope, s.indicator): s.value for s in rows}


def table_numbers(rows) -> list[tuple]:
    return [(row["scope"], row["values"], row["targets"], row["progress"], row["rank"]) for row in rows]


def start(year, by, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.rollup_start(year=year, by=by)


def test_rollup_writes_snapshots_equal_to_the_live_table(world, manager, django_capture_on_commit_callbacks):
    services.target_set(jurisdiction=jurisdiction(WF), year=YEAR, indicator="new_hte", value=2, by=manager)
    assert selectors.snapshot_table(YEAR) is None
    assert {row["source"] for row in selectors.indicator_table(YEAR)} == {"computing"}
    assert all(v is None for v in selectors.indicator_table(YEAR)[0]["values"].values())  # nothing live
    live = selectors.live_table(YEAR)
    assert {row["source"] for row in live} == {"live"}

    run = start(YEAR, manager, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status == RollupRun.Status.DONE and run.percent == 100
    assert run.steps_done == run.steps_total == len(INDICATORS) + 1  # the indicators, then the counts
    assert run.requested_by == manager and run.started_at and run.finished_at

    snapshot = selectors.snapshot_table(YEAR)
    assert snapshot is not None and {row["source"] for row in snapshot} == {"snapshot"}
    assert table_numbers(snapshot) == table_numbers(live)
    assert table_numbers(selectors.indicator_table(YEAR)) == table_numbers(live)
    assert [row["scope"] for row in live][-1] == "city" and len(live) == 12

    wf = next(row for row in snapshot if row["scope"] == WF)
    assert wf["values"]["new_hte"] == 1 and wf["targets"]["new_hte"] == 2 and wf["progress"]["new_hte"] == 50
    assert wf["rank"] == {"new_hte": 1, "valid_hte": 1}
    assert [c["code"] for c in wf["cells"]] == indicators.CODES
    # an unknown share has no snapshot: 18 × 12, less 9 value-added shares (北关区's figure and the 8
    # jurisdictions without published figures), 9 helper shares (no ledger), 10 growths (none in 2023)
    assert len(INDICATORS) == 18
    assert len(snapshot_values()) == 18 * 12 - 9 - 9 - 10
    assert AuditLog.objects.filter(action="assessment.rollup.started", user=manager).count() == 1


def test_a_rerun_leaves_the_snapshots_unchanged(world, manager, django_capture_on_commit_callbacks):
    start(YEAR, manager, django_capture_on_commit_callbacks)
    before = snapshot_values()
    computed_before = max(IndicatorSnapshot.objects.values_list("computed_at", flat=True))
    ids_before = set(IndicatorSnapshot.objects.values_list("pk", flat=True))

    again = start(YEAR, manager, django_capture_on_commit_callbacks)
    again.refresh_from_db()
    assert again.status == RollupRun.Status.DONE
    assert snapshot_values() == before
    assert set(IndicatorSnapshot.objects.values_list("pk", flat=True)) == ids_before  # updated in place
    assert min(IndicatorSnapshot.objects.values_list("computed_at", flat=True)) > computed_before

    result = services.rollup_year_sync(by=SYSTEM, year=YEAR)  # the command's path writes the same numbers
    assert result["snapshots"] == len(before) and snapshot_values() == before


def test_a_second_start_while_one_is_active_returns_the_active_run(
    manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.rollup_start(year=YEAR, by=manager)
        second = services.rollup_start(year=YEAR, by=manager)
    assert len(callbacks) == 1  # one task queued
    assert first.is_new and not second.is_new and second.pk == first.pk
    assert "正在汇总" in second.message
    assert RollupRun.objects.filter(year=YEAR).count() == 1
    other_year = services.rollup_start(year=YEAR - 1, by=manager)
    assert other_year.is_new
    # the database refuses a second active run of the same year, whatever the code does
    with pytest.raises(IntegrityError), transaction.atomic():
        RollupRun.objects.create(year=YEAR, status=RollupRun.Status.RUNNING)


def test_a_stale_run_is_replaced(manager, django_capture_on_commit_callbacks):
    old = RollupRun.objects.create(
        year=YEAR, status=RollupRun.Status.RUNNING, started_at=timezone.now() - datetime.timedelta(minutes=31)
    )
    with django_capture_on_commit_callbacks(execute=False):
        run = services.rollup_start(year=YEAR, by=manager)
    old.refresh_from_db()
    assert run.is_new and run.pk != old.pk and run.status == RollupRun.Status.PENDING
    assert old.status == RollupRun.Status.FAILED and old.error.startswith("stale")
    # the old run's late task cannot take the year back while the new run is active
    assert services.rollup_run(run_id=old.pk).status == RollupRun.Status.FAILED
    assert services.rollup_run(run_id=run.pk).status == RollupRun.Status.DONE
    # a pending run that no worker picked up in 30 minutes is stale too
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    RollupRun.objects.filter(pk=run.pk).update(
        status=RollupRun.Status.PENDING, created_at=an_hour_ago, heartbeat_at=an_hour_ago
    )
    with django_capture_on_commit_callbacks(execute=False):
        newest = services.rollup_start(year=YEAR, by=manager)
    assert newest.is_new and RollupRun.objects.get(pk=run.pk).status == RollupRun.Status.FAILED


def test_only_assessment_managers_start_a_rollup(county_official):
    with pytest.raises(DomainError):
        services.rollup_start(year=YEAR, by=county_official)
    with pytest.raises(DomainError):
        services.rollup_start(year=1999, by=SYSTEM)
    assert not RollupRun.objects.exists()


def test_progress_is_saved_after_each_indicator(world):
    run = RollupRun.objects.create(year=YEAR)
    seen = []
    real = services.rollup_indicator

    def recording(indicator, **kwargs):
        current = RollupRun.objects.get(pk=run.pk)
        seen.append((current.status, current.steps_done, current.steps_total))
        return real(indicator, **kwargs)

    with mock.patch.object(services, "rollup_indicator", side_effect=recording):
        services.rollup_run(run_id=run.pk)
    n = len(INDICATORS) + 1  # a step per indicator, then the counts beside them (the last step)
    assert seen == [(RollupRun.Status.RUNNING, i, n) for i in range(n - 1)]
    run.refresh_from_db()
    assert (run.status, run.steps_done, run.percent) == (RollupRun.Status.DONE, n, 100)


def test_a_failure_marks_the_run_failed_and_a_retry_finishes_it(world):
    run = RollupRun.objects.create(year=YEAR)
    real = services.rollup_indicator
    calls = []

    def failing_third(indicator, **kwargs):
        calls.append(indicator.code)
        if len(calls) == 3:
            raise OperationalError("server closed the connection unexpectedly")
        return real(indicator, **kwargs)

    with mock.patch.object(services, "rollup_indicator", side_effect=failing_third):
        with pytest.raises(OperationalError):
            services.rollup_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RollupRun.Status.FAILED and run.steps_done == 2
    assert "server closed" in run.error and run.finished_at is not None

    services.rollup_run(run_id=run.pk)  # what the retried task does
    run.refresh_from_db()
    assert run.status == RollupRun.Status.DONE and run.error == "" and run.steps_done == len(INDICATORS) + 1
    assert snapshot_values() == {
        (scope, code): value
        for code, by_scope in indicators.evaluate_all(YEAR).items()
        for scope, value in by_scope.items()
        if value is not None
    }


def test_a_run_superseded_midway_stops(world):
    run = RollupRun.objects.create(year=YEAR)
    real = services.rollup_indicator

    def superseded_after_two(indicator, **kwargs):
        result = real(indicator, **kwargs)
        if indicator.code == INDICATORS[1].code:
            RollupRun.objects.filter(pk=run.pk).update(status=RollupRun.Status.FAILED, error="stale")
        return result

    with mock.patch.object(services, "rollup_indicator", side_effect=superseded_after_two):
        services.rollup_run(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.steps_done) == (RollupRun.Status.FAILED, 1)


def test_the_task_retries_on_a_lost_database_connection(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)  # let apply() run the retries
    run = RollupRun.objects.create(year=YEAR)
    calls = []
    real = services.rollup_run

    def flaky(*, run_id):
        calls.append(run_id)
        if len(calls) < 3:
            raise OperationalError("server closed the connection unexpectedly")
        return real(run_id=run_id)

    with mock.patch.object(tasks.services, "rollup_run", side_effect=flaky):
        result = tasks.rollup_indicators_task.apply(args=[run.pk])
    assert calls == [run.pk] * 3
    assert result.successful() and result.result == RollupRun.Status.DONE

    calls.clear()
    with mock.patch.object(tasks.services, "rollup_run", side_effect=ValueError("a bug")):
        result = tasks.rollup_indicators_task.apply(args=[run.pk])
    assert result.failed()  # not a database error: no retry

    always = mock.Mock(side_effect=OperationalError("down"))
    with mock.patch.object(tasks.services, "rollup_run", always):
        result = tasks.rollup_indicators_task.apply(args=[run.pk])
    assert result.failed() and always.call_count == 1 + 5  # max_retries=5
    opts = tasks.rollup_indicators_task
    assert opts.acks_late and opts.reject_on_worker_lost and opts.max_retries == 5
    assert OperationalError in opts.autoretry_for


def test_nightly_rolls_up_every_year_of_the_trend_window(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        runs = services.rollup_nightly(by=SYSTEM, today=datetime.date(2026, 6, 5))
        assert [r.year for r in runs] == [2022, 2023, 2024, 2025, 2026]  # TREND_YEARS, one job each
        assert all(r.is_new for r in runs)
        # the next night while they still run: the same runs, nothing queued twice
        again = services.rollup_nightly(by=SYSTEM, today=datetime.date(2026, 6, 5))
        assert [r.pk for r in again] == [r.pk for r in runs] and not any(r.is_new for r in again)
    assert len(queued) == 5
    assert services.shown_years(datetime.date(2019, 3, 1)) == [2017, 2018, 2019]  # not before 2017
    assert RollupRun.objects.count() == 5
    # The audit says the portal started them, not a person and not nobody.
    started = AuditLog.objects.filter(action="assessment.rollup.started")
    assert started.count() == 5 and all(e.user is None and e.data["system"] == "test" for e in started)
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["rollup-indicators-nightly"]
    assert entry["task"] == "assessment.tasks.rollup_current_year"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {0})


def test_a_share_whose_denominator_is_gone_loses_its_snapshot(world):
    services.rollup_year_sync(by=SYSTEM, year=YEAR)
    assert snapshot_values()[(LZ, "hte_value_added_share")] == Decimal("10")
    assert (BG, "hte_value_added_share") not in snapshot_values()  # its high-tech figure is unpublished
    PublishedValueAdded.objects.filter(jurisdiction=jurisdiction(LZ), year=YEAR).delete()
    services.rollup_year_sync(by=SYSTEM, year=YEAR)
    values = snapshot_values()
    assert (LZ, "hte_value_added_share") not in values
    assert values[("city", "hte_value_added_share")] == Decimal("15")  # the city's own figures, unchanged
    assert values[(WF, "hte_value_added_share")] == 20


def test_the_command_prints_the_table(world):
    out = StringIO()
    call_command("rollup_indicators", "--year", str(YEAR), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("2024")
    assert lines[1].split()[:2] == ["县区", "新认定高企"]
    assert len(lines) == 2 + 12 + 1
    # new, valid, tech SMEs, Little Giants, Leading, candidates, overdue milestones, paid (万元)
    assert lines[2].split() == ["文峰区", "1", "2", "1", "1", "1", "1", "3", "30.00"]
    assert lines[3].split() == ["北关区", "1", "2", "0", "0", "1", "1", "0", "50.00"]
    assert lines[-2].split() == ["全市", "2", "4", "1", "1", "2", "2", "3", "80.00"]
    assert re.fullmatch(r"rolled up 188 snapshots in \d+\.\d\ds", lines[-1])
    assert len(snapshot_values()) == 188


# --- the selectors the pages read ---------------------------------------------------------------


def test_table_rows_ranks_targets_and_scopes(world, manager):
    for code, value in ((WF, 4), (BG, 1)):
        services.target_set(
            jurisdiction=jurisdiction(code), year=YEAR, indicator="new_hte", value=value, by=manager
        )
    services.rollup_year_sync(by=SYSTEM, year=YEAR)
    rows = selectors.indicator_table(YEAR)
    by_scope = {row["scope"]: row for row in rows}
    assert [r["scope"] for r in rows][:3] == [WF, BG, "410505"] and rows[-1]["is_city"]
    assert by_scope[WF]["rank"] == {"new_hte": 1, "valid_hte": 1}
    assert by_scope[BG]["rank"] == {"new_hte": 1, "valid_hte": 1}  # ties share the rank
    assert by_scope[LZ]["rank"] == {"new_hte": 3, "valid_hte": 3}
    assert by_scope["city"]["rank"] == {"new_hte": None, "valid_hte": None}
    assert by_scope[WF]["progress"]["new_hte"] == Decimal("25.0")
    assert by_scope[BG]["progress"]["new_hte"] == Decimal("100.0")
    assert by_scope["city"]["targets"]["new_hte"] == 5 and by_scope["city"]["progress"]["new_hte"] == Decimal(
        "40.0"
    )
    assert by_scope[LZ]["targets"]["new_hte"] is None and by_scope[LZ]["progress"]["new_hte"] is None
    assert by_scope["city"]["name"] == "全市" and by_scope[WF]["name"] == "文峰区"
    only = selectors.indicator_table(YEAR, scopes=[BG, "city"])
    assert [r["scope"] for r in only] == [BG, "city"] and only[0]["rank"]["new_hte"] == 1


def test_trend_and_funnel(world):
    points = selectors.trend("new_hte", [2021, 2022, 2023, 2024])
    assert {p["source"] for p in points} == {"computing"} and {p["value"] for p in points} == {None}
    services.rollup_year_sync(by=SYSTEM, year=2024)
    assert [p["source"] for p in selectors.trend("new_hte", [2023, 2024])] == ["computing", "snapshot"]
    for year in (2021, 2022, 2023):
        services.rollup_year_sync(by=SYSTEM, year=year)
    points = selectors.trend("new_hte", [2021, 2022, 2023, 2024])
    assert [(p["year"], p["value"]) for p in points] == [(2021, 1), (2022, 0), (2023, 0), (2024, 2)]
    assert points[0]["values"][WF] == 1 and {p["source"] for p in points} == {"snapshot"}
    funnel = selectors.funnel(YEAR)
    assert [(f["code"], f["value"]) for f in funnel] == [
        ("tech_sme", 1),
        ("hte_candidates", 2),
        ("valid_hte", 4),
        ("little_giant", 1),
        ("leading", 2),
    ]
    assert str(funnel[0]["label"]) == "科技型中小企业"


def test_old_snapshots_of_a_running_year_are_shown_as_computing(world):
    this_year = timezone.localdate().year
    services.rollup_year_sync(by=SYSTEM, year=this_year)
    assert selectors.indicator_table(this_year)[0]["source"] == "snapshot"
    IndicatorSnapshot.objects.filter(year=this_year).update(
        computed_at=timezone.now() - datetime.timedelta(hours=27)
    )
    assert selectors.snapshot_table(this_year) is None
    stale = selectors.indicator_table(this_year)[0]
    assert stale["source"] == "computing" and stale["computed_at"] is not None  # shown while recomputed
    assert stale["values"]["valid_hte"] is not None

    # a closed year's snapshots taken after its end stay the record; taken during the year they age
    services.rollup_year_sync(by=SYSTEM, year=YEAR)
    IndicatorSnapshot.objects.filter(year=YEAR).update(
        computed_at=timezone.now() - datetime.timedelta(days=400)
    )
    assert selectors.indicator_table(YEAR)[0]["source"] == "snapshot"
    during = datetime.datetime(YEAR, 11, 1, 12, tzinfo=datetime.UTC)
    IndicatorSnapshot.objects.filter(year=YEAR).update(computed_at=during)
    assert selectors.indicator_table(YEAR)[0]["source"] == "computing"
    # an incomplete set (a rollup stopped half-way the first time) is not used either
    IndicatorSnapshot.objects.filter(year=YEAR).update(computed_at=timezone.now())
    IndicatorSnapshot.objects.filter(year=YEAR, indicator="carriers").delete()
    assert selectors.snapshot_table(YEAR) is None


# --- the rollup a page queues for a year it shows without snapshots -----------------------------


def test_a_page_reader_queues_only_the_missing_years_as_the_system(world, django_capture_on_commit_callbacks):
    official = UserFactory(username="county_rollup", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction(WF))
    services.rollup_year_sync(by=SYSTEM, year=YEAR)  # complete and fresh: not queued again
    with django_capture_on_commit_callbacks(execute=False) as queued:
        runs = services.rollup_missing(years=[YEAR, YEAR - 1, YEAR - 1, 1999], by=official)
        assert [r.year for r in runs] == [YEAR - 1] and runs[0].is_new
        # asked again while it is pending: the same run, nothing queued
        again = services.rollup_missing(years=[YEAR - 1], by=official)
        assert [r.pk for r in again] == [runs[0].pk] and not again[0].is_new
    assert len(queued) == 1
    run = runs[0]
    assert run.requested_by == official
    # the portal runs it (the audit row's actor is the system, naming the reader), not the official
    audit = AuditLog.objects.get(action="assessment.rollup.started", object_id=str(run.pk))
    assert audit.user is None and audit.data["system"] == f"rollup_missing (page of user {official.pk})"
    assert audit.data["reason"] == "missing" and audit.data["reader"] == official.pk
    # which gives the official no right to start a rollup of their own
    with pytest.raises(DomainError):
        services.rollup_start(year=YEAR, by=official)
    # a stale year (the nightly job did not run) is queued too
    this_year = timezone.localdate().year
    services.rollup_year_sync(by=SYSTEM, year=this_year)
    with django_capture_on_commit_callbacks(execute=False):
        assert services.rollup_missing(years=[this_year], by=official) == []
        IndicatorSnapshot.objects.filter(year=this_year).update(
            computed_at=timezone.now() - datetime.timedelta(hours=27)
        )
        assert [r.year for r in services.rollup_missing(years=[this_year], by=official)] == [this_year]


def test_the_rollup_stores_the_readiness_and_round_counts(world):
    from applications.models import ApplicationRound, RoundEntry
    from tests.factories import EnterpriseFactory

    this_year = timezone.localdate().year
    ready = EnterpriseFactory(jurisdiction=jurisdiction(WF), planned_year=this_year, hte_ready=True)
    EnterpriseFactory(jurisdiction=jurisdiction(LZ), planned_year=this_year, hte_ready=None)
    day = timezone.localdate()
    round_ = ApplicationRound.objects.create(
        year=this_year,
        intention_deadline=day,
        recommendation_deadline=day,
        review_deadline=day,
        opened_at=timezone.now(),
    )
    RoundEntry.objects.create(round=round_, enterprise=ready, declared_at=timezone.now())
    assert selectors.application_readiness(this_year)["source"] == "computing"
    assert selectors.application_round(this_year) == (None, "computing")
    assert not selectors.counts_taken(this_year)

    services.rollup_year_sync(by=SYSTEM, year=this_year)
    readiness = selectors.application_readiness(this_year)
    assert readiness["source"] == "snapshot"
    by_scope = {r["scope"]: r for r in readiness["rows"]}
    assert (by_scope[WF]["ready"], by_scope[LZ]["unknown"], readiness["city"]["planned"]) == (1, 1, 2)
    numbers, source = selectors.application_round(this_year)
    assert source == "snapshot" and numbers.total.counts["intention"] == 1
    assert [r.counts["intention"] for r in numbers.rows if r.code == WF] == [1]
    assert selectors.counts_taken(this_year)
    # the same numbers as counted live by the round's own pages
    from applications.selectors import round_numbers

    live = round_numbers(this_year)
    assert [r.counts for r in numbers.rows] == [r.counts for r in live.rows]
