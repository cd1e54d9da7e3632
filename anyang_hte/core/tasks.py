from celery import shared_task
from django.db import OperationalError

from . import services
from .notifications import notification_emails_send
from .roles import SystemActor
from .stash import import_stash_purge


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_export(job_id: str) -> str:
    return services.export_job_run(job_id=job_id).status


@shared_task(acks_late=True)
def purge_exports() -> int:
    return services.export_jobs_purge()


@shared_task(acks_late=True)
def purge_import_stash() -> int:
    """Delete uploaded import files never confirmed, once older than IMPORT_STASH_MAX_AGE_HOURS."""
    return len(import_stash_purge(by=SystemActor("task purge_import_stash")))


# SMTP errors (smtplib.SMTPException) and refused or timed-out connections are all OSErrors.
@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_notification_emails(notification_ids: list[int]) -> int:
    return notification_emails_send(notification_ids=notification_ids)
