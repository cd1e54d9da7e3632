from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    """The yearly HTE application round (申报批次): intention → county recommendation → city 初审 →
    the province's outcome."""

    name = "applications"
    verbose_name = _("高企申报")

    def ready(self):
        from enterprises import signals

        from . import receivers

        signals.qualification_recorded.connect(
            receivers.on_qualification_recorded, dispatch_uid="applications.qualification_recorded"
        )
