import logging

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.conf import settings
from django.contrib.staticfiles.apps import StaticFilesConfig as StaticFilesAppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True  # two AppConfig classes live here: without this Django used neither for "anyang_hte.core"
    name = "anyang_hte.core"
    label = "core"
    verbose_name = _("门户基础")

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)

        reason = getattr(settings, "PORTAL_PLAIN_HTTP_REASON", "")
        if getattr(settings, "PORTAL_PLAIN_HTTP", False):
            # Every process says at start-up that it runs without HTTPS, and why (production.py).
            logging.getLogger("anyang_hte.deploy").warning(
                "PORTAL_PLAIN_HTTP: served over plain HTTP without HSTS or secure cookies. Reason: %s", reason
            )


class AxesConfig(AxesAppConfig):
    """django-axes under a Chinese name in the admin (its models and fields: locale/zh_Hans)."""

    verbose_name = _("登录防护")


class StaticFilesConfig(StaticFilesAppConfig):
    """collectstatic leaves out what no page uses: drf-spectacular-sidecar's Redoc bundle (4.8 MB with its
    source map; the API reference page is Swagger UI, and Redoc's own <style> elements would break the CSP
    anyway)."""

    ignore_patterns = [*StaticFilesAppConfig.ignore_patterns, "redoc"]
