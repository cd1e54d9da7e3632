"""The Little Giant reserve's pages (科技小巨人备案, plan task 2): thin views, as in ``views.py``.

The list of a year's candidates and entries (scoped: a county sees its own enterprises; filters for the
year, county, field and status; xlsx/csv export), an entry's page with its conditions, its history and
the moves the viewer may make now, and one form page per move. A move's page is its confirmation step:
it says what the move does (and that a decline, a confirmation or a removal cannot be undone) before
the form is sent; a refusal is shown on the form with what was typed.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from anyang_hte.core.dates import today
from anyang_hte.core.exporters import FORMATS, export_response
from anyang_hte.core.pages import form_page, querystring_without_page
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right
from enterprises.models import Enterprise

from . import little_giant, permissions, selectors, services
from .exporters import LittleGiantReserveExporter
from .filters import LittleGiantReserveFilter
from .forms import LgReserveMoveForm, LgReservePickForm, LgReserveProposeForm
from .models import LittleGiantReserveEntry
from .tables import LittleGiantReserveTable
from .workflow import MOVES, Move

LG_FORM_TEMPLATE = "assessment/registers/lg_reserve_form.html"


def _lg_crumbs(year: int | None = None):
    url = reverse("registers:lg_reserve")
    if year is not None and year != today().year:
        url += "?" + urlencode({"year": year})
    return [(_("科技小巨人备案"), url)]


def _lg_reserve(request):
    year = selectors.lg_reserve_year(request.GET.get("year"))
    data = request.GET.copy() or None
    if data is not None and "year" in data:
        data["year"] = str(year)  # a year out of range shows this year's list, and the bar says which year
    flt = LittleGiantReserveFilter(
        data, queryset=Enterprise.objects.for_user(request.user), user=request.user
    )
    return flt, selectors.lg_reserve_list(flt.qs, year=year, status=flt.chosen("status"))


def _status_links(request, reserve) -> list[tuple[str, str, int, str]]:
    """Each status with its count and the list filtered to it (the other filters kept)."""
    links = []
    choices = [(selectors.LG_NOT_PROPOSED, _("符合条件，未推荐")), *LittleGiantReserveEntry.Status.choices]
    for value, label in choices:
        query = request.GET.copy()
        query.pop("page", None)
        query["year"], query["status"] = reserve.year, value
        links.append((value, label, reserve.counts.get(value, 0), "?" + query.urlencode()))
    return links


@require_right(Right.ASSESSMENT_VIEW)
def lg_reserve(request):
    flt, reserve = _lg_reserve(request)
    can_propose = (
        permissions.can_lg_reserve_act(request.user, Move.PROPOSE)[0] and reserve.year == today().year
    )
    table = LittleGiantReserveTable(reserve.rows, year=reserve.year, can_propose=can_propose)
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    return render(
        request,
        "assessment/registers/little_giant_reserve.html",
        {
            "filter": flt,
            "reserve": reserve,
            "table": table,
            "status_links": _status_links(request, reserve),
            "can_propose": can_propose,
            "rd_min": little_giant.RD_SHARE_MIN_PERCENT,
            "ip_min": little_giant.IP_MIN,
            "querystring": querystring_without_page(request),
            "crumbs": [(_("科技小巨人备案"), None)],
        },
    )


@require_right(Right.ASSESSMENT_VIEW)
def lg_reserve_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    return export_response(LittleGiantReserveExporter(_lg_reserve(request)[1]), fmt)


@require_right(Right.ASSESSMENT_VIEW)
def lg_reserve_entry(request, pk: int):
    entry = selectors.lg_reserve_entry_for(request.user, pk)
    urls = {
        Move.PROPOSE: reverse("registers:lg_reserve_propose", args=[entry.enterprise_id]),
        **{m: reverse(f"registers:lg_reserve_{m}", args=[entry.pk]) for m in MOVES if m != Move.PROPOSE},
    }
    moves = [
        (move, Move(move).label, urls[move], MOVES[move].final)
        for move in permissions.lg_reserve_moves(request.user, entry)
    ]
    return render(
        request,
        "assessment/registers/little_giant_entry.html",
        {
            "entry": entry,
            "row": little_giant.row_for(entry.enterprise, year=entry.year),
            "moves": moves,
            "decisions": entry.decisions.select_related("by"),
            "crumbs": [*_lg_crumbs(entry.year), (_("%(year)d年 · %(name)s") % _lg_facts(entry), None)],
        },
    )


def _lg_facts(entry: LittleGiantReserveEntry) -> dict:
    return {"year": entry.year, "name": entry.enterprise.name}


def _lg_actor(request, move: str) -> None:
    """A page of ``move`` for those who make it: a county office proposes, the bureau decides (else 403)."""
    allowed, reason = permissions.can_lg_reserve_act(request.user, move)
    if not allowed:
        raise PermissionDenied(reason)


@require_right(Right.REGISTER_EDIT)
def lg_reserve_pick(request):
    """Step one of proposing an enterprise of the county's ledger that is not on the candidate list."""
    _lg_actor(request, Move.PROPOSE)
    form = LgReservePickForm(request.POST or None, queryset=Enterprise.objects.for_user(request.user))
    if request.method == "POST" and form.is_valid():
        return redirect("registers:lg_reserve_propose", pk=form.cleaned_data["enterprise"].pk)
    title = _("推荐其他企业")
    return render(
        request,
        LG_FORM_TEMPLATE,
        {
            "form": form,
            "title": title,
            "crumbs": [*_lg_crumbs(), (title, None)],
            "cancel": reverse("registers:lg_reserve"),
            "notice": _(
                "候选名单之外的本县区台账企业也可以推荐：下一步显示该企业各项条件的情况，不符合条件的须写明推荐理由。"
            ),
            "submit_label": _("下一步"),
        },
    )


