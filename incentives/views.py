"""Thin views of the incentives engine: parse input, call one service or selector, render."""

import datetime
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_tables2 import RequestConfig

from anyang_hte.core import dates
from anyang_hte.core.errors import DomainError
from anyang_hte.core.exporters import export_response
from anyang_hte.core.files import private_file_response
from anyang_hte.core.import_jobs import import_job_create, import_jobs_for
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.pages import add_refusal_to_form, form_errors_message, paginate_table
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right, has_right
from anyang_hte.core.stash import stash_dir
from anyang_hte.core.workdays import Deadlines
from enterprises.identifiers import normalise_credit_code
from enterprises.import_jobs import runs_as_job
from enterprises.import_parsing import stash_upload
from enterprises.models import Enterprise

from . import balances, issued_documents, permissions, publicity_selectors, selectors, services
from . import deadlines as limits
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
from .import_jobs import OfficialListImportJob
from .models import (
    FundingLine,
    OfficialList,
    OfficialListRow,
    PaymentRun,
    PayoutBatch,
    PublicityEntry,
    Reward,
    RewardDocument,
)
from .tables import BatchTable, LineTable, RewardTable


def _crumbs(*more) -> list:
    return [(_("奖励兑现"), reverse("incentives:reward_list")), *more]


# --- rewards -----------------------------------------------------------------------------------


def reward_table_for(request, *, paginate: bool = True):
    """The reward list as the page shows it (scoped, filtered, sorted); the export takes the same rows.

    The review queue (待审核) lists the longest waiting first unless a column is sorted; a reviewer
    gets a tick box on each reward they may approve now.
    """
    qs = limits.with_clock(
        Reward.objects.for_user(request.user).select_related(
            "enterprise", "jurisdiction", "rule", "qualification"
        )
    )
    deadlines = Deadlines.load()
    flt = RewardFilter(request.GET or None, queryset=qs, user=request.user, deadlines=deadlines)
    rewards = flt.qs
    queue = _is_queue(flt)
    if queue:
        rewards = rewards.order_by("submitted_at", "pk")
    reviewer = request.user if has_right(request.user, Right.REWARD_REVIEW) else None
    table = RewardTable(rewards, reviewer=reviewer, deadlines=deadlines)
    if paginate:
        paginate_table(request, table)
    else:
        RequestConfig(request, paginate=False).configure(table)
    return flt, table, queue


def _is_queue(flt) -> bool:
    flt.is_valid()
    return getattr(flt.form, "cleaned_data", {}).get("status") == Reward.Status.SUBMITTED


