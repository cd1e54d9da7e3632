from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from .models import Notification
from .roles import Right, has_right


def _unread_count(user) -> int:
    # Served by the partial index on unread rows (notification_user_unread).
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# The banner names the environment in the reader's language; an unknown value is shown as configured.
ENVIRONMENT_LABELS = {"development": _("开发"), "test": _("测试"), "staging": _("演示")}


def environment_label(value: str) -> str:
    return str(ENVIRONMENT_LABELS.get(value, value))


def portal(request):
    user = getattr(request, "user", None)
    context = {
        "portal_environment": settings.PORTAL_ENVIRONMENT,
        "portal_environment_label": environment_label(settings.PORTAL_ENVIRONMENT),
        "rights": {},
    }
    if getattr(request, "two_factor_pending", False):
        context["two_factor_pending"] = True  # password given, code not yet: no menus, no messages
        return context
    if user is not None and user.is_authenticated:
        context["rights"] = {r.name.lower(): has_right(user, r.value) for r in Right}
        # Lazy: counted only when a page draws the header (not for HTMX fragments).
        context["unread_notifications"] = SimpleLazyObject(lambda: _unread_count(user))
    return context
