from django.conf import settings

from .roles import Right, has_right


def portal(request):
    user = getattr(request, "user", None)
    rights = {}
    if user is not None and user.is_authenticated:
        rights = {r.name.lower(): has_right(user, r.value) for r in Right}
    return {"portal_environment": settings.PORTAL_ENVIRONMENT, "rights": rights}
