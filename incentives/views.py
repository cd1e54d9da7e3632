"""Thin views of the incentives engine: parse input, call one service or selector, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anyang_hte.core.errors import DomainError
from anyang_hte.core.exporters import export_response
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.pages import form_errors_message, paginate_table
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, has_right
from enterprises.identifiers import normalise_credit_code
from enterprises.models import Enterprise

from . import balances, permissions, selectors, services
from .exporters import amount_in_words, payout_sheet_response
from .filters import LineFilter, RewardFilter
from .forms import (
    BatchForm,
    DocumentForm,
    OfficialListForm,
    OverrideForm,
    PaymentForm,
    ReviewForm,
    RowCreateForm,
    RowIgnoreForm,
    RowLinkForm,
    SubmitForm,
)
from .funding import office_paying, paying_office
from .models import (
    FundingLine,
    OfficialList,
    OfficialListRow,
    PayoutBatch,
    Reward,
    RewardDocument,
)
from .tables import BatchTable, LineTable, RewardTable


def _crumbs(*more) -> list:
    return [(_("奖励兑现"), reverse("incentives:reward_list")), *more]


# --- rewards -----------------------------------------------------------------------------------


@require_right(Right.REWARD_VIEW)
def reward_list(request):
    qs = Reward.objects.for_user(request.user).select_related(
        "enterprise", "jurisdiction", "rule", "qualification"
    )
    flt = RewardFilter(request.GET or None, queryset=qs, user=request.user)
    totals = flt.qs.order_by().aggregate(n=Count("pk"), amount=Sum("amount"))
    return render(
        request,
        "incentives/reward_list.html",
        {
            "filter": flt,
            "table": paginate_table(request, RewardTable(flt.qs)),
            "totals": totals,
            "crumbs": [(_("奖励兑现"), None)],
        },
    )


def _reward_for(request, pk) -> Reward:
    return get_object_or_404(
        Reward.objects.for_user(request.user).select_related(
            "enterprise", "jurisdiction", "rule", "qualification"
        ),
        pk=pk,
    )


@require_right(Right.REWARD_VIEW)
def reward_detail(request, pk: int):
    reward = _reward_for(request, pk)
    can_submit, submit_reason = permissions.can_submit(request.user, reward)
    can_review, review_reason = permissions.can_review(request.user, reward)
    can_edit_documents = permissions.can_edit_documents(request.user, reward)[0]
    lines = list(reward.lines.select_related("batch").all())
    funds, shortfalls = [], []
    if has_right(request.user, Right.BUDGET_VIEW):
        needs = balances.needs_of_lines(
            [line.pk for line in lines if line.status != FundingLine.Status.CANCELLED]
        )
        funds = balances.visible_statuses(request.user, funds=needs)
        if can_review and reward.status == Reward.Status.SUBMITTED:
            pending = [line.pk for line in lines if line.status == FundingLine.Status.PENDING]
            shortfalls = balances.shortfalls(balances.needs_of_lines(pending), batching=False)
    return render(
        request,
        "incentives/reward_detail.html",
        {
            "reward": reward,
            "lines": lines,
            "funds": funds,
            "shortfalls": shortfalls,
            "override_form": OverrideForm(),
            "documents": reward.documents.all(),
            "decisions": reward.decisions.select_related("by").all(),
            "can_submit": can_submit,
            "submit_reason": submit_reason,
            "can_review": can_review,
            "review_reason": review_reason,
            "can_edit_documents": can_edit_documents,
            "document_form": DocumentForm(),
            "submit_form": SubmitForm(),
            "review_form": ReviewForm(),
            "crumbs": _crumbs((str(reward), None)),
        },
    )


@require_POST
@require_right(Right.REWARD_SUBMIT)
def document_upload(request, pk: int):
    reward = _reward_for(request, pk)
    add_document(request, reward, DocumentForm(request.POST, request.FILES), done=_("材料已上传。"))
    return redirect("incentives:reward_detail", pk=reward.pk)


def add_document(request, reward: Reward, form: DocumentForm, *, done: str) -> None:
    """Upload one document of ``reward`` through the service (whoever the page is for: the county's
    reward page, the firm's 我的奖励) and say what happened."""
    if not form.is_valid():
        messages.error(request, form_errors_message(form))
        return
    try:
        services.reward_document_add(
            reward=reward, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


@require_POST
@require_right(Right.REWARD_SUBMIT)
def document_remove(request, pk: int, document_pk: int):
    reward = _reward_for(request, pk)
    document = get_object_or_404(RewardDocument, reward=reward, pk=document_pk)
    try:
        services.reward_document_remove(document=document, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("材料已删除。"))
    return redirect("incentives:reward_detail", pk=reward.pk)


@require_right(Right.REWARD_VIEW)
def document_download(request, pk: int, document_pk: int):
    # Documents are served only through the reward's scope, never straight from the media folder.
    reward = _reward_for(request, pk)
    document = get_object_or_404(RewardDocument, reward=reward, pk=document_pk)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name)


@require_POST
@require_right(Right.REWARD_SUBMIT)
def reward_submit(request, pk: int):
    reward = _reward_for(request, pk)
    form = SubmitForm(request.POST)
    form.is_valid()
    try:
        services.reward_submit(reward=reward, by=request.user, comment=form.cleaned_data.get("comment", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已提交市科技局审核。"))
    return redirect("incentives:reward_detail", pk=reward.pk)


@require_POST
@require_right(Right.REWARD_REVIEW)
def reward_review(request, pk: int):
    reward = _reward_for(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_message(form))
        return redirect("incentives:reward_detail", pk=reward.pk)
    action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
    try:
        if action == "approve":
            services.reward_approve(
                reward=reward,
                by=request.user,
                comment=comment,
                override_reason=OverrideForm(request.POST).reason(),
            )
            messages.success(request, _("已批准，资金明细转入待拨付。"))
        elif action == "return":
            services.reward_return(reward=reward, by=request.user, reason=comment)
            messages.success(request, _("已退回县区修改。"))
        else:
            services.reward_reject(reward=reward, by=request.user, reason=comment)
            messages.success(request, _("已决定不予奖励。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("incentives:reward_detail", pk=reward.pk)


# --- funding lines and payout batches ----------------------------------------------------------


@require_right(Right.PAYOUT_MANAGE)
def line_list(request):
    """Approved lines this finance office pays that are not yet in a batch."""
    qs = (
        FundingLine.objects.payable_by(request.user)
        .filter(status=FundingLine.Status.APPROVED)
        .select_related("reward__enterprise", "reward__rule", "jurisdiction", "batch")
    )
    flt = LineFilter(request.GET or None, queryset=qs, user=request.user)
    totals = flt.qs.order_by().aggregate(n=Count("pk"), amount=Sum("amount"))
    drafts = PayoutBatch.objects.for_user(request.user).filter(status=PayoutBatch.Status.DRAFT)
    funds = _office_funds(request.user)
    return render(
        request,
        "incentives/line_list.html",
        {
            "filter": flt,
            "table": paginate_table(request, LineTable(flt.qs)),
            "totals": totals,
            "drafts": drafts,
            "funds": funds,
            "batch_short": any(st.batch_short for st in funds),
            "override_form": OverrideForm(),
            "batch_form": BatchForm(),
            "crumbs": _crumbs((_("待拨付资金"), None)),
        },
    )


def _office_funds(user) -> list:
    """The funds this finance office pays that have money recorded or lines (``balances``)."""
    office = paying_office(user)
    if office is None:
        return []
    return [
        st
        for st in balances.visible_statuses(user, source=office.source)
        if office.pays(source=st.source, jurisdiction_id=st.fund.jurisdiction_id)
    ]


def _batch_source(user) -> tuple[str, Jurisdiction | None]:
    """The source (and county) of the batches this finance office builds (``funding.paying_office``)."""
    office = paying_office(user)
    if office is None:
        raise PermissionDenied(_("只有财政部门可以编制拨付批次。"))
    jurisdiction = Jurisdiction.objects.get(pk=office.jurisdiction_id) if office.jurisdiction_id else None
    return office.source, jurisdiction


@require_right(Right.PAYOUT_MANAGE)
def batch_list(request):
    qs = PayoutBatch.objects.for_user(request.user).annotate(
        line_count=Count("lines"), total=Sum("lines__amount")
    )
    table = paginate_table(request, BatchTable(qs.select_related("jurisdiction")))
    return render(
        request,
        "incentives/batch_list.html",
        {"table": table, "batch_form": BatchForm(), "crumbs": _crumbs((_("拨付批次"), None))},
    )


@require_POST
@require_right(Right.PAYOUT_MANAGE)
def batch_create(request):
    form = BatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写批次名称。"))
        return redirect("incentives:line_list")
    source, jurisdiction = _batch_source(request.user)
    try:
        # one transaction: a batch refused for its lines (beyond the appropriation) is not left behind empty
        with transaction.atomic():
            batch = services.batch_create(
                by=request.user, name=form.cleaned_data["name"], source=source, jurisdiction=jurisdiction
            )
            added = services.batch_add_matching(
                batch=batch,
                by=request.user,
                override_reason=OverrideForm(request.POST).reason(),
                **_line_filters(request),
            )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("incentives:line_list")
    messages.success(request, _("已创建批次，编入 %(n)d 笔资金。") % {"n": added})
    return redirect("incentives:batch_detail", pk=batch.pk)


def _line_filters(request) -> dict:
    """The line list's filters, as the batch service takes them."""
    flt = LineFilter(request.POST, queryset=FundingLine.objects.none(), user=request.user)
    flt.is_valid()
    data = getattr(flt.form, "cleaned_data", {})
    return {
        "rule": data.get("rule"),
        "jurisdiction": data.get("jurisdiction"),
        "approved_from": data.get("approved_from"),
        "approved_to": data.get("approved_to"),
    }


def _batch_for(request, pk) -> PayoutBatch:
    return get_object_or_404(PayoutBatch.objects.for_user(request.user).select_related("jurisdiction"), pk=pk)


def _batch_context(request, batch: PayoutBatch) -> dict:
    lines = list(selectors.batch_lines(batch))
    office = office_paying(source=batch.source, jurisdiction_id=batch.jurisdiction_id)
    funds = [
        st
        for st in balances.visible_statuses(
            request.user, funds=balances.needs_of_lines(line.pk for line in lines)
        )
        if office.pays(source=st.source, jurisdiction_id=st.fund.jurisdiction_id)
    ]
    return {"batch": batch, "lines": lines, "total": selectors.batch_total(batch), "funds": funds}


@require_right(Right.PAYOUT_MANAGE)
def batch_detail(request, pk: int):
    batch = _batch_for(request, pk)
    return render(
        request,
        "incentives/batch_detail.html",
        {
            **_batch_context(request, batch),
            "payment_form": PaymentForm(),
            "crumbs": _crumbs((_("拨付批次"), reverse("incentives:batch_list")), (batch.name, None)),
        },
    )


@require_right(Right.PAYOUT_MANAGE)
def batch_print(request, pk: int):
    """The batch as it is signed: no navigation, no forms, the signature block (制表人 / 审核人 / 负责人)."""
    batch = _batch_for(request, pk)
    context = _batch_context(request, batch)
    return render(
        request, "incentives/batch_print.html", {**context, "total_words": amount_in_words(context["total"])}
    )


@require_POST
@require_right(Right.PAYOUT_MANAGE)
def batch_action(request, pk: int, action: str):
    batch = _batch_for(request, pk)
    try:
        if action == "lock":
            services.batch_lock(batch=batch, by=request.user)
            messages.success(request, _("批次已锁定，可以导出拨付清单。"))
        elif action == "add":
            n = services.batch_add_matching(
                batch=batch,
                by=request.user,
                override_reason=OverrideForm(request.POST).reason(),
                **_line_filters(request),
            )
            messages.success(request, _("已编入 %(n)d 笔资金。") % {"n": n})
        elif action == "remove":
            line = get_object_or_404(FundingLine, batch=batch, pk=request.POST.get("line"))
            services.batch_remove_line(batch=batch, line=line, by=request.user)
            messages.success(request, _("已移出批次。"))
        elif action in ("pay", "pay_line"):
            form = PaymentForm(request.POST)
            if not form.is_valid():
                messages.error(request, form_errors_message(form))
                return redirect("incentives:batch_detail", pk=batch.pk)
            if action == "pay":
                n = services.batch_record_payment(batch=batch, by=request.user, **form.cleaned_data)
                messages.success(request, _("已登记 %(n)d 笔拨付。") % {"n": n})
            else:
                line = get_object_or_404(FundingLine, batch=batch, pk=request.POST.get("line"))
                services.payment_record(line=line, by=request.user, **form.cleaned_data)
                messages.success(request, _("已登记拨付。"))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("incentives:batch_detail", pk=batch.pk)


@require_right(Right.PAYOUT_MANAGE)
def batch_export(request, pk: int, fmt: str):
    batch = _batch_for(request, pk)
    if batch.status == PayoutBatch.Status.DRAFT:
        messages.error(request, _("请先锁定批次再导出拨付清单：锁定后清单内容不再变化。"))
        return redirect("incentives:batch_detail", pk=batch.pk)
    return payout_sheet_response(batch, fmt)


# --- budget ------------------------------------------------------------------------------------


BUDGET_GROUPS = [
    ("rule", gettext_lazy("奖励事项")),
    ("source", gettext_lazy("资金来源")),
    ("jurisdiction", gettext_lazy("县区")),
    ("year", gettext_lazy("年度")),
]


@require_right(Right.BUDGET_VIEW)
def budget(request, fmt: str | None = None):
    year = request.GET.get("year")
    year = int(year) if year and year.isdigit() else None
    chosen = [key for key, _label in BUDGET_GROUPS if key in request.GET.getlist("by")]
    group_by = tuple(chosen) if chosen else ("rule", "source")
    rows = selectors.budget_summary(request.user, year=year, group_by=group_by)
    funds = [] if fmt else balances.visible_statuses(request.user, year=year)
    if fmt:
        return export_response(selectors.BudgetExporter(rows, group_by=group_by, year=year), fmt)
    return render(
        request,
        "incentives/budget.html",
        {
            "rows": rows,
            "funds": funds,
            "year": year,
            "group_by": group_by,
            "groups": BUDGET_GROUPS,
            "crumbs": _crumbs((_("奖励资金统计"), None)),
        },
    )


# --- official lists ----------------------------------------------------------------------------


@require_right(Right.OFFICIAL_LIST_IMPORT)
def official_list_upload(request):
    form = OfficialListForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.official_list_import(
                fileobj=data["file"],
                filename=data["file"].name,
                kind=data["kind"],
                granted_on=data["granted_on"],
                title=data["title"],
                by=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("匹配 %(m)d 家，未匹配 %(u)d 家，新登记资质 %(q)d 项，新生成奖励 %(r)d 笔。")
                % {
                    "m": result.matched,
                    "u": result.unmatched,
                    "q": result.new_qualifications,
                    "r": result.new_rewards,
                },
            )
            return redirect("incentives:official_list_detail", pk=result.list.pk)
    lists = OfficialList.objects.order_by("-uploaded_at")[:50]
    return render(
        request,
        "incentives/official_list_upload.html",
        {"form": form, "lists": lists, "crumbs": _crumbs((_("认定名单"), None))},
    )


@require_right(Right.OFFICIAL_LIST_IMPORT)
def official_list_detail(request, pk: int):
    official = get_object_or_404(OfficialList, pk=pk)
    rows = official.rows.select_related("enterprise", "qualification").order_by("row_number")
    return render(
        request,
        "incentives/official_list_detail.html",
        {
            "official": official,
            "rows": rows,
            "link_form": RowLinkForm(),
            "create_form": RowCreateForm(),
            "ignore_form": RowIgnoreForm(),
            "crumbs": _crumbs(
                (_("认定名单"), reverse("incentives:official_list_upload")),
                (official.title or official.get_kind_display(), None),
            ),
        },
    )


@require_POST
@require_right(Right.OFFICIAL_LIST_IMPORT)
def official_list_row_action(request, pk: int, row_pk: int, action: str):
    row = get_object_or_404(OfficialListRow, official_list_id=pk, pk=row_pk)
    try:
        if action == "link":
            form = RowLinkForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("请填写要关联企业的统一社会信用代码。"))
            code = normalise_credit_code(form.cleaned_data["credit_code"])
            enterprise = Enterprise.objects.filter(credit_code=code).first()
            if enterprise is None:
                raise DomainError(_("台账中没有统一社会信用代码为 %(c)s 的企业。") % {"c": code})
            services.official_list_row_link(row=row, enterprise=enterprise, by=request.user)
        elif action == "create":
            form = RowCreateForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("请选择县区并填写统一社会信用代码。"))
            services.official_list_row_create(row=row, by=request.user, **form.cleaned_data)
        elif action == "ignore":
            form = RowIgnoreForm(request.POST)
            form.is_valid()
            services.official_list_row_ignore(
                row=row, by=request.user, reason=form.cleaned_data.get("reason", "")
            )
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已处理第 %(r)d 行。") % {"r": row.row_number})
    return redirect("incentives:official_list_detail", pk=pk)
