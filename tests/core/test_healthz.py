"""/healthz and `manage.py healthcheck`: each check named, 503 when one fails, no secrets."""

import datetime
import json
import time

import django
import pytest
import redis
from django.core.management import call_command
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core import tasks
from anyang_hte.core.health import HEARTBEAT_NAME
from anyang_hte.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

SECRET_PASSWORD = "s3cret-broker-pass"
REFUSED_BROKER = f"redis://:{SECRET_PASSWORD}@127.0.0.1:1/5"  # nothing listens on port 1
LIVE_BROKER = "redis://127.0.0.1:6379/5"


@pytest.fixture
def with_worker(settings):
    """A deployment with a broker and a real worker (not the embedded in-process default)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "memory://"
    return settings


def _heartbeat(seconds_ago: int):
    WorkerHeartbeat.objects.update_or_create(
        name=HEARTBEAT_NAME,
        defaults={"beat_at": timezone.now() - datetime.timedelta(seconds=seconds_ago), "worker": "celery@w1"},
    )


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url(LIVE_BROKER, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


def test_embedded_default_passes_and_names_every_check(client, settings):
    settings.CELERY_BROKER_URL = "memory://"  # the embedded default, even where CI sets REDIS_URL
    response = client.get("/healthz")  # anonymous: no log-in for the load balancer
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "checks": {
            "database": {"ok": True, "status": "ok"},
            "broker": {"ok": True, "status": "in-process"},
            "worker": {"ok": True, "status": "in-process"},
        },
    }
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert reverse("healthz") == "/healthz"
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.skipif(not _redis_up(), reason="needs Redis at 127.0.0.1:6379")
def test_all_pass_with_a_live_broker_and_a_fresh_heartbeat(client, with_worker):
    with_worker.CELERY_BROKER_URL = LIVE_BROKER
    _heartbeat(seconds_ago=10)
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["broker"] == {"ok": True, "status": "ok"}
    assert checks["worker"]["status"] == "ok" and 10 <= checks["worker"]["age_seconds"] < 60


def test_broker_unreachable_is_503_naming_the_broker_and_fast(client, with_worker):
    with_worker.CELERY_BROKER_URL = REFUSED_BROKER
    _heartbeat(seconds_ago=5)
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing" and body["failing"] == ["broker"]
    assert body["checks"]["broker"] == {"ok": False, "status": "unreachable"}
    assert body["checks"]["database"]["ok"] and body["checks"]["worker"]["ok"]


def test_a_broker_that_does_not_answer_costs_at_most_the_timeout(client, with_worker):
    # A non-routable address: the connection attempt hangs until HEALTHZ_TIMEOUT_SECONDS.
    with_worker.CELERY_BROKER_URL = "redis://10.255.255.1:6379/5"
    _heartbeat(seconds_ago=5)
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 2
    assert response.status_code == 503 and response.json()["failing"] == ["broker"]


def test_stale_heartbeat_is_503_naming_the_worker(client, with_worker):
    _heartbeat(seconds_ago=with_worker.HEALTHZ_HEARTBEAT_MAX_AGE + 180)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["status"] == "stale"
    assert body["checks"]["worker"]["age_seconds"] >= with_worker.HEALTHZ_HEARTBEAT_MAX_AGE + 180


def test_no_heartbeat_yet_fails_the_worker(client, with_worker):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "status": "missing"}


def test_the_heartbeat_task_makes_the_worker_healthy(client, with_worker):
    _heartbeat(seconds_ago=3600)
    assert client.get("/healthz").status_code == 503
    tasks.heartbeat.apply()
    beat = WorkerHeartbeat.objects.get(name=HEARTBEAT_NAME)
    assert timezone.now() - beat.beat_at < datetime.timedelta(seconds=5)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["checks"]["worker"]["status"] == "ok"


def test_database_failure_is_503_naming_the_database(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "db" (10.0.0.5), port 5432 failed: password=hunter2')

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "status": "unreachable"}
    assert "10.0.0.5" not in response.content.decode() and "hunter2" not in response.content.decode()


def test_the_answer_holds_no_secret(client, with_worker, settings):
    with_worker.CELERY_BROKER_URL = REFUSED_BROKER
    _heartbeat(seconds_ago=9999)
    response = client.get("/healthz")
    text = response.content.decode()
    for secret in (
        SECRET_PASSWORD,
        "127.0.0.1",
        ":1/",
        "redis://",
        "celery@w1",  # the worker's host name
        settings.SECRET_KEY,
        settings.DATABASES["default"]["NAME"],
        django.get_version(),
        "Traceback",
        "Error",
    ):
        assert secret not in text, secret
    assert set(json.loads(text)) == {"status", "failing", "checks"}


def test_only_the_checks_asked_for(client, with_worker):
    _heartbeat(seconds_ago=9999)
    response = client.get("/healthz", {"check": "database"})
    assert response.status_code == 200 and list(response.json()["checks"]) == ["database"]
    assert client.get("/healthz", {"check": "database,worker"}).status_code == 503
    refused = client.get("/healthz", {"check": "database,settings"})
    assert refused.status_code == 400 and refused.json()["checks"] == ["database", "broker", "worker"]


def test_exempt_from_the_ssl_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("login")).status_code == 301  # every other page goes to https


def test_healthcheck_command_exits_1_when_a_check_fails(with_worker, capsys):
    _heartbeat(seconds_ago=9999)
    with pytest.raises(SystemExit) as exited:
        call_command("healthcheck", check=["worker"])
    assert exited.value.code == 1
    assert "worker: stale (age" in capsys.readouterr().out
    _heartbeat(seconds_ago=1)
    call_command("healthcheck", check=["worker"])  # no SystemExit: healthy
    assert "worker: ok" in capsys.readouterr().out


def test_with_the_database_down_the_worker_heartbeat_is_unknown(client, with_worker, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database", "worker"]
    assert response.json()["checks"]["worker"] == {"ok": False, "status": "unknown"}
