"""The county's side of what firms enter themselves: the queue of submissions, the difference against the
ledger, accept or return with a reason, and the firms' supporting files (its own county's only)."""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from anyang_hte.core.errors import DomainError
from anyang_hte.core.files import private_file_response
from anyang_hte.core.pages import paginate_table
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right
from anyang_hte.core.scope import scope_enterprises
from anyang_hte.core.workdays import Deadlines

from . import submission_diff
from .filters import SubmissionFilter
from .models import FirmSubmission, SubmissionFile, SubmissionKind
from .services import submissions as services
from .tables import SubmissionTable
from .views import ledger_crumbs

S = FirmSubmission.Status


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("退回原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("写明哪一项有问题、应如何修改；企业会看到这段话。"),
    )


def county_submissions(user):
    """The submissions of ``user``'s county's enterprises that reached the county (not the firms' drafts)."""
    qs = FirmSubmission.objects.filter(submitted_at__isnull=False).select_related(
        "enterprise", "enterprise__jurisdiction", "submitted_by", "decided_by"
    )
    return scope_enterprises(qs, user, enterprise_field="enterprise_id")


def _what(submission: FirmSubmission) -> str:
    if submission.year:
        return _("%(y)s年%(kind)s") % {"y": submission.year, "kind": submission.get_kind_display()}
    return str(submission.get_kind_display())


@require_safe
@require_right(Right.LEDGER_EDIT)
def submission_list(request):
    data = request.GET.copy()
    if not data:
        data["status"] = S.SUBMITTED  # the queue opens on what waits for the county
    qs = county_submissions(request.user)
    deadlines = Deadlines.load()
    filterset = SubmissionFilter(data, queryset=qs, user=request.user, deadlines=deadlines)
    without_status = data.copy()
    without_status.pop("status", None)
    by_status = dict(
        SubmissionFilter(without_status, queryset=qs, user=request.user, deadlines=deadlines)
        .qs.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    totals = [(value, label, by_status.get(value, 0)) for value, label in S.choices if value != S.DRAFT]
    table = paginate_table(
        request, SubmissionTable(filterset.qs.order_by("-submitted_at", "-pk"), deadlines=deadlines)
    )
    return render(
        request,
        "enterprises/submission_list.html",
        {
            "filter": filterset,
            "table": table,
            "totals": totals,
            "total": sum(by_status.values()),
            "crumbs": ledger_crumbs((_("企业填报"), None)),
        },
    )


def _submission_for(request, pk: int) -> FirmSubmission:
    return get_object_or_404(county_submissions(request.user), pk=pk)


def _files_of(submission: FirmSubmission):
    files = SubmissionFile.objects.filter(enterprise_id=submission.enterprise_id).select_related(
        "uploaded_by"
    )
    if submission.kind == SubmissionKind.FIGURES:
        return files.filter(year=submission.year) | files.filter(submission=submission)
    return files.filter(submission=submission)


@require_safe
@require_right(Right.LEDGER_EDIT)
def submission_detail(request, pk: int):
    submission = _submission_for(request, pk)
    return _detail(request, submission, return_form=ReturnForm())


def _detail(request, submission, *, return_form, status=200):
    diff = submission_diff.diff(submission)
    labels = {row.name: row.label for row in diff.rows}
    applied = [(labels.get(name, name), old, new) for name, (old, new) in (submission.applied or {}).items()]
    return render(
        request,
        "enterprises/submission_detail.html",
        {
            "submission": submission,
            "enterprise": submission.enterprise,
            "diff": diff,
            "applied": applied,
            "files": _files_of(submission).order_by("-uploaded_at", "-pk"),
            "can_decide": submission.status == S.SUBMITTED,
            "return_form": return_form,
            "crumbs": [
                *ledger_crumbs(enterprise=submission.enterprise),
                (_("企业填报"), reverse("enterprises:submissions")),
                (_what(submission), None),
            ],
        },
        status=status,
    )


@require_POST
@require_right(Right.LEDGER_EDIT)
def submission_accept(request, pk: int):
    submission = _submission_for(request, pk)
    try:
        services.submission_accept(submission=submission, by=request.user, seen=request.POST.get("seen", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认，台账已更新；企业会收到通知。"))
    return redirect("enterprises:submission_detail", pk=submission.pk)


@require_POST
@require_right(Right.LEDGER_EDIT)
def submission_return(request, pk: int):
    submission = _submission_for(request, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.submission_return(
                submission=submission, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            messages.success(request, _("已退回，企业会看到退回原因。"))
            return redirect("enterprises:submission_detail", pk=submission.pk)
    return _detail(request, submission, return_form=form, status=400)


@require_safe
@require_right(Right.LEDGER_EDIT)
def submission_file(request, pk: int):
    """A firm's supporting file, served only through its enterprise's county scope."""
    files = scope_enterprises(SubmissionFile.objects.all(), request.user, enterprise_field="enterprise_id")
    item = get_object_or_404(files, pk=pk)
    return private_file_response(item.file, item.original_name)
