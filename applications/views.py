"""Thin views of the application round: parse input, call one service or selector, render."""

from types import SimpleNamespace

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anyang_hte.core.errors import DomainError
from anyang_hte.core.exporters import FORMATS, export_response
from anyang_hte.core.pages import form_errors_message, form_page
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, has_right
from anyang_hte.core.scope import scope_enterprises
from enterprises.models import Enterprise
from enterprises.readiness import assess_enterprise

from . import permissions, selectors, services
from .exporters import RoundEntryExporter, ordered
from .forms import (
    CommentForm,
    DeclareForm,
    EntryFilterForm,
    OutcomeForm,
    ReturnForm,
    RoundDatesForm,
    RoundOpenForm,
)
from .models import ApplicationRound, RoundEntry
from .workflow import RIGHT_FOR, TRANSITIONS

S = RoundEntry.Status


def _crumbs(*more) -> list:
    return [(_("高企申报"), reverse("applications:round_list")), *more]


def _round(year: int) -> ApplicationRound:
    return get_object_or_404(ApplicationRound, year=year)


@require_right(Right.ROUND_VIEW)
def round_list(request):
    return render(
        request,
        "applications/round_list.html",
        {
            "rounds": selectors.rounds_with_counts(),
            "can_manage": has_right(request.user, Right.ROUND_MANAGE),
            "crumbs": [(_("高企申报"), None)],
        },
    )


@require_right(Right.ROUND_MANAGE)
def round_open(request):
    form = RoundOpenForm(request.POST or None)
    return form_page(
        request,
        form,
        save=lambda f: services.round_open(by=request.user, **f.cleaned_data),
        done=lambda r: _("%(round)s已开设。") % {"round": r},
        success_url=lambda r: reverse("applications:round", args=[r.year]),
        title=_("开设申报批次"),
        crumbs=_crumbs(),
        cancel=reverse("applications:round_list"),
    )


@require_right(Right.ROUND_MANAGE)
def round_edit(request, year: int):
    round_ = _round(year)
    initial = {
        "intention_deadline": round_.intention_deadline,
        "recommendation_deadline": round_.recommendation_deadline,
        "review_deadline": round_.review_deadline,
        "note": round_.note,
    }
    form = RoundDatesForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        save=lambda f: services.round_update(round=round_, by=request.user, **f.cleaned_data),
        done=_("申报批次的日期已修改。"),
        success_url=reverse("applications:round", args=[round_.year]),
        title=_("修改申报批次日期"),
        crumbs=_crumbs((str(round_), reverse("applications:round", args=[round_.year]))),
        cancel=reverse("applications:round", args=[round_.year]),
    )


