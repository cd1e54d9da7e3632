import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES

PORTAL_ENVIRONMENT = "test"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_FAILURE_LIMIT = 5
# Each test process counts in its own memory (CI sets REDIS_URL; parallel workers must not share counts).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

# Tasks run in-process even when REDIS_URL is set (CI sets it), so tests never need a running worker.
# CELERY_EAGER=0 keeps the broker for a test run against a real worker.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_EAGER", "1") != "0"
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Uploaded and generated files of a test run go to a throwaway folder, never into the checkout.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="anyang-hte-test-media-"))
