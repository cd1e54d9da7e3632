"""The firm's round page (企业端·高企申报): the open round and its deadlines, its intention to apply, and
its entry's status and history (with the reasons when held, returned or not certified)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from applications import permissions, selectors, services
from applications.models import RoundEntry
from applications.workflow import check_declare
from enterprises.readiness import assess_enterprise

from .access import firm_page


def _why_not_declare(user, round_, enterprise) -> str:
    """Why the firm cannot declare now (no open round, the deadline passed), or ""."""
    if round_ is None:
        return _("目前没有开放的高企申报批次。批次由市科技局开设，开设后可在此登记申报意向。")
    try:
        check_declare(user, round_, enterprise)
    except DomainError as exc:
        return exc.message
    return ""


@require_safe
@firm_page
def round_page(request, *, enterprise):
    round_ = selectors.open_round()
    entry = (
        RoundEntry.objects.select_related("round").filter(round=round_, enterprise=enterprise).first()
        if round_
        else None
    )
    past = (
        RoundEntry.objects.select_related("round")
        .filter(enterprise=enterprise)
        .exclude(pk=entry.pk if entry else None)
        .order_by("-round__year")
    )
    can_declare, why_not = False, ""
    if entry is None:
        why_not = _why_not_declare(request.user, round_, enterprise)
        can_declare = not why_not
    elif entry.status == RoundEntry.Status.WITHDRAWN:
        can_declare, why_not = permissions.can_move(request.user, entry, RoundEntry.Status.INTENTION)
        why_not = "" if can_declare else why_not
    # The engine's verdict for this round's year, so the firm declares knowing where it stands.
    verdict = assess_enterprise(enterprise, year=round_.year, today=today(), gaps=False) if round_ else None
    can_withdraw = bool(entry) and permissions.can_move(request.user, entry, RoundEntry.Status.WITHDRAWN)[0]
    return render(
        request,
        "firms/round.html",
        {
            "enterprise": enterprise,
            "round": round_,
            "verdict": verdict,
            "entry": entry,
            "moves": entry.moves.select_related("by") if entry else [],
            "past": past,
            "can_declare": can_declare,
            "why_not": why_not,
            "can_withdraw": can_withdraw,
            "today": today(),
            "crumbs": [(_("企业端"), None), (_("高企申报"), None)],
        },
    )


@require_POST
@firm_page
def round_declare(request, *, enterprise):
    round_ = selectors.open_round()
    if round_ is None:
        messages.error(request, _why_not_declare(request.user, None, enterprise))
        return redirect("firms:round")
    try:
        services.entry_declare(round=round_, enterprise=enterprise, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记申报意向，等待县区科技部门推荐。"))
    return redirect("firms:round")


@require_POST
@firm_page
def round_withdraw(request, *, enterprise):
    round_ = selectors.open_round()
    entry = RoundEntry.objects.filter(round=round_, enterprise=enterprise).first() if round_ else None
    if entry is None:
        messages.error(request, _("本企业在当前批次中没有申报记录。"))
        return redirect("firms:round")
    try:
        services.entry_withdraw(entry=entry, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回申报。"))
    return redirect("firms:round")
