from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = _("奖励兑现")

    def ready(self):
        from enterprises import signals

        from . import receivers

        signals.qualification_recorded.connect(
            receivers.on_qualification_recorded, dispatch_uid="incentives.qualification_recorded"
        )
        signals.qualification_revoked.connect(
            receivers.on_qualification_revoked, dispatch_uid="incentives.qualification_revoked"
        )
