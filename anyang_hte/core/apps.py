from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "anyang_hte.core"
    label = "core"
    verbose_name = _("门户基础")


class AxesConfig(AxesAppConfig):
    """django-axes under a Chinese name in the admin (its models and fields: locale/zh_Hans)."""

    verbose_name = _("登录防护")
