from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FirmsConfig(AppConfig):
    """The enterprise's own door (企业端): firm accounts, and the pages a firm user works in."""

    name = "firms"
    verbose_name = _("企业端")