@require_right(Right.REWARD_VIEW)
def reward_list(request):
    flt, table, queue = reward_table_for(request)
    totals = selectors.reward_totals(flt.qs)
    return render(
        request,
        "incentives/reward_list.html",
        {
            "filter": flt,
            "table": table,
            "totals": totals,
            "queue": queue,
            "can_bulk_approve": queue and table.reviewer is not None and bool(totals["n"]),
            "crumbs": [(_("奖励兑现"), None)],
        },
        status=table.paging.status,
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
    return _reward_page(request, _reward_for(request, pk))


def _reward_page(request, reward: Reward, *, status: int = 200, **forms):
    """The reward's page; a refused form comes back bound (``forms``), keeping what was typed."""
    user = request.user
    can_submit, submit_reason = permissions.can_submit(user, reward)
    can_review, review_reason = permissions.can_review(user, reward)
    can_edit_documents, documents_reason = permissions.can_edit_documents(user, reward)
    lines = list(reward.lines.select_related("batch").all())
    funds, shortfalls = [], []
    if has_right(user, Right.BUDGET_VIEW):
        needs = balances.needs_of_lines(
            [line.pk for line in lines if line.status != FundingLine.Status.CANCELLED]
        )
        funds = balances.visible_statuses(user, funds=needs)
        if can_review and reward.status == Reward.Status.SUBMITTED:
            pending = [line.pk for line in lines if line.status == FundingLine.Status.PENDING]
            shortfalls = balances.shortfalls(balances.needs_of_lines(pending), batching=False)
    publicity_state = None
    publicity_entry = PublicityEntry.objects.filter(reward=reward).select_related("publicity").first()
    if reward.status == Reward.Status.APPROVED:  # 公示 before payment: where the reward stands
        publicity_state = publicity_selectors.reward_state(reward, today=dates.today())
    return render(
        request,
        "incentives/reward_detail.html",
        {
            "reward": reward,
            "lines": lines,
            "publicity_state": publicity_state,
            "publicity_entry": publicity_entry,
            "funds": funds,
            "shortfalls": shortfalls,
            "override_form": forms.get("override_form") or OverrideForm(),
            "documents": reward.documents.all(),
            "decisions": reward.decisions.select_related("by").all(),
            "can_submit": can_submit,
            "can_review": can_review,
            "no_action": _no_action_line(user, reward, submit_reason, review_reason),
            "can_edit_documents": can_edit_documents,
            # Why the papers are fixed, for the county office that would otherwise change them.
            "documents_reason": documents_reason if has_right(user, Right.REWARD_SUBMIT) else "",
            "document_form": forms.get("document_form") or DocumentForm(),
            "submit_form": forms.get("submit_form") or SubmitForm(),
            "review_form": forms.get("review_form") or ReviewForm(),
            "crumbs": _crumbs((str(reward), None)),
        },
        status=status,
    )


def _no_action_line(user, reward: Reward, submit_reason: str, review_reason: str) -> str:
    """Where no move is offered, the one line that says why: to a reviewer why they cannot review, to
    the county why it cannot submit, to anyone else where the reward stands."""
    if has_right(user, Right.REWARD_REVIEW):
        return review_reason
    if has_right(user, Right.REWARD_SUBMIT):
        return submit_reason
    return permissions.waiting_for(reward)


@require_POST
@require_right(Right.REWARD_SUBMIT)
def document_upload(request, pk: int):
    reward = _reward_for(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not add_document(request, reward, form, done=_("材料已上传。")):
        return _reward_page(request, reward, document_form=form)
    return redirect("incentives:reward_detail", pk=reward.pk)


def add_document(request, reward: Reward, form: DocumentForm, *, done: str) -> bool:
    """Upload one document of ``reward`` through the service (whoever the page is for: the county's
    reward page, the firm's 我的奖励) and say what happened; a refusal is also put on ``form`` (the field
    it concerns), so a page that shows the form again keeps the chosen type. Returns whether it was saved.
    """
    if not form.is_valid():
        messages.error(request, form_errors_message(form))
        return False
    try:
        services.reward_document_add(
            reward=reward, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], by=request.user
        )
    except DomainError as exc:
        if exc.field == "upload":  # the service's upload is this form's file
            exc.field = "file"
        add_refusal_to_form(form, exc)
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


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
    return private_file_response(document.file, document.original_name)


@require_POST
@require_right(Right.REWARD_SUBMIT)
def reward_submit(request, pk: int):
    reward = _reward_for(request, pk)
    form = SubmitForm(request.POST)
    form.is_valid()
    try:
        services.reward_submit(reward=reward, by=request.user, comment=form.cleaned_data.get("comment", ""))
    except DomainError as exc:
        # The page again, the comment kept, the refusal on the form (and said at the top).
        messages.error(request, exc.message)
        add_refusal_to_form(form, exc)
        return _reward_page(request, reward, submit_form=form)
    messages.success(request, _("已提交市科技局审核。"))
    return redirect("incentives:reward_detail", pk=reward.pk)


REVIEWS = {
    "approve": (services.reward_approve, "comment", gettext_lazy("已批准，资金明细转入待拨付。")),
    "return": (services.reward_return, "reason", gettext_lazy("已退回县区修改。")),
    "reject": (services.reward_reject, "reason", gettext_lazy("已决定不予奖励。")),
}


@require_POST
@require_right(Right.REWARD_REVIEW)
def reward_review(request, pk: int):
    reward = _reward_for(request, pk)
    form = ReviewForm(request.POST)
    override_form = OverrideForm(request.POST)
    if form.is_valid():
        act, text_arg, done = REVIEWS[form.cleaned_data["action"]]
        extra = {}
        if form.cleaned_data["action"] == "approve":  # beyond the balance only with a recorded reason
            extra["override_reason"] = override_form.reason()
        try:
            act(reward=reward, by=request.user, **{text_arg: form.cleaned_data["comment"]}, **extra)
        except DomainError as exc:
            if exc.field == "reason":  # the services' "reason" is this form's comment box
                exc.field = "comment"
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, str(done))
            return redirect("incentives:reward_detail", pk=reward.pk)
    # Refused: the page again with the chosen action and the comment kept, the field marked.
    messages.error(request, form_errors_message(form))
    return _reward_page(request, _reward_for(request, pk), review_form=form, override_form=override_form)


