from celery import shared_task
from django.db import OperationalError

from . import services
from .notifications import notification_emails_send


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_export(job_id: str) -> str:
    return services.export_job_run(job_id=job_id).status


@shared_task(acks_late=True)
def purge_exports() -> int:
    return services.export_jobs_purge()


# SMTP errors (smtplib.SMTPException) and refused or timed-out connections are all OSErrors.
@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_notification_emails(notification_ids: list[int]) -> int:
    return notification_emails_send(notification_ids=notification_ids)


# Beat sends this every WORKER_HEARTBEAT_SECONDS (expiring after one interval, so a stopped worker does not
# find a pile of them); the row it writes is the worker heartbeat /healthz reports.
@shared_task(bind=True, ignore_result=True)
def heartbeat(self) -> None:
    services.worker_heartbeat_record(worker=self.request.hostname or "")
