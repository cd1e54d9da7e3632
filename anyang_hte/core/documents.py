"""Documents issued under a 文号 (通报, 奖励通知, 拨付表): numbering, rendering, storing, scoping.

The app that owns a document's source issues it through its own service (``assessment.services_documents
.bulletin_issue``, ``incentives.services.documents``), which checks the right and the scope of ``by``
itself and then calls :func:`issue_document` here: the next number of the (prefix, year) series taken
under a row lock, the HTML rendered with that number and made a PDF, the file stored with its size and
sha256, the row written, the earlier document of the same source no longer the latest, one audit entry.
Nothing here is ever overwritten: re-issuing is a new document with a new number.

Which prefix and issuing unit a kind has is data (settings.ISSUED_DOCUMENTS); who may see a kind is said
by the app that issues it (settings.ISSUED_DOCUMENT_SCOPES: kind → a function ``user → Q | None``, None
meaning nothing of that kind). A kind without a scope function is seen by nobody (fails closed).
"""

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .audit import audit_log
from .models import DocumentSeries, IssuedDocument
from .pdf import render_pdf
from .roles import person

Kind = IssuedDocument.Kind


@dataclass(frozen=True)
class Numbering:
    """Under which prefix and in whose name a document is issued."""

    prefix: str
    issuing_unit: str


def numbering(kind: str, *, jurisdiction=None) -> Numbering:
    """The prefix and the issuing unit of ``kind`` (settings.ISSUED_DOCUMENTS); a county's document (a
    county batch's notice) uses the ``county_*`` entries with the county's name and short name."""
    conf = settings.ISSUED_DOCUMENTS[kind]
    if jurisdiction is None:
        return Numbering(conf["prefix"], conf["unit"])
    names = {"name": jurisdiction.name, "short": jurisdiction.short_name or jurisdiction.name}
    return Numbering(conf["county_prefix"].format(**names), conf["county_unit"].format(**names))


def format_number(prefix: str, year: int, serial: int) -> str:
    """安科通〔2026〕3号 (the year in 六角括号 〔〕, no leading zeros, as GB/T 9704 writes 发文字号)."""
    return f"{prefix}〔{year}〕{serial}号"


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def take_serial(prefix: str, year: int) -> int:
    """The next serial of the (prefix, year) series, its row locked until the caller's transaction ends."""
    if not DocumentSeries.objects.filter(prefix=prefix, year=year).exists():
        try:
            with transaction.atomic():  # a savepoint: another issue may create the row at the same time
                DocumentSeries.objects.create(prefix=prefix, year=year)
        except IntegrityError:
            pass
    series = DocumentSeries.objects.select_for_update().get(prefix=prefix, year=year)
    series.last_serial += 1
    series.save(update_fields=["last_serial"])
    return series.last_serial


@dataclass(frozen=True)
class Issue:
    """What the renderer gets: the number taken, when, by whom, in whose name."""

    number: str
    prefix: str
    year: int
    serial: int
    issuing_unit: str
    issued_at: datetime.datetime
    issued_by: object

    @property
    def context(self) -> dict:
        """The base template's variables (templates/documents/base_pdf.html)."""
        local = timezone.localtime(self.issued_at)
        return {
            "number": self.number,
            "issuing_unit": self.issuing_unit,
            "issued_at": local,
            "issued_on_text": chinese_date(local.date()),
            "issued_by": person(self.issued_by),
        }


@transaction.atomic
def issue_document(
    *,
    kind: str,
    title: str,
    numbering: Numbering,
    source_key: str,
    render: Callable[[Issue], str],
    by,
    source: models.Model | None = None,
    source_year: int | None = None,
    source_label: str = "",
    snapshot: dict | None = None,
    stylesheets: tuple[str, ...] = (),
) -> IssuedDocument:
    """Number, render, store and record one document; the caller has checked ``by``'s right and scope.

    ``render(issue)`` returns the document's HTML with the number in it; ``stylesheets`` name its CSS
    templates (after the base, see pdf.render_pdf). Documents of the same kind and
    ``source_key`` issued before stay as they are, only no longer the latest.
    """
    issued_at = timezone.now()
    year = timezone.localdate(issued_at).year
    # The series row first: a second issue of the same source waits here, then sees the first's row.
    serial = take_serial(numbering.prefix, year)
    previous = (
        IssuedDocument.objects.select_for_update()
        .filter(kind=kind, source_key=source_key, is_latest=True)
        .first()
    )
    issue = Issue(
        number=format_number(numbering.prefix, year, serial),
        prefix=numbering.prefix,
        year=year,
        serial=serial,
        issuing_unit=numbering.issuing_unit,
        issued_at=issued_at,
        issued_by=by,
    )
    pdf = render_pdf(render(issue), stylesheets=stylesheets)
    if previous is not None:
        previous.is_latest = False
        previous.save(update_fields=["is_latest"])
    document = IssuedDocument(
        kind=kind,
        prefix=numbering.prefix,
        year=year,
        serial=serial,
        number=issue.number,
        title=title,
        issuing_unit=numbering.issuing_unit,
        issued_by=person(by),
        issued_at=issued_at,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=source.pk if source is not None else None,
        source_year=source_year,
        source_key=source_key,
        source_label=source_label,
        snapshot=snapshot or {},
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        is_latest=True,
        supersedes=previous,
    )
    document.file.save(f"{kind}-{year}-{serial}.pdf", ContentFile(pdf), save=False)
    try:
        document.save()
        audit_log(
            document,
            "core.document.issued",
            by=by,
            data={
                "number": document.number,
                "kind": kind,
                "source": source_key,
                "sha256": document.sha256,
                "size": document.size,
                "supersedes": previous.number if previous else None,
            },
        )
    except BaseException:
        document.file.delete(save=False)  # no row, no file
        raise
    return document


# --- who sees what ------------------------------------------------------------------------------


def _scope_functions() -> dict[str, Callable]:
    return {kind: import_string(path) for kind, path in settings.ISSUED_DOCUMENT_SCOPES.items()}


def visible_kinds(user) -> dict[str, Q]:
    """Each kind ``user`` may see something of, with the condition on its documents."""
    kinds = {}
    for kind, scope in _scope_functions().items():
        condition = scope(user)
        if condition is not None:
            kinds[kind] = condition
    return kinds


def documents_for(user):
    """The issued documents ``user`` may see: per kind, the owning app's condition; nothing else."""
    kinds = visible_kinds(user)
    if not kinds:
        return IssuedDocument.objects.none()
    condition = Q(pk__in=[])
    for kind, cond in kinds.items():
        condition |= Q(kind=kind) & cond
    return IssuedDocument.objects.filter(condition)


def source_documents(kinds: str | tuple[str, ...], source_key: str, user):
    """The documents of one source (a year's bulletin, a batch's notices) ``user`` may see, newest first."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    return (
        documents_for(user)
        .filter(kind__in=kinds, source_key=source_key)
        .select_related("issued_by")
        .order_by("-issued_at", "-id")
    )
