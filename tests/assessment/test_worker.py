"""A real Celery worker, over Redis, rolls up the indicators into the PostgreSQL test database.

CI provides both (``.ci/run``: DATABASE_URL on PostgreSQL, REDIS_URL). The test starts its own worker
process on a queue of its own, pointed at the test database, sends the rollup task there through the
broker (the rest of the suite runs Celery eagerly in-process), waits for the RollupRun to finish and
compares the snapshots the worker wrote with the indicators computed here.
"""

import os
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
from anyang_hte.core.roles import Role
from assessment import indicators, selectors, services, tasks
from assessment.models import IndicatorSnapshot, RollupRun
from tests.factories import UserFactory

from .test_indicators import YEAR, build_world

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
WAIT_SECONDS = 60


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        return False


def _skip_reason() -> str | None:
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
    """Make this process publish to Redis for real; send the rollup task to ``queue``."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("task_always_eager", "broker_url")}

    def reset_pools():  # the next publish looks the pools up again for the broker now configured
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.task_always_eager, conf.broker_url = False, REDIS_URL
    reset_pools()
    task = tasks.rollup_indicators_task
    sent: list[str] = []

    def delay(run_id):
        result = task.apply_async(args=[run_id], queue=queue)
        sent.append(result.id)
        return result

    try:
        with mock.patch.object(task, "delay", side_effect=delay):
            yield sent
    finally:
        conf.update(saved)
        reset_pools()


@contextmanager
def _worker(queue: str):
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "anyang_hte.settings.test",
        "CELERY_EAGER": "0",
        "CONN_MAX_AGE": "0",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "anyang_hte", "worker",
        "--pool=solo", "--concurrency=1", "-l", "info", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process, Path(log.name)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def _forget(queue: str, task_ids: list[str]) -> None:
    """Remove what kombu and the result backend left in Redis for the throwaway queue."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
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
    assert run.steps_done == run.steps_total == len(indicators.INDICATORS)
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
