from celery import shared_task

from . import services


@shared_task(acks_late=True)
def refresh_stages() -> int:
    """Nightly: certificates expire without anyone saving anything; bring stored stages up to date."""
    return services.refresh_all_stages()


@shared_task(acks_late=True)
def refresh_readiness(enterprise_ids: list[int]) -> int:
    """After an import: recompute the readiness flags of the enterprises it touched."""
    return services.readiness_refresh_many(enterprise_ids=enterprise_ids)


@shared_task(acks_late=True)
def refresh_readiness_all() -> int:
    """Nightly: the stored verdict is this year's; a new year or an ageing record changes it."""
    return services.readiness_refresh_all()
