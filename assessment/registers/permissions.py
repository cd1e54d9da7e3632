"""Who may keep the plan's registers: plain functions returning ``(allowed, reason)``.

Pages use the reason to say why a button is absent; the services call the same functions and refuse
with the reason when not allowed (``ensure_allowed(can_edit_carriers(by))``).
"""

from django.utils.translation import gettext as _

from anyang_hte.core.guards import Decision
from anyang_hte.core.roles import Right, has_right, is_city_wide

OK: Decision = (True, "")


def can_edit_carriers(user) -> Decision:
    """Carriers are recognised by the city (市科技局); counties see theirs read-only."""
    if not has_right(user, Right.REGISTER_EDIT):
        return False, _("您没有维护登记的权限。")
    if not is_city_wide(user):
        return False, _("孵化载体由市科技局认定登记，县区只能查看。")
    return OK
