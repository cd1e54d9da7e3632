"""Checks of our own: the deployment ones run by ``manage.py check --deploy``, the PDF set-up by every
``manage.py check`` (and runserver)."""

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


@register()
def check_pdf_fonts(app_configs, **kwargs):
    """The PDF documents (通报, 奖励通知, 拨付表) need WeasyPrint's pango and a CJK font, or they cannot be
    issued (pango) or show boxes instead of Chinese (the font)."""
    from .pdf import CJK_FAMILIES, cjk_fonts, missing_libraries

    fix = "Run as root: bash scripts/ensure_system_packages.sh (it names the apt-get command otherwise)."
    missing = missing_libraries()
    if missing:
        return [
            Warning(
                f"PDF documents cannot be issued: WeasyPrint's {', '.join(missing)} not found.",
                hint=fix,
                id="portal.W010",
            )
        ]
    fonts = cjk_fonts()
    if fonts is None:
        return [
            Warning(
                "fc-list (fontconfig) is missing: cannot tell whether a CJK font is installed for the PDFs.",
                hint=fix,
                id="portal.W011",
            )
        ]
    if not any(family in fonts for family in CJK_FAMILIES):
        found = ", ".join(fonts) or "none"
        return [
            Warning(
                "No CJK font for the PDF documents (looked for "
                f"{', '.join(CJK_FAMILIES)}; fontconfig has {found}): their Chinese would be boxes.",
                hint=fix + " It installs fonts-noto-cjk.",
                id="portal.W012",
            )
        ]
    return []
