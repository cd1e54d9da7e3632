"""A real Celery worker, over Redis, rolls up the indicators into the PostgreSQL test database.

CI provides both (``.ci/run``: DATABASE_URL on PostgreSQL, REDIS_URL); without them the tests skip.
Each test starts its own worker processes on a queue of its own (parallel test processes and other
runs never share it), pointed at the test database, sends the rollup task there through the broker
(the rest of the suite runs Celery eagerly in-process), waits for the RollupRun to finish and compares
the snapshots the worker wrote with the indicators computed here.

The second test kills the whole worker (``kill -9`` of its process group) in the middle of a rollup,
starts a new one, runs the stale-run sweeper and checks that the run ends exactly as an uninterrupted
one.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
from django.db import connection

from anyang_hte.celery import app as celery_app
from anyang_hte.core import jobs
from anyang_hte.core.roles import Role
from assessment import indicators, selectors, services, tasks
from assessment.models import IndicatorSnapshot, RollupRun
from tests.factories import UserFactory

from .test_indicators import YEAR, build_world

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")
WAIT_SECONDS = 60
STALE_SECONDS = 3  # the kill test's heartbeat threshold (5 minutes in real use)


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        return False


def _skip_reason() -> str | None:
    if not REDIS_URL:
        return "needs REDIS_URL (a Redis the Celery worker can use as its broker; CI sets it)"
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (DATABASE_URL): the worker is a separate process sharing the test database"
    if not _redis_answers(REDIS_URL):
        return f"needs Redis at {REDIS_URL} (REDIS_URL) as the Celery broker"
    return None


def _test_database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


@contextmanager
def _through_the_broker(queue: str):
    """Make this process publish to Redis for real, to ``queue``; yield the ids of the tasks sent."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}

    def reset_pools():  # the next publish looks the pools up again for the broker now configured
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.task_always_eager, conf.broker_url, conf.task_default_queue = False, REDIS_URL, queue
    reset_pools()
    task = tasks.rollup_indicators_task
    sent: list[str] = []
    real_apply_async = task.apply_async

    def apply_async(*args, **kwargs):
        result = real_apply_async(*args, **kwargs)
        sent.append(result.id)
        return result

    try:
        with mock.patch.object(task, "apply_async", side_effect=apply_async):
            yield sent
    finally:
        conf.update(saved)
        reset_pools()


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