# --- funding lines and payout batches ----------------------------------------------------------


def line_table_for(request, *, paginate: bool = True):
    """Approved lines this finance office pays that are not yet in a batch, as filtered and sorted."""
    qs = (
        FundingLine.objects.payable_by(request.user)
        .filter(status=FundingLine.Status.APPROVED)
        .select_related("reward__enterprise", "reward__rule", "jurisdiction", "batch")
    )
    deadlines = Deadlines.load()
    flt = LineFilter(request.GET or None, queryset=qs, user=request.user, deadlines=deadlines)
    table = LineTable(flt.qs, deadlines=deadlines)
    if paginate:
        paginate_table(request, table)
    else:
        RequestConfig(request, paginate=False).configure(table)
    return flt, table


@require_right(Right.PAYOUT_MANAGE)
def line_list(request, *, batch_form=None, override_form=None, status: int = 200):
    flt, table = line_table_for(request)
    totals = flt.qs.order_by().aggregate(n=Count("pk"), amount=Sum("amount"))
    drafts = PayoutBatch.objects.for_user(request.user).filter(status=PayoutBatch.Status.DRAFT)
    funds = _office_funds(request.user)
    return render(
        request,
        "incentives/line_list.html",
        {
            "filter": flt,
            "table": table,
            "totals": totals,
            "drafts": drafts,
            "funds": funds,
            "batch_short": any(st.batch_short for st in funds),
            "override_form": override_form or OverrideForm(),
            "batch_form": batch_form or BatchForm(),
            "crumbs": _crumbs((_("待拨付资金"), None)),
        },
        status=status,
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
    override_form = OverrideForm(request.POST)
    if form.is_valid():
        source, jurisdiction = _batch_source(request.user)
        try:
            # one transaction: a batch refused for its lines (beyond the appropriation) is not left empty
            with transaction.atomic():
                batch = services.batch_create(
                    by=request.user, name=form.cleaned_data["name"], source=source, jurisdiction=jurisdiction
                )
                added = services.batch_add_matching(
                    batch=batch,
                    by=request.user,
                    override_reason=override_form.reason(),
                    **_line_filters(request),
                )
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, _("已创建批次，编入 %(n)d 笔资金。") % {"n": added})
            return redirect("incentives:batch_detail", pk=batch.pk)
    # Refused: the line list again (its filters ride on the form's address), the name kept and marked.
    messages.error(request, form_errors_message(form))
    return line_list(request, batch_form=form, override_form=override_form)