@require_POST
@require_right(Right.ROUND_MANAGE)
def round_close(request, year: int):
    round_ = _round(year)
    try:
        services.round_close(round=round_, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(round)s已结束。") % {"round": round_})
    return redirect("applications:round", year=round_.year)


def _declarable(user, round_: ApplicationRound):
    """The enterprises the county may declare for: its own, not yet in the round."""
    taken = RoundEntry.objects.filter(round=round_).values("enterprise_id")
    return scope_enterprises(Enterprise.objects.all(), user).exclude(pk__in=taken).order_by("name")


def _filtered_entries(request, round_: ApplicationRound):
    """The round's entries in ``request.user``'s scope, narrowed by the page's filters; and the form."""
    scoped = selectors.entries_for(request.user, round_)
    form = EntryFilterForm(request.GET or None, user=request.user)
    entries = scoped.none() if form.is_bound else scoped  # an invalid filter shows nothing, and says why
    if form.is_valid():
        entries = selectors.filter_entries(
            scoped,
            jurisdiction=form.cleaned_data["jurisdiction"],
            status=form.cleaned_data["status"],
            stage=form.cleaned_data["stage"],
        )
    return scoped, entries, form


@require_right(Right.ROUND_VIEW)
def round_export(request, year: int, fmt: str):
    """The entries as filtered on the round page, in a spreadsheet."""
    if fmt not in FORMATS:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    round_ = _round(year)
    _scoped, entries, _form = _filtered_entries(request, round_)
    return export_response(RoundEntryExporter(round_, ordered(entries)), fmt)


@require_right(Right.ROUND_VIEW)
def round_detail(request, year: int):
    round_ = _round(year)
    scoped, entries, form = _filtered_entries(request, round_)
    entries = list(entries.order_by("enterprise__jurisdiction__sort_order", "enterprise__name", "pk"))
    for entry in entries:
        entry.moves_now = sorted(permissions.legal_moves(request.user, entry))
    can_declare = has_right(request.user, Right.ROUND_DECLARE) and round_.is_open
    return render(
        request,
        "applications/round_detail.html",
        {
            "round": round_,
            "filter": SimpleNamespace(form=form),  # the shared filter bar reads ``filter.form``
            "entries": entries,
            "totals": selectors.status_totals(selectors.filter_entries(scoped))
            if not form.is_bound
            else _totals(entries),
            "statuses": RoundEntry.Status.choices,
            "can_manage": has_right(request.user, Right.ROUND_MANAGE),
            "can_declare": can_declare,
            "declare_form": DeclareForm(enterprises=_declarable(request.user, round_))
            if can_declare
            else None,
            "crumbs": _crumbs((str(round_), None)),
        },
    )


def _totals(entries) -> dict[str, int]:
    counts = dict.fromkeys(S.values, 0)
    for entry in entries:
        counts[entry.status] += 1
    counts["all"] = len(entries)
    return counts


@require_POST
@require_right(Right.ROUND_VIEW)  # a firm declares on its own page (firms:round), not here
@require_right(Right.ROUND_DECLARE)
def round_declare(request, year: int):
    """The county declares an intention on a firm's behalf (the firm declares on its own round page)."""
    round_ = _round(year)
    form = DeclareForm(request.POST, enterprises=_declarable(request.user, round_))
    if not form.is_valid():
        messages.error(request, form_errors_message(form))
        return redirect("applications:round", year=round_.year)
    try:
        entry = services.entry_declare(
            round=round_, enterprise=form.cleaned_data["enterprise"], by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("applications:round", year=round_.year)
    messages.success(request, _("已代%(name)s登记申报意向。") % {"name": entry.enterprise.name})
    return redirect("applications:entry", pk=entry.pk)


def _entry_for(request, pk: int) -> RoundEntry:
    entry = selectors.entries_for(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


@require_right(Right.ROUND_VIEW)
def entry_detail(request, pk: int):
    entry = _entry_for(request, pk)
    moves = permissions.legal_moves(request.user, entry)
    # Why a move this user's office makes is not offered now (a deadline passed, the round closed).
    refusals = list(
        dict.fromkeys(
            permissions.can_move(request.user, entry, to)[1]
            for to in sorted(TRANSITIONS.get(entry.status, set()) - moves)
            if has_right(request.user, RIGHT_FOR[to])
        )
    )
    return render(
        request,
        "applications/entry_detail.html",
        {
            "entry": entry,
            "moves": entry.moves.select_related("by"),
            "legal": moves,
            "refusals": refusals,
            "verdict": assess_enterprise(entry.enterprise, year=entry.round.year),
            "return_form": ReturnForm(),
            "outcome_form": OutcomeForm(),
            "crumbs": _crumbs(
                (str(entry.round), reverse("applications:round", args=[entry.round.year])),
                (entry.enterprise.name, None),
            ),
        },
    )


def _comment_move(action: str, entry, by, comment: str):
    if action == "recommend":
        services.entry_recommend(entry=entry, by=by, comment=comment)
        return _("已推荐至市科技局。")
    if action == "hold":
        services.entry_hold(entry=entry, reason=comment, by=by)
        return _("已暂缓推荐。")
    if action == "pass":
        services.entry_pass(entry=entry, by=by, comment=comment)
        return _("初审已通过。")
    if action == "certify":
        services.entry_certify(entry=entry, by=by, comment=comment)
        return _("已登记为认定。")
    services.entry_withdraw(entry=entry, by=by, reason=comment)
    return _("已撤回申报。")


@require_POST
@require_right(Right.ROUND_VIEW)
def entry_move(request, pk: int):
    entry = _entry_for(request, pk)
    action = request.POST.get("action", "")
    try:
        if action == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                raise DomainError(form_errors_message(form))
            services.entry_return(
                entry=entry, reasons=form.reasons(), by=request.user, comment=form.cleaned_data["comment"]
            )
            done = _("已退回，原因已通知企业和县区。")
        elif action == "not_certify":
            form = OutcomeForm(request.POST)
            if not form.is_valid():
                raise DomainError(form_errors_message(form))
            services.entry_not_certify(
                entry=entry,
                outcome_reason=form.cleaned_data["outcome_reason"],
                text=form.cleaned_data["text"],
                by=request.user,
            )
            done = _("已登记为未通过。")
        else:
            form = CommentForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("请选择要办理的操作。"))
            done = _comment_move(
                form.cleaned_data["action"], entry, request.user, form.cleaned_data["comment"]
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("applications:entry", pk=entry.pk)
