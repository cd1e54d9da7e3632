"""The firm's own entries (信息填报) and its self-evaluation (自我评价).

What a firm enters is a submission its county confirms (``enterprises.services.submissions``): the forms
are the ledger's own, so a bad value is refused on its field and what was typed stays on the page. The
self-evaluation is the county's readiness engine on the firm's own record, for next year's application.
"""

import dataclasses

from django import forms
from django.contrib import messages
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.files import private_file_response
from anyang_hte.core.pages import add_refusal_to_form, form_page, refusal_message
from applications.selectors import open_round
from enterprises import submission_diff
from enterprises.forms import PROFILE_FIELDS, InnovationForm, ReadinessForm
from enterprises.models import (
    AnnualFigures,
    FirmSubmission,
    InnovationAssessment,
    InnovationDraft,
    SubmissionFile,
    SubmissionKind,
)
from enterprises.readiness import assess, default_application_date, facts_for
from enterprises.readiness.gaps import forward_gaps
from enterprises.readiness.innovation import innovation_bands
from enterprises.services import submissions as services

from .access import firm_page

S = FirmSubmission.Status
K = SubmissionKind


def _crumbs(*more):
    return [(_("企业端"), reverse("firms:home")), (_("信息填报"), reverse("firms:submissions")), *more]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("材料类型"), choices=SubmissionFile.Kind.choices)
    year = forms.IntegerField(
        label=gettext_lazy("年度"), required=False, help_text=gettext_lazy("材料所属的会计年度，可不填。")
    )
    upload = forms.FileField(
        label=gettext_lazy("文件"), help_text=gettext_lazy("PDF、JPG 或 PNG，单个文件不超过上限。")
    )


# --- the list ------------------------------------------------------------------------------------------


@require_safe
@firm_page
def submission_list(request, *, enterprise):
    return _list(request, enterprise, UploadForm(initial={"year": today().year - 1}))


def _list(request, enterprise, upload_form, status=200):
    this_year = today().year
    return render(
        request,
        "firms/submissions.html",
        {
            "enterprise": enterprise,
            "submissions": FirmSubmission.objects.filter(enterprise=enterprise)
            .exclude(status=S.WITHDRAWN, submitted_at__isnull=True)
            .select_related("decided_by")
            .order_by("-updated_at", "-pk"),
            "files": SubmissionFile.objects.filter(enterprise=enterprise).order_by("-uploaded_at", "-pk"),
            "upload_form": upload_form,
            "years": list(range(this_year, this_year - 4, -1)),
            "editable": services.EDITABLE,
            "crumbs": _crumbs()[:-1] + [(_("信息填报"), None)],
        },
        status=status,
    )


# --- the forms -----------------------------------------------------------------------------------------


