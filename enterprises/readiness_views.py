"""Pages for what the readiness verdict reads besides the yearly figures: the IP register, adverse records,
the tech-SME direct routes, and the innovation-capability scoring of an application year."""

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.dates import today
from anyang_hte.core.pages import form_page
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right

from . import selectors, services
from .forms import DeleteForm, DistinctionForm, IncidentForm, InnovationForm, IPItemForm
from .models import Distinction, Incident, InnovationAssessment, InnovationDraft, IntellectualProperty
from .readiness import FIRST_APPLICATION_YEAR, default_application_date, facts_for
from .readiness.innovation import innovation_bands
from .services import submissions
from .submission_diff import innovation_draft_rows, innovation_draft_total
from .views import ledger_crumbs

# record kind -> (model, form, create service, update service, delete service, anchor, titles)
RECORDS = {
    "ip": (
        IntellectualProperty,
        IPItemForm,
        services.ip_item_create,
        lambda obj, **f: services.ip_item_update(item=obj, **f),
        lambda obj, **f: services.ip_item_delete(item=obj, **f),
        "#ip",
        (gettext_lazy("登记知识产权"), gettext_lazy("修改知识产权"), gettext_lazy("删除知识产权")),
    ),
    "incident": (
        Incident,
        IncidentForm,
        services.incident_create,
        lambda obj, **f: services.incident_update(incident=obj, **f),
        lambda obj, **f: services.incident_delete(incident=obj, **f),
        "#incidents",
        (gettext_lazy("登记不良记录"), gettext_lazy("修改不良记录"), gettext_lazy("删除不良记录")),
    ),
    "distinction": (
        Distinction,
        DistinctionForm,
        services.distinction_create,
        lambda obj, **f: services.distinction_update(distinction=obj, **f),
        lambda obj, **f: services.distinction_delete(distinction=obj, **f),
        "#distinctions",
        (gettext_lazy("登记直通条件"), gettext_lazy("修改直通条件"), gettext_lazy("删除直通条件")),
    ),
}


def _record_page(request, enterprise, form, *, save, done, anchor, title):
    back = reverse("enterprises:detail", args=[enterprise.pk]) + anchor
    return form_page(
        request,
        form,
        save=save,
        done=done,
        success_url=back,
        title=title,
        crumbs=ledger_crumbs(enterprise=enterprise),
        cancel=back,
        context={"subtitle": enterprise.name},
    )


def _kind(record: str):
    try:
        return RECORDS[record]
    except KeyError:
        raise Http404 from None


@require_right(Right.LEDGER_EDIT)
def record_add(request, pk: int, record: str):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    _model, form_class, create, _update, _delete, anchor, titles = _kind(record)
    return _record_page(
        request,
        enterprise,
        form_class(request.POST or None),
        save=lambda form: create(enterprise=enterprise, by=request.user, **form.cleaned_data),
        done=_("已保存，达标情况已重新计算。"),
        anchor=anchor,
        title=str(titles[0]),
    )


@require_right(Right.LEDGER_EDIT)
def record_edit(request, pk: int, record: str, record_pk: int):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    model, form_class, _create, update, _delete, anchor, titles = _kind(record)
    obj = get_object_or_404(model, enterprise=enterprise, pk=record_pk)
    return _record_page(
        request,
        enterprise,
        form_class(request.POST or None, instance=obj),
        save=lambda form: update(obj, by=request.user, **form.cleaned_data),
        done=_("已保存，达标情况已重新计算。"),
        anchor=anchor,
        title=str(titles[1]),
    )


@require_right(Right.LEDGER_EDIT)
def record_delete(request, pk: int, record: str, record_pk: int):
    enterprise = selectors.enterprise_for_user(request.user, pk)
    model, _form_class, _create, _update, delete, anchor, titles = _kind(record)
    obj = get_object_or_404(model, enterprise=enterprise, pk=record_pk)
    return _record_page(
        request,
        enterprise,
        DeleteForm(request.POST or None),
        save=lambda form: delete(obj, by=request.user, reason=form.cleaned_data["reason"]),
        done=_("已删除，操作日志中保留记录。"),
        anchor=anchor,
        title=f"{titles[2]}：{obj}",
    )


@require_right(Right.LEDGER_EDIT)
def innovation_score(request, pk: int, year: int):
    """Score the innovation capability of the application in ``year``: each item shows its band. The
    firm's own draft, if it made one, is shown beside the form and can fill it (``?draft=1``); saving
    records the county's assessment and marks the draft adopted."""
    enterprise = selectors.enterprise_for_user(request.user, pk)
    if not FIRST_APPLICATION_YEAR <= year <= today().year + 1:
        raise Http404
    instance = InnovationAssessment.objects.filter(enterprise=enterprise, application_year=year).first()
    draft = InnovationDraft.objects.filter(enterprise=enterprise, application_year=year).first()
    prefill = draft.points if draft and request.method != "POST" and request.GET.get("draft") == "1" else None
    stated = instance.ip_self_developed if instance else None
    if prefill is not None:
        stated = prefill.get("ip_self_developed")
    if request.method == "POST":
        choice = request.POST.get("ip_self_developed", "")
        stated = {"True": True, "False": False}.get(choice)
    bands = innovation_bands(
        facts_for(enterprise), year=year, on=default_application_date(year, today()), self_developed=stated
    )
    form = InnovationForm(request.POST or None, instance=instance, bands=bands, initial=prefill)
    if not bands.needs_self_developed:
        del form.fields["ip_self_developed"]
    back = reverse("enterprises:detail", args=[enterprise.pk]) + f"?year={year}#readiness"

    @transaction.atomic
    def save(form):
        points = form.points()
        assessment = services.innovation_assessment_save(
            enterprise=enterprise, application_year=year, by=request.user, **points
        )
        if draft is not None:
            submissions.innovation_draft_adopt(
                enterprise=enterprise, application_year=year, by=request.user, points=points
            )
        return assessment

    return form_page(
        request,
        form,
        save=save,
        done=_("已保存%(year)s年度申报的创新能力评价，达标情况已重新计算。") % {"year": year},
        success_url=back,
        title=_("创新能力评价（%(year)s年度申报）") % {"year": year},
        crumbs=ledger_crumbs(enterprise=enterprise),
        cancel=back,
        notice=_("依据《高新技术企业认定管理工作指引》（国科发火〔2016〕195号）：各项在评分档次内取整数分；"
                 "总分高于70分（即不少于71分）为达标。评分档次由企业当前数据确定，数据变化后需重新评分。"),
        template="enterprises/innovation_form.html",
        context={
            "subtitle": enterprise.name,
            "bands": bands,
            "draft": draft,
            "draft_rows": innovation_draft_rows(draft),
            "draft_total": innovation_draft_total(draft),
            "prefilled": prefill is not None,
        },
    )  # fmt: skip
