"""The bulletin (通报) issued as a PDF under a 文号: its issue service, its chart, who sees it.

:func:`bulletin_issue` is the one door: ``Right.ASSESSMENT_MANAGE`` (the tech bureau; the portal's
own commands too), a year whose indicator snapshots are complete (the xlsx waits for the same), then
``anyang_hte.core.documents.issue_document`` numbers it in the 安科通 series of the issue year, renders
``assessment/bulletin_pdf.html`` (the red header, the same ranking table as the page and the xlsx, from
``bulletin.bulletin_data``, and a bar chart drawn here as SVG) and keeps it. Issuing the year again
makes a new document with a new number; the earlier stays listed.

Issued bulletins are circulated (通报 goes to every county): every holder of ``Right.ASSESSMENT_VIEW``
sees them in the documents list, county offices included, while the live bulletin page stays city-wide.
"""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anyang_hte.core.documents import Issue, issue_document, numbering, source_documents
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import CITY_LEVEL, guard
from anyang_hte.core.models import IssuedDocument
from anyang_hte.core.roles import Right, has_right

from .bulletin import Bulletin, BulletinRow, bulletin_data

KIND = IssuedDocument.Kind.BULLETIN


def source_key(year: int) -> str:
    return f"bulletin:{year}"


def bulletin_documents_scope(user) -> Q | None:
    """settings.ISSUED_DOCUMENT_SCOPES: every issued bulletin for the assessment view right, else none."""
    return Q() if has_right(user, Right.ASSESSMENT_VIEW) else None


def bulletin_documents(year: int, user):
    """The year's issued bulletins ``user`` may see, the latest first."""
    return source_documents(KIND, source_key(year), user)


# --- the chart ----------------------------------------------------------------------------------

CHART_WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP, TOP = 640, 170, 14, 6, 22


def bar_chart(rows: list[BulletinRow]) -> dict:
    """New HTEs against target per county, as horizontal bars: the coordinates the template's SVG draws."""
    values = [(r.name, r.new_hte.value or Decimal(0), r.new_hte.target) for r in rows]
    top = max([v for _n, v, _t in values] + [t for _n, _v, t in values if t is not None] + [Decimal(1)])
    span = CHART_WIDTH - LABEL_WIDTH - 60
    bars = []
    for index, (name, value, target) in enumerate(values):
        y = TOP + index * (BAR_HEIGHT + GAP)
        bars.append(
            {
                "name": name,
                "y": y,
                "text_y": y + BAR_HEIGHT - 3,
                "width": float(Decimal(span) * value / top),
                "value": f"{value:g}",
                "value_x": LABEL_WIDTH + float(Decimal(span) * value / top) + 4,
                "target_x": None if target is None else LABEL_WIDTH + float(Decimal(span) * target / top),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": TOP + len(bars) * (BAR_HEIGHT + GAP) + 10,
        "label_width": LABEL_WIDTH,
        "label_x": LABEL_WIDTH - 6,
        "bar_height": BAR_HEIGHT,
        "bars": bars,
    }


# --- the snapshot -------------------------------------------------------------------------------


def _num(value) -> str | None:
    return None if value is None else str(value)


def snapshot(data: Bulletin) -> dict:
    """The figures the PDF shows, as JSON (Decimals as strings)."""

    def row(r: BulletinRow) -> dict:
        return {
            "code": r.code,
            "name": r.name,
            "order": r.order,
            "new_hte": [_num(r.new_hte.value), _num(r.new_hte.target), r.new_hte.rank],
            "valid_hte": [_num(r.valid_hte.value), _num(r.valid_hte.target), r.valid_hte.rank],
            "tech_sme": _num(r.tech_sme),
            "hte_candidates": _num(r.hte_candidates),
            "helper_share": _num(r.helper_share),
            "overdue_milestones": _num(r.overdue_milestones),
        }

    return {
        "year": data.year,
        "computed_at": data.computed_at.isoformat() if data.computed_at else None,
        "rows": [row(r) for r in data.rows],
        "total": row(data.total),
    }


# --- the service --------------------------------------------------------------------------------


@transaction.atomic
def bulletin_issue(*, year: int, by) -> IssuedDocument:
    """Issue ``year``'s bulletin as a PDF under the next 文号; refused while its figures are computing."""
    guard(by, Right.ASSESSMENT_MANAGE, jurisdiction_id=CITY_LEVEL, reason=_("只有市科技局可以印发通报。"))
    with translation.override(settings.LANGUAGE_CODE):
        data = bulletin_data(year)
        if data.computing:
            raise DomainError(_("%(year)s年的指标正在汇总计算，完成后才能印发通报。") % {"year": year})
        chart = bar_chart(data.rows)

        def render(issue: Issue) -> str:
            data.issued_on = timezone.localdate(issue.issued_at)
            return render_to_string(
                "assessment/bulletin_pdf.html",
                {**issue.context, "title": data.title, "bulletin": data, "chart": chart},
            )

        return issue_document(
            kind=KIND,
            title=data.title,
            numbering=numbering(KIND),
            source_key=source_key(year),
            source_year=year,
            source_label=_("%(year)d年度考核指标") % {"year": year},
            snapshot=snapshot(data),
            render=render,
            stylesheets=("assessment/bulletin_pdf.css",),
            by=by,
        )