@require_right(Right.REGISTER_EDIT)
def lg_reserve_propose(request, pk: int):
    enterprise = selectors.lg_reserve_enterprise_for(request.user, pk)
    _lg_actor(request, Move.PROPOSE)
    year = today().year
    entry = LittleGiantReserveEntry.objects.filter(enterprise=enterprise, year=year).first()
    row = little_giant.row_for(enterprise, year=year)
    allowed, reason = permissions.can_lg_reserve_move(
        request.user, Move.PROPOSE, jurisdiction_id=enterprise.jurisdiction_id, entry=entry, year=year
    )
    if row.is_candidate:
        notice = _("该企业符合%(year)d年科技小巨人备案的全部条件。提交后由市科技局确认。") % {"year": year}
    else:
        notice = _(
            "该企业不符合备案条件：%(failures)s。仍可推荐，但须写明理由，市科技局确认时可以看到；"
            "也可以先在培育台账中补充或更正数据。"
        ) % {"failures": "；".join(row.failures)}
    return form_page(
        request,
        LgReserveProposeForm(request.POST or None, candidate=row.is_candidate),
        save=lambda form: services.lg_reserve_propose(
            enterprise=enterprise, year=year, by=request.user, **form.cleaned_data
        ),
        done=_("已推荐“%(name)s”列入%(year)d年科技小巨人备案，等待市科技局确认。")
        % {"name": enterprise.name, "year": year},
        success_url=lambda e: reverse("registers:lg_reserve_entry", args=[e.pk]),
        title=_("推荐列入%(year)d年科技小巨人备案：%(name)s") % {"year": year, "name": enterprise.name},
        crumbs=_lg_crumbs(),
        cancel=reverse("registers:lg_reserve"),
        notice=notice,
        template=LG_FORM_TEMPLATE,
        context={
            "row": row,
            "entry": entry,
            # A page that cannot be used says why instead of showing the form; a post still goes to the
            # service, whose refusal the form shows with what was typed.
            "blocked": "" if allowed or request.method == "POST" else reason,
            "submit_label": _("提交推荐"),
        },
    )


