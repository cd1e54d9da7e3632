"""Runs and jobs survive a worker that dies: heartbeats, claims, and the stale-run sweeper."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from anyang_hte.core import jobs, services
from anyang_hte.core.models import ExportJob
from anyang_hte.core.roles import Role
from anyang_hte.core.tasks import run_export
from assessment import services as assessment_services
from assessment import tasks as assessment_tasks
from assessment.models import RollupRun
from tests.factories import EnterpriseFactory, UserFactory

YEAR = 2024


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


def test_a_second_delivery_while_the_run_is_alive_does_nothing(db):
    run = RollupRun.objects.create(year=YEAR, status=RollupRun.Status.RUNNING, heartbeat_at=timezone.now())
    with mock.patch.object(assessment_services, "rollup_indicator") as step:
        result = assessment_services.rollup_run(run_id=run.pk)
    assert step.call_count == 0 and result.status == RollupRun.Status.RUNNING


def test_a_run_whose_heartbeat_is_stale_is_taken_over_and_the_old_execution_stops(db, settings):
    run = RollupRun.objects.create(year=YEAR, status=RollupRun.Status.RUNNING, heartbeat_at=ago(minutes=6))
    old = jobs.claim(RollupRun.objects.filter(pk=run.pk))  # stale: the old execution is thought dead
    assert old
    new = jobs.claim(RollupRun.objects.filter(pk=run.pk))
    assert new is None  # its heartbeat is fresh now: nobody else takes it
    RollupRun.objects.filter(pk=run.pk).update(heartbeat_at=ago(minutes=6))
    new = jobs.claim(RollupRun.objects.filter(pk=run.pk))
    assert new and new != old
    assert not jobs.heartbeat(RollupRun.objects.filter(pk=run.pk), old)  # the superseded one is told
    assert jobs.heartbeat(RollupRun.objects.filter(pk=run.pk), new)


def test_the_sweeper_requeues_a_stale_run_and_the_requeued_run_completes(
    db, django_capture_on_commit_callbacks
):
    manager = UserFactory(username="sweep_mgr", role=Role.TECH_REVIEWER, jurisdiction=None)
    with django_capture_on_commit_callbacks(execute=False):
        run = assessment_services.rollup_start(year=YEAR, by=manager)  # never delivered
    fresh = RollupRun.objects.create(
        year=YEAR - 1, status=RollupRun.Status.RUNNING, heartbeat_at=timezone.now()
    )
    RollupRun.objects.filter(pk=run.pk).update(heartbeat_at=ago(minutes=6))

    with mock.patch.object(jobs, "publish") as publish:
        assert jobs.sweep_stale() == {"requeued": 1, "failed": 0}
    publish.assert_called_once_with(assessment_tasks.rollup_indicators_task, run.pk)
    run.refresh_from_db()
    assert run.status == RollupRun.Status.PENDING and run.attempts == 2 and run.heartbeat_at > ago(minutes=1)
    assert RollupRun.objects.get(pk=fresh.pk).attempts == 1  # alive: left alone

    assessment_tasks.rollup_indicators_task(run.pk)  # the requeued task
    run.refresh_from_db()
    assert run.status == RollupRun.Status.DONE and run.steps_done == run.steps_total


def test_after_the_last_attempt_the_run_fails_with_the_reason(db, settings):
    settings.JOBS_MAX_ATTEMPTS = 2
    run = RollupRun.objects.create(
        year=YEAR, status=RollupRun.Status.RUNNING, heartbeat_at=ago(minutes=6), attempts=2
    )
    with mock.patch.object(jobs, "publish") as publish:
        assert jobs.sweep_stale() == {"requeued": 0, "failed": 1}
    assert not publish.called
    run.refresh_from_db()
    assert run.status == RollupRun.Status.FAILED and "2 次中断" in run.error and run.finished_at


def test_a_run_from_before_heartbeats_is_judged_by_its_age(db):
    old = RollupRun.objects.create(year=YEAR, status=RollupRun.Status.PENDING)
    RollupRun.objects.filter(pk=old.pk).update(created_at=ago(minutes=10))
    RollupRun.objects.create(year=YEAR - 1, status=RollupRun.Status.PENDING)  # just queued
    with mock.patch.object(jobs, "publish") as publish:
        assert jobs.sweep_stale()["requeued"] == 1
    publish.assert_called_once_with(assessment_tasks.rollup_indicators_task, old.pk)


def test_the_sweeper_covers_export_jobs(db, _media, django_capture_on_commit_callbacks):
    from django.http import QueryDict

    county = UserFactory(username="sweep_cty", role=Role.COUNTY_OFFICIAL)
    EnterpriseFactory(jurisdiction=county.jurisdiction)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.export_job_create(by=county, kind="enterprises.ledger", fmt="csv", params=QueryDict())
    assert job.status == ExportJob.Status.PENDING and job.heartbeat_at
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, heartbeat_at=ago(minutes=6))
    with mock.patch.object(jobs, "publish") as publish:
        assert jobs.sweep_stale() == {"requeued": 1, "failed": 0}
    publish.assert_called_once_with(run_export, str(job.pk))
    assert run_export(str(job.pk)) == "done"
    assert run_export(str(job.pk)) == "done"  # a duplicate delivery leaves the finished job alone
    job.refresh_from_db()
    assert job.attempts == 2 and job.rows_done == 1 and job.file


def test_a_duplicate_export_delivery_while_it_runs_does_nothing(db, _media):
    county = UserFactory(username="dup_cty", role=Role.COUNTY_OFFICIAL)
    job = ExportJob.objects.create(
        user=county,
        kind="enterprises.ledger",
        fmt="csv",
        title="t",
        status="running",
        heartbeat_at=timezone.now(),
    )
    assert services.export_job_run(job_id=job.pk).status == ExportJob.Status.RUNNING
    assert not job.file


def test_the_sweeper_covers_import_jobs(db, _media, settings, django_capture_on_commit_callbacks):
    from anyang_hte.core import import_jobs
    from anyang_hte.core.models import ImportJob
    from anyang_hte.core.tasks import run_import
    from enterprises.import_jobs import LedgerImportJob
    from tests.enterprises.test_import_jobs import firms, template_file

    county = UserFactory(username="sweep_imp", role=Role.COUNTY_OFFICIAL)
    path = settings.MEDIA_ROOT / "ledger_imports" / "stale.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(template_file(firms(3)).getvalue())
    with django_capture_on_commit_callbacks(execute=False):
        job = import_jobs.import_job_create(
            by=county,
            kind=LedgerImportJob.kind,
            title="t",
            filename="台账.xlsx",
            stash=path,
            params={"jurisdiction": county.jurisdiction_id},
        )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, heartbeat_at=ago(minutes=6))
    with mock.patch.object(jobs, "publish") as publish:
        assert jobs.sweep_stale() == {"requeued": 1, "failed": 0}
    publish.assert_called_once_with(run_import, str(job.pk))
    assert run_import(str(job.pk)) == "done"
    assert run_import(str(job.pk)) == "done"  # a duplicate delivery leaves the finished job alone
    job.refresh_from_db()
    assert job.attempts == 2 and job.result["can_apply"]


def test_an_import_job_held_by_a_live_execution_is_left_alone(db, _media):
    from anyang_hte.core.models import ImportJob
    from anyang_hte.core.tasks import run_import

    county = UserFactory(username="dup_imp", role=Role.COUNTY_OFFICIAL)
    job = ImportJob.objects.create(
        user=county,
        kind="enterprises.ledger",
        title="t",
        filename="f.xlsx",
        stash="x",
        sha256="0",
        status="running",
        heartbeat_at=timezone.now(),
        claim="other",
    )
    assert run_import(str(job.pk)) == "running"
    job.refresh_from_db()
    assert job.claim == "other"
