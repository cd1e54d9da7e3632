"""Settings shared by every environment.

The embedded default (no environment variables) is SQLite with Celery tasks run in-process.
``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to a Celery worker over Redis.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _
from import_export.formats.base_formats import CSV, XLSX
from whitenoise.compress import Compressor

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
    "anyang_hte.core.apps.StaticFilesConfig",  # django.contrib.staticfiles, without unused bundles
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "django_bootstrap5",
    "import_export",
    "simple_history",
    "csp",  # django-csp: the Content-Security-Policy header below, and its settings check
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
    # The machine API (/api/v1/): Django REST framework, its OpenAPI schema (drf-spectacular) and the
    # reference page's Swagger UI from our own static files (the sidecar package; no CDN).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
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
# A session ends after a working day without a request (renewed by every request) and when the browser
# closes (the cookie has no expiry date), in every environment.
SESSION_COOKIE_AGE = int(float(os.environ.get("SESSION_IDLE_HOURS", "8")) * 3600)
SESSION_SAVE_EVERY_REQUEST = True  # each request pushes the expiry a further SESSION_COOKIE_AGE ahead
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # a session cookie, gone when the browser closes
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy in every environment, so the tests meet what production sends: scripts and
# styles only from our own static files (no inline <script>, on…= handler, javascript: URL or style="…"
# attribute; data for scripts goes in {{ …|json_script }}), images also as data: URIs (Bootstrap's
# form-control icons), nothing may frame the portal.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

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

# 公示 before payment (incentives/services/publicity.py): a published reward's notice period, in working days
# (anyang_hte/core/workdays.py) after the day of publication; its lines are paid from the day after its end.
PUBLICITY_NOTICE_WORKING_DAYS = int(os.environ.get("PUBLICITY_NOTICE_WORKING_DAYS", "5"))
# Who receives objections (the public page prints it); the reviewer may change it per publicity.
PUBLICITY_CONTACT_UNIT = os.environ.get("PUBLICITY_CONTACT_UNIT", "安阳市科学技术局")
PUBLICITY_CONTACT_PHONE = os.environ.get("PUBLICITY_CONTACT_PHONE", "0372-0000000")
PUBLICITY_CONTACT_ADDRESS = os.environ.get("PUBLICITY_CONTACT_ADDRESS", "安阳市人民大道东段市民之家")
# The public 公示 pages (/gongshi/, no log-in): at most this many requests per client IP in the window.
PUBLICITY_PUBLIC_LIMIT = int(os.environ.get("PUBLICITY_PUBLIC_LIMIT", "60"))
PUBLICITY_PUBLIC_WINDOW = int(os.environ.get("PUBLICITY_PUBLIC_WINDOW_SECONDS", "60"))

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
# A file larger than any form accepts is counted and dropped as it arrives, never kept in memory or on
# disk; its form then refuses it by its size (anyang_hte.core.uploads.SizeCappedUploadHandler).
FILE_UPLOAD_HANDLERS = [
    "anyang_hte.core.uploads.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Spreadsheet imports (ledger, official lists, published statistics): one set of limits for every path,
# page and command alike; a file over a limit is refused with the limit named, and nothing is written.
# The file as uploaded (checked before the whole upload is read, where the request says its length).
# The import streams (memory bounded whatever the size); a full-template ledger is about 220 bytes a row
# packed and 2.2 KB unpacked, so these two let IMPORT_MAX_ROWS rows through and no more than that.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(48 * 1024 * 1024)))
LEDGER_IMPORT_MAX_BYTES = IMPORT_MAX_BYTES  # the former name of IMPORT_MAX_BYTES
# An .xlsx is a zip: the unpacked size of all its parts together (declared and actually inflated).
IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", str(512 * 1024 * 1024)))
# Unpacked / packed size of one part over 1 MiB above which the file is a compression bomb.
IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "200"))
# Parts in an .xlsx (a real workbook has a few dozen).
IMPORT_MAX_ZIP_MEMBERS = int(os.environ.get("IMPORT_MAX_ZIP_MEMBERS", "2000"))
# Data rows of one import file (the statistics import keeps its own lower limit).
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
# Columns read from a sheet: cells further right are ignored (the ledger template has about 35).
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "256"))
# Characters of one CSV line (one cell may be at most as long).
IMPORT_MAX_LINE_CHARS = int(os.environ.get("IMPORT_MAX_LINE_CHARS", str(128 * 1024)))
# An uploaded import file never confirmed nor cancelled is deleted once this many hours old (hourly task,
# manage.py purge_import_stash). Keep it well above the longest background import job.
IMPORT_STASH_MAX_AGE_HOURS = float(os.environ.get("IMPORT_STASH_MAX_AGE_HOURS", "24"))

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
# The queue tasks go to and workers read by default (a test's worker gets a queue of its own).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# Nobody reads task results (runs and jobs keep their state in rows); not storing them also spares every
# publish a round trip to the result backend.
CELERY_TASK_IGNORE_RESULT = True
# Seconds to wait for the broker's TCP connection: a page that starts a job answers quickly when it is down.
BROKER_CONNECT_TIMEOUT = float(os.environ.get("BROKER_CONNECT_TIMEOUT", "2"))
# Seconds a Redis command may block on a connection the broker stopped answering (half-open TCP).
BROKER_SOCKET_TIMEOUT = float(os.environ.get("BROKER_SOCKET_TIMEOUT", "10"))
# Seconds before Redis hands an unacknowledged task (its worker was killed) to another worker. Longer
# than the longest job (a full ledger export or rollup takes minutes), or a live job would be redelivered.
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    # one connection attempt when publishing (kombu's default loop took ~6 s per publish with Redis down);
    # the worker's own reconnect loop (broker_connection_max_retries) is not affected
    "max_retries": 0,
    # look for abandoned tasks every 10 s × 6 (kombu: interval × throttle), not every 100 s
    "unacked_restore_throttle": 6,
}
# A publish is tried at most twice, briefly; anyang_hte.core.jobs.publish does not retry at all.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# A run or job whose heartbeat is older than this many seconds is stale: its worker died (or never took it).
JOBS_STALE_AFTER_SECONDS = int(os.environ.get("JOBS_STALE_AFTER_SECONDS", "300"))
# A stale run or job is queued again at most this many times in all, then marked failed with the reason.
JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", "3"))
# The rows that have a heartbeat and the task that runs one (its id as the only argument); see core/jobs.py.
JOBS_SWEPT = {
    "assessment.RollupRun": "assessment.tasks.rollup_indicators_task",
    "core.ExportJob": "anyang_hte.core.tasks.run_export",
    "core.ImportJob": "anyang_hte.core.tasks.run_import",
    "incentives.PaymentRun": "incentives.tasks.run_payment",
}
# Seconds each rollup step pauses (0 in real use; the worker-kill test slows a rollup down with it).
ROLLUP_STEP_PAUSE_SECONDS = float(os.environ.get("ROLLUP_STEP_PAUSE_SECONDS", "0"))
# The e-mail outbox: a message that failed is tried again with a growing pause, at most this many times.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "10"))
# Seconds a sender holds the messages it claimed before another sender may take them up again.
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
# Sent e-mails (their text may hold a set-password link) are deleted after this many days.
OUTBOX_KEEP_DAYS = int(os.environ.get("OUTBOX_KEEP_DAYS", "7"))
# How often beat sends the worker heartbeat task (seconds); /healthz fails the worker when the last
# heartbeat is older than HEALTHZ_HEARTBEAT_MAX_AGE (a few missed beats).
WORKER_HEARTBEAT_SECONDS = int(os.environ.get("WORKER_HEARTBEAT_SECONDS", "30"))
HEALTHZ_HEARTBEAT_MAX_AGE = int(os.environ.get("HEALTHZ_HEARTBEAT_MAX_AGE", "120"))
# Each /healthz check (database statement, Redis connect and read) gives up after this many seconds.
HEALTHZ_TIMEOUT_SECONDS = float(os.environ.get("HEALTHZ_TIMEOUT_SECONDS", "0.5"))
# If SECURE_SSL_REDIRECT is on, the load balancer's plain-HTTP probe of /healthz is still answered.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-jobs": {
        "task": "anyang_hte.core.tasks.sweep_stale_jobs",
        "schedule": 60.0,
    },
    "send-outbox-emails": {
        "task": "anyang_hte.core.tasks.sweep_outbox",
        "schedule": 60.0,
    },
    "purge-sent-emails-nightly": {
        "task": "anyang_hte.core.tasks.purge_outbox",
        "schedule": crontab(hour=2, minute=40),
    },
    "purge-old-import-jobs-nightly": {
        "task": "anyang_hte.core.tasks.purge_import_jobs",
        "schedule": crontab(hour=2, minute=35),
    },
    "clear-expired-sessions-nightly": {
        "task": "anyang_hte.core.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=0),
    },
    "purge-old-exports-nightly": {
        "task": "anyang_hte.core.tasks.purge_exports",
        "schedule": crontab(hour=2, minute=30),
    },
    "purge-import-stash-hourly": {
        "task": "anyang_hte.core.tasks.purge_import_stash",
        "schedule": crontab(minute=40),
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
    "worker-heartbeat": {
        "task": "anyang_hte.core.tasks.heartbeat",
        "schedule": WORKER_HEARTBEAT_SECONDS,
        "options": {"expires": WORKER_HEARTBEAT_SECONDS},
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@hte.anyang.gov.cn")

# Exports up to this many rows stream straight to the browser; larger ones run as a Celery job.
EXPORT_INLINE_ROWS = int(os.environ.get("EXPORT_INLINE_ROWS", "5000"))
# A batch with more unpaid lines than this is paid by a Celery job with a progress bar, not in the request.
PAYMENT_INLINE_LINES = int(os.environ.get("PAYMENT_INLINE_LINES", "500"))
# A payment job saves its progress (its heartbeat) after every this many lines.
PAYMENT_PROGRESS_LINES = int(os.environ.get("PAYMENT_PROGRESS_LINES", "300"))
EXPORT_BUILDERS = {
    "enterprises.ledger": "enterprises.exporters.build_ledger_exporter",
    "core.audit_log": "anyang_hte.core.audit_exporters.build_audit_log_exporter",
}

# Documents issued under a 文号 (anyang_hte/core/documents.py): per kind the prefix of its number series
# (安科通〔2026〕3号: prefix 安科通, a series per year from 1) and the issuing unit in its red header. A
# county batch's documents use county_prefix / county_unit with {name} and {short} of the county. The
# prefixes are the bureau's to confirm (unconfirmed: change them here before the first issue of a year).
ISSUED_DOCUMENTS = {
    "bulletin": {"prefix": "安科通", "unit": "安阳市科学技术局"},
    "reward_notice": {
        "prefix": "安财奖",
        "unit": "安阳市财政局",
        "county_prefix": "{short}财奖",
        "county_unit": "{name}财政局",
    },
    "payout_sheet": {
        "prefix": "安财拨",
        "unit": "安阳市财政局",
        "county_prefix": "{short}财拨",
        "county_unit": "{name}财政局",
    },
}
# A batch with more lines than this has its notice or payout sheet rendered by a Celery worker (100 lines
# take about 2 s in the request, 1,000 about 15 s), the issuer told by a message when it is there.
DOCUMENT_INLINE_LINES = int(os.environ.get("DOCUMENT_INLINE_LINES", "300"))
# Who may see the issued documents of a kind: the app that issues them says (a function user → Q or None).
ISSUED_DOCUMENT_SCOPES = {
    "bulletin": "assessment.documents.bulletin_documents_scope",
    "reward_notice": "incentives.issued_documents.batch_documents_scope",
    "payout_sheet": "incentives.issued_documents.batch_documents_scope",
}

# Imports: a file of at least IMPORT_JOB_MIN_ROWS data rows (counted cheaply, stopping there) or larger than
# IMPORT_JOB_MIN_BYTES is previewed and written by a Celery job with a progress page; smaller ones at once.
IMPORT_JOB_MIN_ROWS = int(os.environ.get("IMPORT_JOB_MIN_ROWS", "2000"))
# The uploaded size (bytes) above which an import always runs as a job, whatever its row count.
IMPORT_JOB_MIN_BYTES = int(os.environ.get("IMPORT_JOB_MIN_BYTES", str(1024 * 1024)))
# Row errors (and preview rows) an import job keeps to show on its page; the full error list is a download.
IMPORT_JOB_KEEP_ROWS = int(os.environ.get("IMPORT_JOB_KEEP_ROWS", "1000"))
# Import job kinds → the runner class that previews, applies and guards them (core names no app).
IMPORT_JOBS = {
    "enterprises.ledger": "enterprises.import_jobs.LedgerImportJob",
    "incentives.official_list": "incentives.import_jobs.OfficialListImportJob",
}

# Lists: above this many matching rows the page says "more than N" instead of counting them all.
LIST_COUNT_CAP = 10_000
# Rows on a list page unless the page offers its own choice; past the cap, lists page by position.
LIST_PAGE_SIZE = int(os.environ.get("LIST_PAGE_SIZE", "50"))

# The Django admin's django-import-export exports: the portal's two formats only, each cell through
# anyang_hte.core.admin_export (formulas neutralised). The admin imports nothing.
IMPORT_EXPORT_FORMATS = [XLSX, CSV]
# A control character pasted into a name (from Word, say) is replaced in the xlsx, not a failed export.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True

# Error reports (the administrators' e-mail in production) never show a cookie's value (the session).
DEFAULT_EXCEPTION_REPORTER_FILTER = "anyang_hte.core.reporting.PortalExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

PORTAL_ENVIRONMENT = "development"

# Development and tests serve static files straight from the finders; production from STATIC_ROOT.
WHITENOISE_AUTOREFRESH = DEBUG
# Source maps are for a developer's tools only: served as they are, not compressed (brotli on the Swagger
# UI bundle's multi-megabyte maps took most of collectstatic's time).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
WHITENOISE_USE_FINDERS = DEBUG


# --- the machine API (/api/v1/, api/) ---
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "UNICODE_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "安阳市高新技术企业培育管理平台 数据接口",
    "DESCRIPTION": (
        "Bearer 令牌；错误为 JSON（code、detail、errors 逐字段），默认中文，Accept-Language: en 为英文。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Requests per client (DRF's "number/period"), and the largest request body the API reads.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "600/minute")
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024)))
