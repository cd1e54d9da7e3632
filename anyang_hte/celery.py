import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anyang_hte.settings.dev")

app = Celery("anyang_hte")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
