"""The firm follows its money (企业端 · 我的奖励): its rewards, what is still needed, its own papers, when
each share was paid. Uploading goes through the incentives service, which checks the firm's right and
that the reward is its own; submitting to the bureau stays the county's."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from anyang_hte.core.errors import DomainError
from anyang_hte.core.files import private_file_response
from incentives import permissions, selectors, services
from incentives.forms import DocumentForm
from incentives.models import Reward, RewardDocument
from incentives.views import add_document

from .access import firm_page

S = Reward.Status
# What the firm is told about where its reward stands, in plain words.
STATUS_EXPLAINED = {
    S.GENERATED: gettext_lazy("待县区申报：材料齐全后，由县区科技部门提交市科技局审核。"),
    S.SUBMITTED: gettext_lazy("县区已提交，等待市科技局审核。"),
    S.RETURNED: gettext_lazy("市科技局退回了申报，县区补充后重新提交。"),
    S.APPROVED: gettext_lazy("市科技局已批准，等待财政部门拨付。"),
    S.PAID: gettext_lazy("奖励资金已全部拨付。"),
    S.REJECTED: gettext_lazy("市科技局决定不予奖励。"),
    S.CANCELLED: gettext_lazy("该奖励已取消。"),
}
FIRM_DOCUMENT_KINDS = (RewardDocument.Kind.CERTIFICATE, RewardDocument.Kind.BANK)


def _latest_comment(reward, status) -> str:
    decisions = [d for d in reward.decisions.all() if d.to_status == status]
    return decisions[-1].comment if decisions else ""


def _reward_card(reward, user) -> dict:
    uploaded = {d.kind for d in reward.documents.all()}
    editable, why_not = permissions.can_edit_documents(user, reward)
    return {
        "reward": reward,
        "explained": str(STATUS_EXPLAINED.get(reward.status, "")),
        "reason": _latest_comment(reward, reward.status) if reward.status in (S.RETURNED, S.REJECTED) else "",
        "lines": list(reward.lines.all()),
        "documents": list(reward.documents.all()),
        "missing": services.missing_for_submission(reward)
        if reward.status in (S.GENERATED, S.RETURNED)
        else [],
        "still_needed": [k for k in FIRM_DOCUMENT_KINDS if k not in uploaded],
        "editable": editable,
        "why_not": why_not,
        "form": DocumentForm(prefix=f"r{reward.pk}", initial={"kind": RewardDocument.Kind.CERTIFICATE}),
    }


@require_safe
@firm_page
def rewards(request, *, enterprise):
    cards = [_reward_card(reward, request.user) for reward in selectors.firm_rewards(request.user)]
    return render(
        request,
        "firms/rewards.html",
        {
            "enterprise": enterprise,
            "cards": cards,
            "crumbs": [(_("企业端"), reverse("firms:home")), (_("我的奖励"), None)],
        },
    )


def _own_reward(request, pk: int) -> Reward:
    # Another firm's reward does not exist for this user: a 404, not a 403.
    return get_object_or_404(selectors.firm_rewards(request.user), pk=pk)


@require_POST
@firm_page
def document_upload(request, pk: int, *, enterprise):
    reward = _own_reward(request, pk)
    add_document(
        request,
        reward,
        DocumentForm(request.POST, request.FILES, prefix=f"r{reward.pk}"),
        done=_("材料已上传，县区科技部门核对后提交市科技局。"),
    )
    return redirect(reverse("firms:rewards") + f"#reward-{reward.pk}")


@require_POST
@firm_page
def document_remove(request, pk: int, document_pk: int, *, enterprise):
    reward = _own_reward(request, pk)
    document = get_object_or_404(RewardDocument, reward=reward, pk=document_pk)
    try:
        services.reward_document_remove(document=document, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("材料已删除。"))
    return redirect(reverse("firms:rewards") + f"#reward-{reward.pk}")


@require_safe
@firm_page
def document_download(request, pk: int, document_pk: int, *, enterprise):
    reward = _own_reward(request, pk)
    document = get_object_or_404(RewardDocument, reward=reward, pk=document_pk)
    return private_file_response(document.file, document.original_name)