def _line_filters(request) -> dict:
    """The line list's filters, as the batch service takes them."""
    flt = LineFilter(request.POST, queryset=FundingLine.objects.none(), user=request.user)
    flt.is_valid()
    data = getattr(flt.form, "cleaned_data", {})
    approved_to = data.get("approved_to")
    if data.get("overdue"):  # 只看超期 is "approved on or before the last overdue day"
        last = limits.payment_overdue_approved_to(flt.deadlines)
        approved_to = min(approved_to, last) if approved_to else last
    return {
        "rule": data.get("rule"),
        "jurisdiction": data.get("jurisdiction"),
        "approved_from": data.get("approved_from"),
        "approved_to": approved_to,
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
    return _batch_page(request, _batch_for(request, pk))


def _batch_page(request, batch: PayoutBatch, *, payment_form=None):
    """The batch's page: only the moves legal now are offered, with a line saying why where none is."""
    context = _batch_context(request, batch)
    line_count = len(context["lines"])
    can_lock, lock_reason = permissions.can_lock_batch(request.user, batch, line_count=line_count)
    can_pay, pay_reason = permissions.can_pay_batch(request.user, batch)
    run = batch.payment_runs.first()  # the latest
    can_issue, issue_reason = permissions.can_issue_batch_documents(request.user, batch)
    if run is not None and run.is_active:
        can_pay, pay_reason = False, _("拨付登记中：后台正在登记本批次的拨付，完成后本页自动刷新。")
    # 公示: each line's state today; a batch with a line still held is not offered for payment
    states = publicity_selectors.line_states(context["lines"], today=dates.today())
    for line in context["lines"]:
        line.publicity_state = states[line.pk]
    held = [
        line
        for line in context["lines"]
        if line.status == FundingLine.Status.BATCHED and not line.publicity_state.payable
    ]
    pay_hold = ""
    if can_pay and held:  # the form stays (a refusal keeps what was typed), its button says why not
        pay_hold = _("暂不能登记拨付：%(n)d 笔资金明细未满足公示要求。%(firm)s：%(reason)s。") % {
            "n": len(held),
            "firm": held[0].reward.enterprise.name,
            "reason": held[0].publicity_state.reason,
        }
    return render(
        request,
        "incentives/batch_detail.html",
        {
            **context,
            "can_lock": can_lock,
            "can_pay": can_pay,
            "pay_hold": pay_hold,
            "no_action": "" if can_lock or can_pay else (pay_reason if line_count else lock_reason),
            "payment_form": payment_form or PaymentForm(),
            "run": run,
            "can_issue": can_issue and line_count > 0,
            "issue_reason": issue_reason,
            "issued": issued_documents.batch_documents(batch, request.user),
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
    if action in ("pay", "pay_line"):
        return _batch_pay(request, batch, action)
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
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("incentives:batch_detail", pk=batch.pk)


def _batch_pay(request, batch: PayoutBatch, action: str):
    """Record payment of the whole batch or one line; a refusal keeps the date and the voucher number."""
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            if action == "pay" and _unpaid_lines(batch) > settings.PAYMENT_INLINE_LINES:
                # a large batch: queued, the page shows the run's progress (services/payment_runs.py)
                run = services.payment_run_start(batch=batch, by=request.user, **form.cleaned_data)
                messages.info(
                    request,
                    _("本批次有 %(n)d 笔待拨付，已转入后台登记，本页显示进度；完成前不能再次登记。")
                    % {"n": run.rows_total},
                )
            elif action == "pay":
                n = services.batch_record_payment(batch=batch, by=request.user, **form.cleaned_data)
                messages.success(request, _("已登记 %(n)d 笔拨付。") % {"n": n})
            else:
                line = get_object_or_404(FundingLine, batch=batch, pk=request.POST.get("line"))
                services.payment_record(line=line, by=request.user, **form.cleaned_data)
                messages.success(request, _("已登记拨付。"))
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            return redirect("incentives:batch_detail", pk=batch.pk)
    messages.error(request, form_errors_message(form))
    return _batch_page(request, _batch_for(request, batch.pk), payment_form=form)


def _unpaid_lines(batch: PayoutBatch) -> int:
    return batch.lines.filter(status=FundingLine.Status.BATCHED).count()


@require_safe
@require_right(Right.PAYOUT_MANAGE)
def payment_run(request, pk: int, run_id: int):
    """The batch page polls its payment run (htmx); once the run has ended the whole page reloads."""
    batch = _batch_for(request, pk)
    run = get_object_or_404(PaymentRun, batch=batch, pk=run_id)
    if not request.headers.get("HX-Request"):
        return redirect("incentives:batch_detail", pk=batch.pk)
    response = render(request, "incentives/_payment_run.html", {"batch": batch, "run": run})
    if not run.is_active:
        response["HX-Refresh"] = "true"
    return response


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


def _list_dir() -> Path:
    return stash_dir("official_lists")  # purged when never confirmed (anyang_hte.core.stash)


def _list_crumbs(*more) -> list:
    return _crumbs((_("认定名单"), reverse("incentives:official_list_upload")), *more)


@require_right(Right.OFFICIAL_LIST_IMPORT)
def official_list_upload(request):
    """Step 1: the file is kept under a token and read once; a file that cannot be read is refused on
    this form (what was chosen stays), a readable one goes to its preview. Nothing is written."""
    form = OfficialListForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token, suffix = stash_upload(data["file"], _list_dir())
        path = _list_dir() / f"{token}{suffix}"
        if runs_as_job(path, data["file"].name):  # a long list is read and imported by a worker
            return _list_job(request, form, path)
        meta = {
            "name": data["file"].name,
            "suffix": suffix,
            "kind": data["kind"],
            "granted_on": data["granted_on"].isoformat(),
            "title": data["title"],
        }
        try:
            _list_plan(request, meta, _list_dir() / f"{token}{suffix}")
        except DomainError as exc:
            (_list_dir() / f"{token}{suffix}").unlink(missing_ok=True)
            add_refusal_to_form(form, exc)
        else:
            request.session[f"official_list_{token}"] = meta
            return redirect("incentives:official_list_preview", token=token)
    return _list_upload_page(request, form)


def _list_upload_page(request, form):
    lists = OfficialList.objects.order_by("-uploaded_at")[:50]
    return render(
        request,
        "incentives/official_list_upload.html",
        {
            "form": form,
            "lists": lists,
            "jobs": import_jobs_for(request.user, OfficialListImportJob.kind),
            "crumbs": _crumbs((_("认定名单"), None)),
        },
    )


def _list_job(request, form, path: Path):
    data = form.cleaned_data
    try:
        job = import_job_create(
            by=request.user,
            kind=OfficialListImportJob.kind,
            title=data["title"] or _("认定名单导入"),
            filename=data["file"].name,
            stash=path,
            params={
                "kind": data["kind"],
                "granted_on": data["granted_on"].isoformat(),
                "title": data["title"],
            },
        )
    except DomainError as exc:
        path.unlink(missing_ok=True)
        add_refusal_to_form(form, exc)
        return _list_upload_page(request, form)
    return redirect("import_job", job_id=job.pk)


def _list_plan(request, meta: dict, path: Path):
    with open(path, "rb") as fh:
        return services.official_list_preview(
            fileobj=fh,
            filename=meta["name"],
            kind=meta["kind"],
            granted_on=datetime.date.fromisoformat(meta["granted_on"]),
            title=meta["title"],
            by=request.user,
        )


def _stashed_list(request, token: str) -> tuple[dict, Path]:
    meta = request.session.get(f"official_list_{token}")
    path = _list_dir() / f"{token}{meta['suffix']}" if meta and token.isalnum() else None
    if path is None or not path.exists():
        raise Http404(_("名单文件已失效，请重新上传。"))
    return meta, path


def _forget_list(request, token: str) -> None:
    meta = request.session.pop(f"official_list_{token}", None)
    if meta and token.isalnum():
        (_list_dir() / f"{token}{meta['suffix']}").unlink(missing_ok=True)


@require_right(Right.OFFICIAL_LIST_IMPORT)
def official_list_preview(request, token: str):
    """Step 2: what the import would do (GET), and its confirmation (POST): the import applies only
    while it would do exactly what the preview showed (the preview's digest), else it is refused and
    the page shows the new preview."""
    meta, path = _stashed_list(request, token)
    if request.method == "POST":
        try:
            with open(path, "rb") as fh:
                result = services.official_list_import(
                    fileobj=fh,
                    filename=meta["name"],
                    kind=meta["kind"],
                    granted_on=datetime.date.fromisoformat(meta["granted_on"]),
                    title=meta["title"],
                    by=request.user,
                    expected_digest=request.POST.get("digest", "") or "-",
                )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("incentives:official_list_preview", token=token)
        _forget_list(request, token)
        messages.success(
            request,
            _("导入完成：匹配 %(m)d 家，未匹配 %(u)d 家，新登记资质 %(q)d 项，新生成奖励 %(r)d 笔。")
            % {
                "m": result.matched,
                "u": result.unmatched,
                "q": result.new_qualifications,
                "r": result.new_rewards,
            },
        )
        return redirect("incentives:official_list_detail", pk=result.list.pk)
    try:
        plan = _list_plan(request, meta, path)
    except DomainError as exc:
        _forget_list(request, token)
        messages.error(request, exc.message)
        return redirect("incentives:official_list_upload")
    return render(
        request,
        "incentives/official_list_preview.html",
        {
            "plan": plan,
            "meta": meta,
            "kind_label": dict(OfficialListForm.base_fields["kind"].choices).get(meta["kind"], meta["kind"]),
            "token": token,
            "crumbs": _list_crumbs((_("导入预览"), None)),
        },
    )


@require_POST
@require_right(Right.OFFICIAL_LIST_IMPORT)
def official_list_cancel(request, token: str):
    _forget_list(request, token)
    messages.info(request, _("已取消导入，未写入任何数据。"))
    return redirect("incentives:official_list_upload")


@require_right(Right.OFFICIAL_LIST_IMPORT)
def official_list_detail(request, pk: int):
    return _official_list_page(request, get_object_or_404(OfficialList, pk=pk))


def _official_list_page(request, official: OfficialList, *, failed: tuple | None = None):
    """The list's rows; ``failed`` (row, action, bound form) shows a refused row form as it was typed."""
    rows = official.rows.select_related("enterprise", "qualification").order_by("row_number")
    failed_row, failed_action, failed_form = failed or (None, "", None)
    return render(
        request,
        "incentives/official_list_detail.html",
        {
            "official": official,
            "rows": rows,
            "link_form": RowLinkForm(),
            "create_form": RowCreateForm(),
            "ignore_form": RowIgnoreForm(),
            "failed_row": failed_row.pk if failed_row else None,
            "failed_action": failed_action,
            "failed_form": failed_form,
            "crumbs": _list_crumbs((official.title or official.get_kind_display(), None)),
        },
    )


ROW_FORMS = {"link": RowLinkForm, "create": RowCreateForm, "ignore": RowIgnoreForm}


@require_POST
@require_right(Right.OFFICIAL_LIST_IMPORT)
def official_list_row_action(request, pk: int, row_pk: int, action: str):
    row = get_object_or_404(OfficialListRow, official_list_id=pk, pk=row_pk)
    if action not in ROW_FORMS:
        raise Http404
    form = ROW_FORMS[action](request.POST)
    if form.is_valid():
        try:
            _row_act(request, row, action, form.cleaned_data)
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, _("已处理第 %(r)d 行。") % {"r": row.row_number})
            return redirect("incentives:official_list_detail", pk=pk)
    # Refused: the list again, this row's form as it was typed, the field marked.
    messages.error(
        request, _("第 %(r)d 行未处理：%(why)s") % {"r": row.row_number, "why": form_errors_message(form)}
    )
    official = get_object_or_404(OfficialList, pk=pk)
    return _official_list_page(request, official, failed=(row, action, form))


def _row_act(request, row: OfficialListRow, action: str, data: dict) -> None:
    if action == "link":
        code = normalise_credit_code(data["credit_code"])
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise DomainError(
                _("台账中没有统一社会信用代码为 %(c)s 的企业。") % {"c": code}, field="credit_code"
            )
        services.official_list_row_link(row=row, enterprise=enterprise, by=request.user)
    elif action == "create":
        services.official_list_row_create(row=row, by=request.user, **data)
    else:
        services.official_list_row_ignore(row=row, by=request.user, reason=data.get("reason", ""))
