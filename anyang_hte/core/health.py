"""The checks behind ``/healthz`` and ``manage.py healthcheck``: the database, the broker, the worker.

Each check answers with a short fixed word (``ok``, ``in-process``, ``unreachable``, ``stale``, ``missing``),
never an exception's text: that can name a host, a user or a version. The exception goes to the log.
Every check is bounded by a short timeout, so the answer comes in well under two seconds even when
Redis or the database does not answer.
"""

import datetime
import logging
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_NAME = "celery"
CHECKS = ("database", "broker", "worker")


@dataclass(frozen=True)
class Check:
    ok: bool
    status: str
    age_seconds: int | None = None

    def as_dict(self) -> dict:
        answer = {"ok": self.ok, "status": self.status}
        if self.age_seconds is not None:
            answer["age_seconds"] = self.age_seconds
        return answer


def _timeout() -> float:
    return float(settings.HEALTHZ_TIMEOUT_SECONDS)


def check_database() -> Check:
    """A trivial query; on PostgreSQL under a statement timeout, so a locked or overloaded server fails it."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(f"SET LOCAL statement_timeout = {int(_timeout() * 1000)}")
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except Exception:
        logger.warning("healthz: the database check failed", exc_info=True)
        return Check(False, "unreachable")
    return Check(True, "ok")


def check_broker() -> Check:
    """A Redis PING with short connect and read timeouts; the embedded default has no broker to ask."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return Check(True, "in-process")
    client = None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=_timeout(), socket_timeout=_timeout())
        client.ping()
    except Exception:
        logger.warning("healthz: the broker check failed", exc_info=True)
        return Check(False, "unreachable")
    finally:
        if client is not None:
            client.close()
    return Check(True, "ok")


def check_worker(*, now: datetime.datetime | None = None, database_ok: bool = True) -> Check:
    """The age of the heartbeat a worker records each time beat sends it the heartbeat task."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return Check(True, "in-process")
    if not database_ok:  # the heartbeat is in the database: do not wait for it a second time
        return Check(False, "unknown")
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL statement_timeout = {int(_timeout() * 1000)}")
            beat_at = (
                WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).values_list("beat_at", flat=True).first()
            )
    except DatabaseError:
        logger.warning("healthz: the worker heartbeat could not be read", exc_info=True)
        return Check(False, "unknown")
    if beat_at is None:
        return Check(False, "missing")
    age = max(0, int(((now or timezone.now()) - beat_at).total_seconds()))
    ok = age <= settings.HEALTHZ_HEARTBEAT_MAX_AGE
    return Check(ok, "ok" if ok else "stale", age)


def run_checks(names=CHECKS) -> dict[str, Check]:
    """The named checks, in the order of ``CHECKS``; the worker is not asked when the database is down."""
    results: dict[str, Check] = {}
    if "database" in names:
        results["database"] = check_database()
    if "broker" in names:
        results["broker"] = check_broker()
    if "worker" in names:
        results["worker"] = check_worker(database_ok=results.get("database", Check(True, "")).ok)
    return results