def _form_page(request, enterprise, kind, *, submission=None, initial=None, title):
    form = submission_diff.form_for(kind, enterprise, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            services.submission_save(
                enterprise=enterprise,
                kind=kind,
                data=submission_diff.typed(kind, request.POST),
                by=request.user,
                submission=submission,
                submit=submit,
            )
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            if submit:
                messages.success(request, _("已提交，等待县区核对确认；确认前台账不变。"))
            else:
                messages.success(request, _("已保存草稿，提交后县区才能看到。"))
            return redirect("firms:submissions")
    return render(
        request,
        "firms/submission_form.html",
        {
            "form": form,
            "title": title,
            "submission": submission,
            "enterprise": enterprise,
            "kind": kind,
            "crumbs": _crumbs((title, None)),
        },
        status=400 if form.errors else 200,
    )


def _editable_for(enterprise, kind, year=None):
    """A draft or returned submission of the same content to continue, or one already with the county."""
    qs = FirmSubmission.objects.filter(
        enterprise=enterprise, kind=kind, status__in=[*services.EDITABLE, S.SUBMITTED]
    )
    if kind == K.FIGURES:
        qs = qs.filter(year=year)
    return qs.order_by("-updated_at").first()


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        year = 0
    return year or today().year - 1


@firm_page
def submission_figures(request, *, enterprise):
    year = _year(request)
    if request.method != "POST":
        existing = _editable_for(enterprise, K.FIGURES, year)
        if existing is not None:
            return _continue(request, existing)
    ledger = AnnualFigures.objects.filter(enterprise=enterprise, year=year).first()
    initial = {"year": year} | (
        model_to_dict(ledger, fields=submission_diff.FIELDS[K.FIGURES]) if ledger else {}
    )
    return _form_page(request, enterprise, K.FIGURES, initial=initial, title=_("填报年度数据"))


@firm_page
def submission_profile(request, *, enterprise):
    if request.method != "POST":
        existing = _editable_for(enterprise, K.PROFILE)
        if existing is not None:
            return _continue(request, existing)
    initial = model_to_dict(enterprise, fields=PROFILE_FIELDS)
    return _form_page(
        request, enterprise, K.PROFILE, initial=initial, title=_("填报基本信息、联系方式、开户银行和研发机构")
    )


@firm_page
def submission_ip(request, *, enterprise):
    return _form_page(request, enterprise, K.IP, title=_("填报知识产权"))


def _continue(request, submission):
    if submission.status == S.SUBMITTED:
        messages.info(request, _("这项内容已有一份待县区确认的填报；如需修改，请先撤回。"))
    return redirect("firms:submission_edit", pk=submission.pk)


@firm_page
def submission_edit(request, pk: int, *, enterprise):
    """A draft or a returned submission opens its form with what the firm typed; any other one is shown
    as it was sent."""
    submission = get_object_or_404(FirmSubmission, enterprise=enterprise, pk=pk)
    title = _("修改填报：%(what)s") % {"what": _what(submission)}
    if submission.status in services.EDITABLE:
        return _form_page(
            request, enterprise, submission.kind, submission=submission, initial=submission.data, title=title
        )
    if request.method == "POST":
        messages.error(
            request, _("这份填报当前状态为“%(s)s”，不能修改。") % {"s": submission.get_status_display()}
        )
        return redirect("firms:submission_edit", pk=submission.pk)
    form = submission_diff.form_for(submission.kind, enterprise)
    rows = [(form.fields[name].label, submission.data.get(name) or "—") for name in submission.data]
    return render(
        request,
        "firms/submission_view.html",
        {"submission": submission, "rows": rows, "crumbs": _crumbs((_what(submission), None))},
    )


def _what(submission) -> str:
    if submission.year:
        return _("%(y)s年%(kind)s") % {"y": submission.year, "kind": submission.get_kind_display()}
    return str(submission.get_kind_display())


def _move(request, enterprise, pk, move, done):
    submission = get_object_or_404(FirmSubmission, enterprise=enterprise, pk=pk)
    try:
        move(submission=submission, by=request.user)
    except DomainError as exc:
        messages.error(request, refusal_message(exc))
    else:
        messages.success(request, done)
    return redirect("firms:submissions")


@require_POST
@firm_page
def submission_submit(request, pk: int, *, enterprise):
    return _move(request, enterprise, pk, services.submission_submit, _("已提交，等待县区核对确认。"))


@require_POST
@firm_page
def submission_withdraw(request, pk: int, *, enterprise):
    return _move(request, enterprise, pk, services.submission_withdraw, _("已撤回。"))


# --- supporting files ----------------------------------------------------------------------------------


@require_POST
@firm_page
def submission_file_add(request, *, enterprise):
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            item = services.submission_file_add(
                enterprise=enterprise,
                kind=form.cleaned_data["kind"],
                year=form.cleaned_data["year"],
                upload=form.cleaned_data["upload"],
                by=request.user,
            )
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, _("已上传“%(name)s”。") % {"name": item.original_name})
            return redirect(reverse("firms:submissions") + "#files")
    return _list(request, enterprise, form, status=400)


@require_safe
@firm_page
def submission_file(request, pk: int, *, enterprise):
    item = get_object_or_404(SubmissionFile, enterprise=enterprise, pk=pk)
    return private_file_response(item.file, item.original_name)


