"""View guards built on the one role table (roles.py)."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .roles import Right, has_right


def require_right(right: Right):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_right(request.user, right):
                raise PermissionDenied(_("您的角色没有“%(right)s”的权限。") % {"right": right.label})
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
