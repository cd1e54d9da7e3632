"""Production: every secret comes from the environment; nothing insecure has a default."""

import os
from email.utils import getaddresses

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
SESSION_COOKIE_SECURE = os.environ.get("SECURE_COOKIES", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
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
