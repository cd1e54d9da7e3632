"""The enterprise page's block of the firm's submissions waiting for the county."""

from django import template

from anyang_hte.core.roles import Right, has_right

from ..models import FirmSubmission

register = template.Library()


@register.simple_tag(takes_context=True)
def open_submissions(context, enterprise):
    """The enterprise's submissions waiting for its county, for an official who may decide them (None:
    the block is not shown). The page already showed the enterprise inside the official's scope."""
    request = context.get("request")
    if request is None or not has_right(request.user, Right.LEDGER_EDIT):
        return None
    return list(
        FirmSubmission.objects.filter(enterprise=enterprise, status=FirmSubmission.Status.SUBMITTED)
        .select_related("submitted_by")
        .order_by("submitted_at", "pk")
    )
