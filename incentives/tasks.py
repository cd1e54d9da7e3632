from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import payment_runs


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
