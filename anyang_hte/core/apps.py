from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "anyang_hte.core"
    label = "core"
    verbose_name = _("门户基础")
