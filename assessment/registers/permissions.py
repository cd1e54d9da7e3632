"""Who may keep the plan's registers: plain functions returning ``(allowed, reason)``.

Pages use the reason to say why a button is absent; the services call the same functions and refuse
with the reason when not allowed.
"""

from django.utils.translation import gettext as _

from anyang_hte.core.roles import CITY_WIDE_ROLES, Right, has_right


def can_edit_carriers(user) -> tuple[bool, str]:
    """Carriers are recognised by the city (市科技局); counties see theirs read-only."""
    if not has_right(user, Right.REGISTER_EDIT):
        return False, _("您没有维护登记的权限。")
    if user.role not in CITY_WIDE_ROLES:
        return False, _("孵化载体由市科技局认定登记，县区只能查看。")
    return True, ""