@contextmanager
def _worker(queue: str, **extra_env: str):
    """A ``celery worker`` (prefork, one child) on ``queue``, in a process group of its own; stopped (and
    if need be killed, children too) whatever happens."""
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "anyang_hte.settings.test",
        "CELERY_EAGER": "0",
        "CELERY_QUEUE": queue,
        "CONN_MAX_AGE": "0",
        **extra_env,
    }
    name = f"{queue}-{uuid.uuid4().hex[:6]}"
    command = [
        sys.executable, "-m", "celery", "-A", "anyang_hte", "worker",
        "--pool=prefork", "--concurrency=1", "-l", "info", "-Q", queue, "-n", f"{name}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process, Path(log.name)
    finally:
        _kill_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        _kill_group(process, signal.SIGKILL)  # the pool's child too, if it outlived its parent
        if process.poll() is None:
            process.wait(timeout=10)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def _forget(queue: str, task_ids: list[str]) -> None:
    """Remove what kombu left in Redis for the throwaway queue, unacknowledged messages included."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    for tag, payload in client.hgetall("unacked").items():
        try:
            routing_key = json.loads(payload)[2]
        except (ValueError, IndexError, TypeError):
            continue
        if routing_key == queue:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
    client.delete(
        queue,
        f"_kombu.binding.{queue}",
        f"_kombu.binding_permanent.{queue}",
        *(f"celery-task-meta-{task_id}" for task_id in task_ids),
    )
    client.close()


def _wait_until_finished(run_pk: int, process: subprocess.Popen, log: Path) -> RollupRun:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run = RollupRun.objects.get(pk=run_pk)
        if run.status in (RollupRun.Status.DONE, RollupRun.Status.FAILED):
            return run
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        time.sleep(0.25)
    pytest.fail(f"no result from the worker in {WAIT_SECONDS}s:\n{log.read_text()[-4000:]}")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_snapshots():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    build_world()
    manager = UserFactory(username="worker_reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    queue = f"rollup-test-{uuid.uuid4().hex[:12]}"

    sent: list[str] = []
    try:
        with _worker(queue) as (process, log), _through_the_broker(queue) as sent:
            run = services.rollup_start(year=YEAR, by=manager)  # enqueued on commit, to Redis
            assert run.is_new and len(sent) == 1
            run = _wait_until_finished(run.pk, process, log)
            assert run.status == RollupRun.Status.DONE, run.error
            worker_log = log.read_text()
    finally:
        _forget(queue, sent)

    assert "assessment.tasks.rollup_indicators_task" in worker_log  # it ran there, not in this process
    assert (
        run.steps_done == run.steps_total == len(indicators.INDICATORS) + 1
    )  # and the counts (rollup_counts)
    written = {(s.scope, s.indicator): s.value for s in IndicatorSnapshot.objects.filter(year=YEAR)}
    expected = {
        (scope, code): value
        for code, by_scope in indicators.evaluate_all(YEAR).items()
        for scope, value in by_scope.items()
        if value is not None
    }
    assert written == expected
    snapshot = selectors.snapshot_table(YEAR)
    live = selectors.live_table(YEAR)
    assert snapshot is not None
    assert [(r["scope"], r["values"]) for r in snapshot] == [(r["scope"], r["values"]) for r in live]


def _expected_snapshots() -> dict:
    return {
        (scope, code): value
        for code, by_scope in indicators.evaluate_all(YEAR).items()
        for scope, value in by_scope.items()
        if value is not None
    }


def _wait_for(condition, what: str, process: subprocess.Popen, log: Path, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {seconds}s:\n{log.read_text()[-4000:]}")


@pytest.mark.django_db(transaction=True)
def test_a_rollup_whose_worker_is_killed_is_requeued_and_ends_as_an_uninterrupted_one(settings):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    build_world()
    manager = UserFactory(username="kill_reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    queue = f"rollup-kill-{uuid.uuid4().hex[:12]}"
    settings.JOBS_STALE_AFTER_SECONDS = STALE_SECONDS  # for the sweeper, run here
    worker_env = {
        "ROLLUP_STEP_PAUSE_SECONDS": "0.4",  # 18 steps: about 7 s, time enough to kill it half-way
        "JOBS_STALE_AFTER_SECONDS": str(STALE_SECONDS),
        "CELERY_VISIBILITY_TIMEOUT": "2",  # the killed worker's message comes back to the next worker
    }
    sent: list[str] = []
    try:
        with _through_the_broker(queue) as sent:
            with _worker(queue, **worker_env) as (first, log):
                run = services.rollup_start(year=YEAR, by=manager)  # enqueued on commit, to Redis
                assert run.is_new and len(sent) == 1
                _wait_for(
                    lambda: RollupRun.objects.filter(pk=run.pk, steps_done__gte=2).exists(),
                    "the first worker's progress",
                    first,
                    log,
                )
                _kill_group(first, signal.SIGKILL)  # kill -9 the worker and its pool child, mid-job
                first.wait(timeout=10)
                first_log = log.read_text()
            killed = RollupRun.objects.get(pk=run.pk)
            assert killed.status == RollupRun.Status.RUNNING
            assert 2 <= killed.steps_done < killed.steps_total
            assert "rollup_indicators_task" in first_log

            # nothing beats the heartbeat any more: once it is stale the sweeper queues the run again
            time.sleep(max(0.0, STALE_SECONDS + 0.5 - (time.time() - killed.heartbeat_at.timestamp())))
            assert jobs.sweep_stale() == {"requeued": 1, "failed": 0}
            assert len(sent) == 2
            requeued = RollupRun.objects.get(pk=run.pk)
            assert requeued.status == RollupRun.Status.PENDING and requeued.attempts == 2

            with _worker(queue, **worker_env) as (second, log):
                _wait_for(
                    lambda: RollupRun.objects.filter(pk=run.pk, status__in=["done", "failed"]).exists(),
                    "the run's end",
                    second,
                    log,
                )
                # the killed worker's own message, redelivered after the visibility timeout, is harmless
                _wait_for(
                    lambda: log.read_text().count("rollup_indicators_task") >= 2 * 2,  # received, succeeded
                    "the redelivered message",
                    second,
                    log,
                    seconds=20,
                )
                second_log = log.read_text()
    finally:
        _forget(queue, sent)

    run = RollupRun.objects.get(pk=run.pk)
    assert run.status == RollupRun.Status.DONE, (run.error, second_log[-4000:])
    assert (
        run.steps_done == run.steps_total == len(indicators.INDICATORS) + 1
    )  # and the counts (rollup_counts) and run.attempts == 2
    written = {(s.scope, s.indicator): s.value for s in IndicatorSnapshot.objects.filter(year=YEAR)}
    assert written == _expected_snapshots()  # what an uninterrupted rollup writes
    assert len(written) == IndicatorSnapshot.objects.filter(year=YEAR).count()  # no duplicate rows
