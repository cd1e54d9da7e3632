from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from . import import_jobs, jobs, outbox, services
from .roles import SystemActor
from .stash import import_stash_purge


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_export(job_id: str) -> str:
    return services.export_job_run(job_id=job_id).status


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_import(job_id: str) -> str:
    return import_jobs.import_job_run(job_id=job_id).status


@shared_task(acks_late=True)
def purge_exports() -> int:
    return services.export_jobs_purge()


@shared_task(acks_late=True)
def purge_import_jobs() -> int:
    """Nightly: import jobs ended more than a week ago, with their error lists."""
    return import_jobs.import_jobs_purge()


@shared_task(acks_late=True)
def clear_expired_sessions() -> None:
    """Nightly: delete the sessions that ended (idle for a working day, see SESSION_COOKIE_AGE)."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()


@shared_task(acks_late=True)
def send_outbox_emails(ids: list[int]) -> int:
    """Send the outbox rows an event just wrote (what fails waits for the sweeper, with a pause)."""
    return outbox.outbox_send(ids=ids)


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    """Every minute (beat): send every e-mail that is due (the broker was down, the server refused)."""
    return outbox.outbox_sweep()


@shared_task(acks_late=True)
def purge_outbox() -> int:
    return outbox.outbox_purge()


@shared_task(acks_late=True)
def sweep_stale_jobs() -> dict[str, int]:
    """Every minute (beat): queue again (or fail) the runs and jobs whose worker died."""
    return jobs.sweep_stale()


@shared_task(acks_late=True)
def purge_import_stash() -> int:
    """Delete uploaded import files never confirmed, once older than IMPORT_STASH_MAX_AGE_HOURS."""
    return len(import_stash_purge(by=SystemActor("task purge_import_stash")))


# Beat sends this every WORKER_HEARTBEAT_SECONDS (expiring after one interval, so a stopped worker does not
# find a pile of them); the row it writes is the worker heartbeat /healthz reports.
@shared_task(bind=True, ignore_result=True)
def heartbeat(self) -> None:
    services.worker_heartbeat_record(worker=self.request.hostname or "")
