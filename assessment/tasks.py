import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError

from anyang_hte.core.roles import SystemActor

from . import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,  # a killed worker's message goes back to the queue: the rerun is harmless
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=5,
)
def rollup_indicators_task(run_id: int) -> str:
    """Roll up one queued RollupRun. Acknowledged after it ran, retried on a lost database connection;
    safe to run again (the snapshots are upserted)."""
    return services.rollup_run(run_id=run_id).status


@shared_task(acks_late=True)
def rollup_current_year() -> list[int]:
    """Nightly (beat): queue a rollup of each year the pages keep fresh (``services.shown_years``)."""
    return [run.pk for run in services.rollup_nightly(by=SystemActor("task rollup_current_year"))]


@shared_task(acks_late=True)
def watchlists_notify(today: str | None = None) -> int:
    """Weekly (beat): tell each county's officials the sizes of its four watch lists; return how many."""
    day = datetime.date.fromisoformat(today) if today else None
    return services.watchlists_notify(by=SystemActor("task watchlists_notify"), today=day)


@shared_task(acks_late=True)
def deadline_reminders(today: str | None = None) -> int:
    """Daily (beat): remind each owner of an overdue item, once a day; return the messages sent."""
    day = datetime.date.fromisoformat(today) if today else None
    return services.deadline_reminders_send(by=SystemActor("task deadline_reminders"), today=day)
