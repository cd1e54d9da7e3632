"""The review queue's bulk approval, and the reward and funding-line lists as spreadsheets.

Thin views over ``views``' own table builders (the export holds what the page shows, in its order) and
one service (``services.rewards_approve``).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anyang_hte.core.errors import DomainError
from anyang_hte.core.exporters import FORMATS, export_response
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right

from . import services
from .list_exporters import LineListExporter, RewardListExporter
from .models import Reward
from .views import line_table_for, reward_table_for


@require_right(Right.REWARD_VIEW)
def reward_export(request, fmt: str):
    """The reward list (or the review queue) as filtered and sorted on the page, with its 合计 row."""
    if fmt not in FORMATS:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    _flt, table, queue = reward_table_for(request, paginate=False)
    return export_response(RewardListExporter(table.data.data, queue=queue), fmt)


@require_right(Right.PAYOUT_MANAGE)
def line_export(request, fmt: str):
    """The lines waiting for a batch as filtered and sorted on the page, with their 合计 row."""
    if fmt not in FORMATS:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    _flt, table = line_table_for(request, paginate=False)
    return export_response(LineListExporter(table.data.data), fmt)


# --- the review queue: several rewards approved at once ------------------------------------------


@require_POST
@require_right(Right.REWARD_REVIEW)
def reward_bulk_approve(request):
    """Approve the rewards ticked in the review queue, each checked on its own; the result per reward."""
    ids = [int(value) for value in request.POST.getlist("rewards") if value.isdigit()]
    chosen = Reward.objects.for_user(request.user).select_related("enterprise", "jurisdiction", "rule")
    chosen = list(chosen.filter(pk__in=ids))
    comment = (request.POST.get("comment") or "").strip()
    try:
        results = services.rewards_approve(rewards=chosen, by=request.user, comment=comment)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("incentives:reward_list") + "?status=submitted")
    approved = sum(1 for result in results if result.approved)
    if approved:
        messages.success(request, _("已批准 %(n)d 笔。") % {"n": approved})
    if approved < len(results):
        messages.error(request, _("%(n)d 笔未批准，原因见下表。") % {"n": len(results) - approved})
    return render(
        request,
        "incentives/bulk_approve_result.html",
        {
            "results": results,
            "approved": approved,
            "refused": len(results) - approved,
            "comment": comment,
            "crumbs": [
                (_("奖励兑现"), reverse("incentives:reward_list")),
                (_("审核队列"), reverse("incentives:reward_list") + "?status=submitted"),
                (_("批量批准结果"), None),
            ],
        },
    )
