"""Deployment checks of our own, run by ``manage.py check --deploy``."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


def connection_budget() -> tuple[int, int]:
    """(connections the processes may hold, connections PostgreSQL leaves them), per production.py."""
    web = settings.WEB_WORKERS * settings.WEB_THREADS
    worker = settings.CELERY_WORKER_CONCURRENCY + 1  # its children and the parent process
    beat = 1
    return web + worker + beat, settings.DB_MAX_CONNECTIONS - settings.DB_RESERVED_CONNECTIONS


@register(Tags.database, deploy=True)
def check_connection_budget(app_configs, **kwargs):
    if not hasattr(settings, "DB_MAX_CONNECTIONS"):  # development and tests: one process, no budget
        return []
    used, available = connection_budget()
    if used <= available:
        return []
    return [
        Warning(
            f"The portal's processes may open {used} PostgreSQL connections "
            f"(WEB_WORKERS {settings.WEB_WORKERS} × WEB_THREADS {settings.WEB_THREADS} + CELERY_CONCURRENCY "
            f"{settings.CELERY_WORKER_CONCURRENCY} + 1 + beat 1), more than the {available} left by "
            f"DB_MAX_CONNECTIONS {settings.DB_MAX_CONNECTIONS} − DB_RESERVED_CONNECTIONS "
            f"{settings.DB_RESERVED_CONNECTIONS}.",
            hint="Lower WEB_WORKERS, WEB_THREADS or CELERY_CONCURRENCY, or raise PostgreSQL's "
            "max_connections (POSTGRES_MAX_CONNECTIONS in docker-compose.yml).",
            id="portal.W001",
        )
    ]