@require_POST
@firm_page
def submission_file_remove(request, pk: int, *, enterprise):
    item = get_object_or_404(SubmissionFile, enterprise=enterprise, pk=pk)  # another firm's: a 404
    try:
        services.submission_file_remove(item=item, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除材料“%(name)s”。") % {"name": item.original_name})
    return redirect("firms:submissions")


# --- the self-evaluation -------------------------------------------------------------------------------


@require_safe
@firm_page
def evaluation(request, *, enterprise):
    """The verdict for the application the firm prepares (the open round's, else next year's) by the
    county's own engine, each condition in plain words, the gaps, and the
    firm's innovation self-score."""
    now = today()
    next_year = application_year(now)
    form = ReadinessForm(request.GET or None, initial={"year": next_year})
    asked = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if not form.is_bound:
        form = ReadinessForm(initial={"year": next_year})
    year = asked.get("year") or next_year
    facts = facts_for(enterprise)
    assessment = assess(facts, year=year, on=asked.get("on"), today=now, gaps=False)
    # The gap the firm can still close: this year's figures, for the application asked about (or, when
    # that one is judged on past years only, for the one after it).
    assessment = dataclasses.replace(
        assessment,
        forward=forward_gaps(
            facts,
            year=max(year - 1, now.year),  # this year's figures, for the next application they count in
            expected_sales=asked.get("expected_sales"),
            expected_staff=asked.get("expected_staff"),
        ),
    )
    draft = InnovationDraft.objects.filter(enterprise=enterprise, application_year=year).first()
    return render(
        request,
        "firms/evaluation.html",
        {
            "enterprise": enterprise,
            "assessment": assessment,
            "readiness_form": form,
            "can_edit": False,
            "draft": draft,
            "draft_rows": submission_diff.innovation_draft_rows(draft),
            "draft_total": submission_diff.innovation_draft_total(draft),
            "county_scored": InnovationAssessment.objects.filter(
                enterprise=enterprise, application_year=year
            ).exists(),
            "next_year": year,
            "crumbs": [(_("企业端"), reverse("firms:home")), (_("自我评价"), None)],
        },
    )


def application_year(on) -> int:
    """The application the firm prepares: the year of the round open now (while it is this year's or
    later), else next year's."""
    current = open_round()
    if current is not None and current.year >= on.year:
        return current.year
    return on.year + 1


@firm_page
def innovation_draft(request, *, enterprise):
    """The firm scores its own innovation capability for next year's application: the county's items and
    bands; a draft the county adopts or changes."""
    year = application_year(today())
    draft = InnovationDraft.objects.filter(enterprise=enterprise, application_year=year).first()
    stated = draft.points.get("ip_self_developed") if draft else None
    if request.method == "POST":
        stated = {"True": True, "False": False}.get(request.POST.get("ip_self_developed", ""))
    bands = innovation_bands(
        facts_for(enterprise), year=year, on=default_application_date(year, today()), self_developed=stated
    )
    form = InnovationForm(request.POST or None, bands=bands, initial=draft.points if draft else None)
    if not bands.needs_self_developed:
        del form.fields["ip_self_developed"]
    back = reverse("firms:evaluation")
    return form_page(
        request,
        form,
        save=lambda form: services.innovation_draft_save(
            enterprise=enterprise, application_year=year, by=request.user, **form.points()
        ),
        done=_("已保存自评草稿；县区评价时可采用或修改。"),
        success_url=back,
        title=_("创新能力自评（%(year)s年度申报）") % {"year": year},
        crumbs=[(_("企业端"), reverse("firms:home")), (_("自我评价"), back)],
        cancel=back,
        notice=_(
            "按县区使用的同一评分标准（国科发火〔2016〕195号）逐项自评，每项在提示的档次内取整数分。"
            "自评只是草稿：认定条件以县区的评价为准，县区可采用或修改您的自评。"
        ),
        context={"subtitle": enterprise.name},
    )
