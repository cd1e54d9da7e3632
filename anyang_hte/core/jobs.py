"""Background jobs: sending a task to the broker, in one place, and surviving a worker that dies.

Publishing. :func:`publish` sends a task once, with the broker's short connect timeout and no retry
loop (settings: ``BROKER_CONNECT_TIMEOUT``, ``CELERY_BROKER_TRANSPORT_OPTIONS``); when the broker
cannot take it, it raises :class:`BrokerUnavailable` ("后台任务服务暂不可用，请稍后再试"), a
``DomainError`` the pages show. :func:`enqueue` publishes after the caller's transaction commits
(at once outside a transaction) and, when the broker refuses, calls ``on_refused`` (the service marks
its run failed with the message, so no run waits "pending") and raises the error from the commit, or,
with ``quiet=True`` (e-mail: the outbox sweeper sends it later), only logs it.

Runs (a model with the :class:`~anyang_hte.core.models.JobHeartbeat` fields and a ``status`` of
pending/running/done/failed). The task's service :func:`claim`\\ s its run: only a pending run, a run
whose heartbeat went stale, or one its ``also`` condition admits (a failed run being retried) is taken,
and the execution gets a token. It calls :func:`heartbeat` while it works; that answers False once
another execution holds the run, and the superseded execution stops. A second delivery of a task whose
run is held by a live execution therefore does nothing.

Sweeper. :func:`sweep_stale` (beat, every minute) looks at every model in ``settings.JOBS_SWEPT``: a
pending or running run whose heartbeat is older than ``JOBS_STALE_AFTER_SECONDS`` (its worker was
killed, or no worker took it) is set pending again and sent once more, at most ``JOBS_MAX_ATTEMPTS``
sends in all; then it is failed with the reason. A new kind of job (an import job, say) plugs in by
inheriting ``JobHeartbeat``, naming its model and task in ``JOBS_SWEPT``, starting with
``enqueue(task, job.pk, on_refused=mark_refused(Model, job.pk))`` and calling ``claim`` and
``heartbeat`` in its run service.
"""

import datetime
import logging
import uuid

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DomainError

logger = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
BROKER_UNAVAILABLE = gettext_lazy("后台任务服务暂不可用，请稍后再试")
SWEEP_BATCH = 100


class Superseded(Exception):
    """Another execution took the run over (this one's worker was thought dead): the run's service
    stops at its next heartbeat and writes nothing more (a write in progress rolls back)."""


class BrokerUnavailable(DomainError):
    """The broker could not take a task (Redis down or unreachable)."""

    def __init__(self):
        super().__init__(str(BROKER_UNAVAILABLE))


def publish(task, *args, **options) -> None:
    """Send ``task(*args)`` to the broker now, once; raise :class:`BrokerUnavailable` if it cannot.

    In-process Celery (``task_always_eager``) runs the task here and lets its errors through.
    """
    from kombu.exceptions import OperationalError as BrokerError

    if task.app.conf.task_always_eager:
        task.apply_async(args=args, **options)
        return
    try:
        task.apply_async(args=args, retry=False, **options)
    except BrokerError as exc:
        logger.warning("the broker refused %s%r: %s", task.name, args, exc)
        raise BrokerUnavailable() from exc


def enqueue(task, *args, on_refused=None, quiet: bool = False, **options) -> None:
    """Publish ``task(*args)`` once the current transaction commits (at once outside one).

    If the broker refuses: call ``on_refused()`` and raise :class:`BrokerUnavailable` from the commit
    (the service's outermost ``atomic`` block), or with ``quiet`` only log it (and, the task running
    in-process, let no error of the task reach the caller either).
    """

    def send():
        try:
            publish(task, *args, **options)
        except BrokerUnavailable:
            if on_refused is not None:
                on_refused()
            if not quiet:
                raise

    transaction.on_commit(send, robust=quiet)


def mark_refused(model, pk):
    """An ``on_refused`` for :func:`enqueue`: the run, if still pending, is failed with the message."""

    def refuse():
        model.objects.filter(pk=pk, status=PENDING).update(
            status=FAILED, error=str(BROKER_UNAVAILABLE), finished_at=timezone.now()
        )

    return refuse


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)


def _stale(now: datetime.datetime) -> Q:
    cutoff = now - stale_after()
    return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)


def claim(queryset, *, also: Q | None = None, **fields) -> str | None:
    """Take the run in ``queryset`` (one row) for this execution: set it running with ``fields`` and a
    fresh heartbeat; return the execution's token, or None when another execution holds it (or it is
    done). ``also`` admits more states (a failed run that its task retries)."""
    now = timezone.now()
    token = uuid.uuid4().hex
    claimable = Q(status=PENDING) | (Q(status=RUNNING) & _stale(now))
    if also is not None:
        claimable |= also
    taken = queryset.filter(claimable).update(status=RUNNING, claim=token, heartbeat_at=now, **fields)
    return token if taken else None


def heartbeat(queryset, token: str, **fields) -> bool:
    """Say the run is alive (and save ``fields``, e.g. its progress); False if another execution took it."""
    return bool(queryset.filter(status=RUNNING, claim=token).update(heartbeat_at=timezone.now(), **fields))


def sweep_stale(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Queue again, or fail, the runs whose heartbeat is stale; return ``{"requeued": n, "failed": n}``."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    for label, task_path in settings.JOBS_SWEPT.items():
        model = apps.get_model(label)
        task = import_string(task_path)
        stale = list(
            model.objects.filter(_stale(now), status__in=[PENDING, RUNNING])
            .order_by("pk")
            .values("pk", "status", "heartbeat_at", "attempts")[:SWEEP_BATCH]
        )
        for row in stale:
            unchanged = model.objects.filter(
                pk=row["pk"], status=row["status"], heartbeat_at=row["heartbeat_at"], attempts=row["attempts"]
            )
            if row["attempts"] >= settings.JOBS_MAX_ATTEMPTS:
                minutes = max(1, settings.JOBS_STALE_AFTER_SECONDS // 60)
                reason = _(
                    "后台任务 %(attempts)s 次中断或无人执行（每次超过 %(minutes)s 分钟无响应），已停止。"
                ) % {
                    "attempts": row["attempts"],
                    "minutes": minutes,
                }
                counts["failed"] += unchanged.update(status=FAILED, claim="", error=reason, finished_at=now)
                logger.warning("%s %s failed after %s attempts", label, row["pk"], row["attempts"])
                continue
            if not unchanged.update(status=PENDING, claim="", heartbeat_at=now, attempts=F("attempts") + 1):
                continue  # it came back to life meanwhile
            logger.warning("%s %s was stale (%s); queued again", label, row["pk"], row["status"])
            try:
                publish(task, str(row["pk"]) if not isinstance(row["pk"], int) else row["pk"])
            except BrokerUnavailable:
                return counts  # the next sweep tries again (its heartbeat is fresh, so in STALE_AFTER)
            counts["requeued"] += 1
    return counts
