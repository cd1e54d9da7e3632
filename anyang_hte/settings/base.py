"""Settings shared by every environment.

The embedded default (no environment variables) is SQLite with Celery tasks run in-process.
``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to a Celery worker over Redis.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from import_export.formats.base_formats import CSV, XLSX

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("DEBUG", "1") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "django_bootstrap5",
    "import_export",
    "simple_history",
    "anyang_hte.core.apps.AxesConfig",  # django-axes, titled in Chinese in the admin
    # Two factors (TOTP authenticator apps and backup codes); before core, whose admin hides their admins.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "anyang_hte.core",
    "enterprises",
    "incentives",
    "applications",
    "assessment",
    "firms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "anyang_hte.core.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the session passed the second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    # The one place that enforces the second factor (after the messages, so a redirect can explain itself).
    "anyang_hte.core.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "anyang_hte.urls"
WSGI_APPLICATION = "anyang_hte.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "anyang_hte.core.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed log-ins lock out, keyed on username and IP together, with a cool-off.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Two factors (anyang_hte/core/two_factor.py): the name authenticator apps show beside the account.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "安阳高企平台")
# After n wrong codes in a row the next try waits factor × 2^(n-1) seconds (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = int(os.environ.get("OTP_TOTP_THROTTLE_FACTOR", "1"))
OTP_STATIC_THROTTLE_FACTOR = int(os.environ.get("OTP_STATIC_THROTTLE_FACTOR", "1"))
# How many single-use backup codes a user gets at enrolment and at each regeneration.
TWO_FACTOR_BACKUP_CODES = int(os.environ.get("TWO_FACTOR_BACKUP_CODES", "10"))

# A firm's self-registration: at most this many per IP address in the window (the cache counts them).
FIRM_REGISTRATION_LIMIT = int(os.environ.get("FIRM_REGISTRATION_LIMIT", "5"))
FIRM_REGISTRATION_WINDOW = int(os.environ.get("FIRM_REGISTRATION_WINDOW_SECONDS", "3600"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format everywhere (2026-11-30), whatever the language: anyang_hte/formats/<language>/formats.py.
FORMAT_MODULE_PATH = ["anyang_hte.formats"]
DATE_FORMAT = SHORT_DATE_FORMAT = "Y-m-d"  # used when a language has no format module
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
LEDGER_IMPORT_MAX_BYTES = 20 * 1024 * 1024

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# Celery: in-process unless REDIS_URL names a broker.
REDIS_URL = os.environ.get("REDIS_URL", "")
# The cache holds counts every worker process must share (the self-registration limit): Redis when
# REDIS_URL is set, this process's memory otherwise.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "hte"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "purge-old-exports-nightly": {
        "task": "anyang_hte.core.tasks.purge_exports",
        "schedule": crontab(hour=2, minute=30),
    },
    "refresh-enterprise-stages-nightly": {
        "task": "enterprises.tasks.refresh_stages",
        "schedule": crontab(hour=1, minute=10),
    },
    "refresh-readiness-nightly": {
        "task": "enterprises.tasks.refresh_readiness_all",
        "schedule": crontab(hour=1, minute=30),
    },
    "rollup-indicators-nightly": {
        "task": "assessment.tasks.rollup_current_year",
        "schedule": crontab(hour=2, minute=0),
    },
    "deadline-reminders-daily": {
        "task": "assessment.tasks.deadline_reminders",
        "schedule": crontab(hour=8, minute=30),
    },
    "watchlists-notify-weekly": {
        "task": "assessment.tasks.watchlists_notify",
        "schedule": crontab(day_of_week="mon", hour=8, minute=0),
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@hte.anyang.gov.cn")

# Exports up to this many rows stream straight to the browser; larger ones run as a Celery job.
EXPORT_INLINE_ROWS = int(os.environ.get("EXPORT_INLINE_ROWS", "5000"))
EXPORT_BUILDERS = {"enterprises.ledger": "enterprises.exporters.build_ledger_exporter"}

# Lists: above this many matching rows the page says "more than N" instead of counting them all.
LIST_COUNT_CAP = 10_000

# The Django admin's django-import-export exports: the portal's two formats only, each cell through
# anyang_hte.core.admin_export (formulas neutralised). The admin imports nothing.
IMPORT_EXPORT_FORMATS = [XLSX, CSV]
# A control character pasted into a name (from Word, say) is replaced in the xlsx, not a failed export.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

PORTAL_ENVIRONMENT = "development"

# Development and tests serve static files straight from the finders; production from STATIC_ROOT.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
