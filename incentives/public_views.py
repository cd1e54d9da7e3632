"""The public 公示 pages (/gongshi/): no log-in, always in Chinese, light and printable, rate-limited.

They show what was published (the entries' snapshot: firm name, county, reward, amount), the notice
period and where to object; never bank data, never a user or an internal id beyond the publicity's own
number in its address. Each client IP may read ``PUBLICITY_PUBLIC_LIMIT`` pages per
``PUBLICITY_PUBLIC_WINDOW`` seconds; beyond it a 429 page says, in Chinese, when to come back.
"""

import math
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from anyang_hte.core import dates, throttle

from . import publicity_selectors as selectors
from .models import Publicity

LANGUAGE = "zh-hans"
CACHE_PREFIX = "gongshi:public:"


def public_page(view):
    """No log-in, Chinese whatever the visitor's language, and the per-IP limit (429 beyond it)."""

    @login_not_required
    @require_safe
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with translation.override(LANGUAGE):
            request.LANGUAGE_CODE = LANGUAGE
            wait = throttle.hit(
                CACHE_PREFIX,
                throttle.client_ip(request) or "unknown",
                limit=settings.PUBLICITY_PUBLIC_LIMIT,
                window=settings.PUBLICITY_PUBLIC_WINDOW,
            )
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                message = _("访问过于频繁：同一网络地址每 %(w)s 秒最多访问 %(n)s 次，请 %(s)s 秒后再试。") % {
                    "w": settings.PUBLICITY_PUBLIC_WINDOW,
                    "n": settings.PUBLICITY_PUBLIC_LIMIT,
                    "s": seconds,
                }
                response = render(request, "gongshi/429.html", {"message": message}, status=429)
                response["Retry-After"] = str(seconds)
            else:
                response = view(request, *args, **kwargs)
            response["Content-Language"] = LANGUAGE
            return response

    return wrapped


@public_page
def publicity_index(request):
    today = dates.today()
    current, past = selectors.public_publicities(today=today)
    return render(request, "gongshi/index.html", {"current": current, "past": past, "today": today})


@public_page
def publicity_page(request, pk: int):
    publicity = get_object_or_404(Publicity, pk=pk)
    if publicity.published_on > dates.today():  # not expected (published today), never shown early
        raise Http404
    entries = selectors.public_entries(publicity)
    total = sum(entry["amount"] for entry in entries)
    return render(
        request,
        "gongshi/detail.html",
        {"publicity": publicity, "entries": entries, "total": total, "today": dates.today()},
    )
