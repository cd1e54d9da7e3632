"""The staff's 公示 pages: the list of publicities, publishing a batch or an approval round (the tech
bureau), one publicity with its entries and objections (recording and deciding them: the tech bureau).

Everyone with ``REWARD_VIEW`` sees the publicities, scoped like the rewards (``Reward.for_user``): a
county office sees the publicities holding a reward of its county, and only those entries; an
objection's content and its objector only the tech bureau (who records and decides them) and finance
(whose payment it holds) see; others see that an entry has an open objection.
"""

from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anyang_hte.core import dates
from anyang_hte.core.errors import DomainError
from anyang_hte.core.pages import add_refusal_to_form
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, has_right

from . import publicity_selectors as selectors
from .models import FundingLine, PayoutBatch, Publicity, PublicityEntry, PublicityObjection, Reward
from .publicity_forms import ObjectionForm, PublishBatchForm, PublishRoundForm, ResolveForm
from .services import publicity as services


def _crumbs(*more) -> list:
    return [
        (_("奖励兑现"), reverse("incentives:reward_list")),
        (_("拟奖励名单公示"), reverse("incentives:publicity_list")),
        *more,
    ]


def _visible(user):
    """Publicities holding a reward the user may see (all, for the city-wide offices)."""
    mine = PublicityEntry.objects.filter(publicity=OuterRef("pk"), reward__in=Reward.objects.for_user(user))
    return Publicity.objects.filter(Exists(mine))


def _publicity_for(request, pk) -> Publicity:
    return get_object_or_404(_visible(request.user), pk=pk)


@require_right(Right.REWARD_VIEW)
def publicity_list(request):
    return render(
        request,
        "incentives/publicity_list.html",
        {
            "publicities": selectors.publicities_for_staff().filter(
                pk__in=_visible(request.user).values("pk")
            ),
            "today": dates.today(),
            "can_publish": has_right(request.user, Right.REWARD_REVIEW),
            "crumbs": _crumbs()[:-1] + [(_("拟奖励名单公示"), None)],
        },
    )


def _batches_to_publish(user):
    """Batches with a line to pay whose reward is not published yet (what a batch publish would take)."""
    unpublished = FundingLine.objects.filter(
        batch=OuterRef("pk"), status=FundingLine.Status.BATCHED, reward__publicity_entry__isnull=True
    )
    return (
        PayoutBatch.objects.for_user(user)
        .exclude(status=PayoutBatch.Status.PAID)
        .filter(Exists(unpublished))
        .select_related("jurisdiction")
        .order_by("-created_at", "-id")
    )


@require_right(Right.REWARD_REVIEW)
def publicity_new(request):
    """Publish a batch (``?batch=<id>`` preselects it) or an approval round; a refusal keeps the form."""
    batches = _batches_to_publish(request.user)
    batch_form = PublishBatchForm(initial={"batch": request.GET.get("batch")}, batches=batches, prefix="b")
    round_form = PublishRoundForm(prefix="r")
    if request.method == "POST":
        which = request.POST.get("which")
        form = (
            PublishBatchForm(request.POST, batches=batches, prefix="b")
            if which == "batch"
            else PublishRoundForm(request.POST, prefix="r")
        )
        if which == "batch":
            batch_form = form
        else:
            round_form = form
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if which == "batch":
                    publicity = services.publicity_publish_batch(by=request.user, **data)
                else:
                    publicity = services.publicity_publish_round(by=request.user, **data)
            except DomainError as exc:
                add_refusal_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("已发布公示，共 %(n)d 项，公示期 %(a)s 至 %(b)s。")
                    % {
                        "n": publicity.entries.count(),
                        "a": publicity.starts_on.isoformat(),
                        "b": publicity.ends_on.isoformat(),
                    },
                )
                return redirect(publicity)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "incentives/publicity_new.html",
        {
            "batch_form": batch_form,
            "round_form": round_form,
            "working_days": settings.PUBLICITY_NOTICE_WORKING_DAYS,
            "crumbs": _crumbs((_("发布公示"), None)),
        },
        status=status,
    )


def _publicity_page(request, publicity: Publicity, *, objection_form=None, resolve_forms=None, status=200):
    entries = list(
        selectors.publicity_entries(publicity).filter(reward__in=Reward.objects.for_user(request.user))
    )
    reviewer = has_right(request.user, Right.REWARD_REVIEW)
    resolve_forms = resolve_forms or {}
    for entry in entries:
        for objection in entry.objections.all():
            if objection.status == PublicityObjection.Status.OPEN:
                form = resolve_forms.get(objection.pk) or ResolveForm(prefix=f"o{objection.pk}")
                objection.resolve_form = form
    return render(
        request,
        "incentives/publicity_detail.html",
        {
            "publicity": publicity,
            "entries": entries,
            "today": dates.today(),
            "reviewer": reviewer,
            "sees_objections": reviewer or has_right(request.user, Right.PAYOUT_MANAGE),
            "objection_form": objection_form
            or ObjectionForm(entries=entries, initial={"received_on": dates.today()}),
            "crumbs": _crumbs((publicity.title, None)),
        },
        status=status,
    )


@require_right(Right.REWARD_VIEW)
def publicity_detail(request, pk: int):
    return _publicity_page(request, _publicity_for(request, pk))


@require_POST
@require_right(Right.REWARD_REVIEW)
def objection_record(request, pk: int):
    publicity = _publicity_for(request, pk)
    entries = list(publicity.entries.order_by("position"))
    form = ObjectionForm(request.POST, entries=entries)
    if form.is_valid():
        data = dict(form.cleaned_data)
        entry = get_object_or_404(PublicityEntry, publicity=publicity, pk=data.pop("entry"))
        try:
            services.objection_record(entry=entry, by=request.user, **data)
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, _("已登记异议：该奖励的资金在异议处理完毕前不能拨付。"))
            return redirect(publicity)
    return _publicity_page(request, publicity, objection_form=form, status=400)


@require_POST
@require_right(Right.REWARD_REVIEW)
def objection_resolve(request, pk: int, objection_pk: int):
    publicity = _publicity_for(request, pk)
    objection = get_object_or_404(PublicityObjection, entry__publicity=publicity, pk=objection_pk)
    form = ResolveForm(request.POST, prefix=f"o{objection.pk}")
    if form.is_valid():
        upheld = form.cleaned_data["outcome"] == PublicityObjection.Status.UPHELD
        try:
            services.objection_resolve(
                objection=objection, upheld=upheld, reason=form.cleaned_data["reason"], by=request.user
            )
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(
                request,
                _("异议成立：该奖励已不予奖励，未拨付的资金明细已取消。")
                if upheld
                else _("异议不成立：公示期满后该奖励可以拨付。"),
            )
            return redirect(publicity)
    return _publicity_page(request, publicity, resolve_forms={objection.pk: form}, status=400)