LG_MOVE_SERVICES = {
    Move.WITHDRAW: lambda entry, text, by: services.lg_reserve_withdraw(entry=entry, reason=text, by=by),
    Move.CONFIRM: lambda entry, text, by: services.lg_reserve_confirm(entry=entry, comment=text, by=by),
    Move.DECLINE: lambda entry, text, by: services.lg_reserve_decline(entry=entry, reason=text, by=by),
    Move.REMOVE: lambda entry, text, by: services.lg_reserve_remove(entry=entry, reason=text, by=by),
}


def _lg_move_texts(move: str, facts: dict) -> tuple[str, str]:
    """What the page of ``move`` says before it (the consequence) and after it (done)."""
    if move == Move.WITHDRAW:
        return (
            _("撤回后，本年度仍可再次推荐该企业。"),
            _("已撤回对“%(name)s”的推荐。") % facts,
        )
    if move == Move.CONFIRM:
        return (
            _("确认后该企业列入%(year)d年科技小巨人备案名单。此操作不能撤销：以后只能写明理由将其移出备案。")
            % facts,
            _("已将“%(name)s”列入%(year)d年科技小巨人备案。") % facts,
        )
    if move == Move.DECLINE:
        return (
            _("不予确认后，该企业本年度不能再次推荐。此操作不能撤销；县区可以看到您填写的理由。"),
            _("已不予确认“%(name)s”的推荐。") % facts,
        )
    return (
        _("移出后该企业不再列入%(year)d年备案名单，记录保留。此操作不能撤销，本年度也不能再次推荐。") % facts,
        _("已将“%(name)s”移出%(year)d年科技小巨人备案。") % facts,
    )


def _lg_move_page(request, pk: int, move: str):
    entry = selectors.lg_reserve_entry_for(request.user, pk)
    _lg_actor(request, move)
    allowed, reason = permissions.can_lg_reserve_move(
        request.user, move, jurisdiction_id=entry.enterprise.jurisdiction_id, entry=entry, year=entry.year
    )
    facts = _lg_facts(entry)
    notice, done = _lg_move_texts(move, facts)
    entry_url = reverse("registers:lg_reserve_entry", args=[entry.pk])
    return form_page(
        request,
        LgReserveMoveForm(request.POST or None, move=move, required=MOVES[move].reason_required),
        save=lambda form: LG_MOVE_SERVICES[move](entry, form.cleaned_data["reason"], request.user),
        done=done,
        success_url=entry_url,
        title=_("%(move)s：%(name)s") % {"move": Move(move).label, "name": entry.enterprise.name},
        crumbs=[*_lg_crumbs(entry.year), (_("%(year)d年 · %(name)s") % facts, entry_url)],
        cancel=entry_url,
        notice=notice,
        template=LG_FORM_TEMPLATE,
        context={
            "row": little_giant.row_for(entry.enterprise, year=entry.year),
            "entry": entry,
            "blocked": "" if allowed or request.method == "POST" else reason,
            "submit_label": Move(move).label,
            "final": MOVES[move].final,
            "danger": move in (Move.DECLINE, Move.REMOVE),
        },
    )


@require_right(Right.REGISTER_EDIT)
def lg_reserve_withdraw(request, pk: int):
    return _lg_move_page(request, pk, Move.WITHDRAW)


@require_right(Right.ASSESSMENT_MANAGE)
def lg_reserve_confirm(request, pk: int):
    return _lg_move_page(request, pk, Move.CONFIRM)


@require_right(Right.ASSESSMENT_MANAGE)
def lg_reserve_decline(request, pk: int):
    return _lg_move_page(request, pk, Move.DECLINE)


@require_right(Right.ASSESSMENT_MANAGE)
def lg_reserve_remove(request, pk: int):
    return _lg_move_page(request, pk, Move.REMOVE)
