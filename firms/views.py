from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from enterprises.selectors import enterprise_page

from .access import firm_page


@require_safe
@firm_page
def home(request, *, enterprise):
    """The firm's own record as the ledger holds it: its data, qualifications, helper and timetable
    (read-only; the firm's own entries go through its submission pages, which its county confirms)."""
    today = timezone.localdate()
    page = enterprise_page(enterprise, today=today)
    return render(
        request,
        "firms/home.html",
        {
            "enterprise": enterprise,
            "page": page,
            "figures": page.figures[:3],
            "today": today,
            "crumbs": [(_("企业端"), None), (enterprise.name, None)],
        },
    )
