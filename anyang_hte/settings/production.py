"""Production: every secret comes from the environment; nothing insecure has a default."""

import os
from email.utils import getaddresses

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEFAULT_FROM_EMAIL

PORTAL_ENVIRONMENT = "production"
DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
ALLOWED_HOSTS = [h for h in os.environ["ALLOWED_HOSTS"].split(",") if h]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# HTTPS, behind a reverse proxy that ends TLS and sets X-Forwarded-Proto (it must overwrite, never pass
# on, a client's own header). Served over plain HTTP instead (an intranet without certificates)? Then
# PORTAL_PLAIN_HTTP=1 with PORTAL_PLAIN_HTTP_REASON="why" (the portal refuses to start without a reason
# and logs it at start-up): no redirect to HTTPS, no HSTS, cookies also sent over HTTP.
# SECURE_COOKIES=0 was the plain-HTTP switch before PORTAL_PLAIN_HTTP: an old .env is refused, not ignored.
if os.environ.get("SECURE_COOKIES", ""):
    raise ImproperlyConfigured(
        "SECURE_COOKIES is no longer read: for plain HTTP set PORTAL_PLAIN_HTTP=1 and "
        'PORTAL_PLAIN_HTTP_REASON="…"; for HTTPS remove it.'
    )
PORTAL_PLAIN_HTTP = os.environ.get("PORTAL_PLAIN_HTTP", "0") == "1"  # 1: no TLS in front of the portal
PORTAL_PLAIN_HTTP_REASON = os.environ.get("PORTAL_PLAIN_HTTP_REASON", "").strip()  # required with it
if PORTAL_PLAIN_HTTP and not PORTAL_PLAIN_HTTP_REASON:
    raise ImproperlyConfigured(
        'PORTAL_PLAIN_HTTP=1 needs PORTAL_PLAIN_HTTP_REASON="…": say why this portal runs without HTTPS.'
    )
# The header (and value "https") by which the proxy says the browser used HTTPS.
_PROXY_HEADER = os.environ.get("PROXY_SSL_HEADER", "X-Forwarded-Proto")
SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_HEADER.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = not PORTAL_PLAIN_HTTP
# The health check answers on plain HTTP too: the compose health check and the load balancer ask the
# container directly, not through the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not PORTAL_PLAIN_HTTP
# HSTS: browsers keep to HTTPS for this long (a year) on the portal's host and its subdomains.
SECURE_HSTS_SECONDS = 0 if PORTAL_PLAIN_HTTP else int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
# Preload lists are for public domains a site owns outright; an intranet host under the city's domain
# must not commit the whole domain to HTTPS-only in every browser. 1 only as a deliberate decision.
SECURE_HSTS_PRELOAD = os.environ.get("SECURE_HSTS_PRELOAD", "0") == "1"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]  # W021: preload not set
if PORTAL_PLAIN_HTTP:
    # Exactly what plain HTTP makes moot: HSTS (W004), redirect to HTTPS (W008), secure cookies (W012,
    # W016). Every other deploy check still applies.
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W008", "security.W012", "security.W016"]
# PostgreSQL connections. Each gunicorn thread and each Celery child holds at most one connection
# (kept open CONN_MAX_AGE seconds between requests), so the processes never exhaust the server when
#   WEB_WORKERS × WEB_THREADS + (CELERY_CONCURRENCY + 1) + 1 (beat)
#     ≤ DB_MAX_CONNECTIONS − DB_RESERVED_CONNECTIONS
# (the reserve: PostgreSQL's 3 superuser slots, migrate, manage.py commands, psql, pg_dump).
# docker-compose.yml gives gunicorn, the worker and PostgreSQL the same numbers; `check --deploy` warns
# when they do not fit (anyang_hte/core/checks.py).
WEB_WORKERS = int(os.environ.get("WEB_WORKERS", "3"))  # gunicorn worker processes
WEB_THREADS = int(os.environ.get("WEB_THREADS", "2"))  # threads per gunicorn worker
CELERY_WORKER_CONCURRENCY = int(os.environ.get("CELERY_CONCURRENCY", "2"))  # Celery worker child processes
DB_MAX_CONNECTIONS = int(os.environ.get("DB_MAX_CONNECTIONS", "100"))  # PostgreSQL's max_connections
DB_RESERVED_CONNECTIONS = int(
    os.environ.get("DB_RESERVED_CONNECTIONS", "13")
)  # 3 superuser + 10 for commands

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))

# Who gets the error e-mails (a page's 500, a failed Celery task): PORTAL_ADMINS="张三 <a@x>,李四 <b@y>".
ADMINS = [(name, address) for name, address in getaddresses([os.environ.get("PORTAL_ADMINS", "")]) if address]
# The sender of those e-mails (Django's default, root@localhost, is refused by most relays).
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# The start of their subject, so a mailbox rule can sort them.
EMAIL_SUBJECT_PREFIX = os.environ.get("EMAIL_SUBJECT_PREFIX", "[安阳高企平台] ")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # The traceback as text, without the HTML page (which repeats the request and the settings).
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "include_html": False,
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # Replaces Django's own "django" logger set-up, which mails every django.* error (a request with
        # a wrong Host header from a port scan, say): only the two below are mailed.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"handlers": ["mail_admins"], "propagate": True},  # a page's 500
        "celery.app.trace": {"handlers": ["mail_admins"], "propagate": True},  # a task that failed
    },
}
