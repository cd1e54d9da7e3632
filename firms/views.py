from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .access import firm_page


@require_safe
@firm_page
def home(request, *, enterprise):
    """The firm's own record as the ledger holds it."""
    return render(
        request,
        "firms/home.html",
        {"enterprise": enterprise, "crumbs": [(_("企业端"), None), (enterprise.name, None)]},
    )
