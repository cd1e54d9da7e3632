from celery import shared_task

from . import services


@shared_task(acks_late=True)
def refresh_stages() -> int:
    """Nightly: certificates expire without anyone saving anything; bring stored stages up to date."""
    return services.refresh_all_stages()
