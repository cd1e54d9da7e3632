from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import documents, payment_runs


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,  # a killed worker's message goes back: the rerun pays nothing twice
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=5,
)
def run_payment(run_id: int) -> str:
    """Record the payment one queued PaymentRun asks for; return the run's status."""
    return payment_runs.payment_run_execute(run_id=run_id).status


@shared_task(
    acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=3
)
def issue_batch_document(batch_id: int, kind: str, user_id: int) -> int | None:
    """Render and issue a large batch's notice or payout sheet; return the document's id (None: refused)."""
    document = documents.batch_document_issue_queued(batch_id=batch_id, kind=kind, user_id=user_id)
    return document.pk if document else None
