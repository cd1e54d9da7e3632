"""The batch page's 印发 buttons: a locked batch's reward notice or payout sheet issued as a PDF."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anyang_hte.core.errors import DomainError
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right

from . import issued_documents, services
from .models import FundingLine
from .views import _batch_for


@require_POST
@require_right(Right.PAYOUT_MANAGE)
def batch_document_issue(request, pk: int, kind: str):
    """印发 the batch's reward notice or payout sheet as a PDF under the next 文号."""
    batch = _batch_for(request, pk)
    if kind not in issued_documents.KINDS:
        raise Http404
    try:
        if batch.lines.exclude(status=FundingLine.Status.CANCELLED).count() > settings.DOCUMENT_INLINE_LINES:
            services.batch_document_issue_start(batch=batch, kind=kind, by=request.user)
            messages.info(request, _("本批次明细较多，已转入后台生成PDF，完成后将发消息通知您。"))
        else:
            document = services.batch_document_issue(batch=batch, kind=kind, by=request.user)
            messages.success(request, _("已印发，文号：%(number)s。") % {"number": document.number})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("incentives:batch_detail", pk=batch.pk)
