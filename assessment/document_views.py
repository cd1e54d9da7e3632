"""The bulletin page's 印发PDF button: the year's bulletin issued as a PDF under the next 文号."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anyang_hte.core.errors import DomainError
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right

from . import documents as bulletin_documents
from .forms import chosen_year


@require_POST
@require_right(Right.ASSESSMENT_MANAGE)
def bulletin_issue(request):
    """印发: the year's bulletin as a PDF under the next 文号 (a new number each time; the old ones stay)."""
    year = chosen_year(request.POST)
    try:
        document = bulletin_documents.bulletin_issue(year=year, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("通报已印发，文号：%(number)s。") % {"number": document.number})
    return redirect(reverse("assessment:bulletin") + f"?year={year}")
