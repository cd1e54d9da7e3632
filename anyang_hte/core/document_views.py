"""The issued documents (印发文件): a scoped list with filters and the download of each PDF.

Who sees which document is the owning app's rule (``documents.documents_for``): bulletins for the holders
of the assessment view right, a batch's notice and payout sheet for those who may see the batch. The
file is served only through :func:`document_download`, which asks the same scope (nothing serves
MEDIA_URL); a document outside the user's scope is a 404, as if it did not exist.
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from .documents import documents_for, visible_kinds
from .files import private_file_response
from .filters import StrictFilterSet
from .models import IssuedDocument
from .pages import paginate_rows, querystring_without_page

PDF_CONTENT_TYPE = "application/pdf"


class DocumentFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("文种"), choices=IssuedDocument.Kind.choices, empty_label=gettext_lazy("全部文种")
    )
    year = django_filters.NumberFilter(label=gettext_lazy("文号年度"), field_name="year")
    q = django_filters.CharFilter(label=gettext_lazy("文号或标题"), method="filter_text")

    class Meta:
        model = IssuedDocument
        fields = ["kind", "year", "q"]

    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value)) if value else queryset


def _allowed_kinds(request) -> dict:
    kinds = visible_kinds(request.user)
    if not kinds:
        raise PermissionDenied(_("您的角色不能查看印发文件。"))
    return kinds


@require_safe
def document_list(request):
    kinds = _allowed_kinds(request)
    documents = documents_for(request.user).select_related("issued_by")
    flt = DocumentFilter(request.GET or None, queryset=documents)
    flt.filters["kind"].extra["choices"] = [c for c in IssuedDocument.Kind.choices if c[0] in kinds]
    paging = paginate_rows(request, flt.qs)
    return render(
        request,
        "documents/list.html",
        {
            "filter": flt,
            "paging": paging,
            "documents": paging.page.object_list,
            "querystring": querystring_without_page(request),
            "crumbs": [(_("首页"), reverse("home")), (_("印发文件"), None)],
        },
        status=paging.status,
    )


@require_safe
def document_download(request, pk: int):
    document = get_object_or_404(documents_for(request.user), pk=pk)
    return private_file_response(document.file, document.filename, content_type=PDF_CONTENT_TYPE)
