"""A batch's reward notice (奖励通知) and payout sheet (拨付表) issued as PDFs under a 文号.

Who issues: the finance office that owns the batch (``Right.PAYOUT_MANAGE`` and the batch's money, as
for every other write on it, ``permissions.can_issue_batch_documents``), once the batch is locked (a
draft still changes; the xlsx export waits for the lock too). The tech bureau does not: it has no
batch page and no write on batches anywhere; it sees the issued documents in the documents list.

A batch of up to settings.DOCUMENT_INLINE_LINES lines is rendered in the request (100 lines take about
two seconds); a larger one by a Celery worker (:func:`batch_document_issue_start`, the task calls
:func:`batch_document_issue_queued`), which tells the issuer by a message when the PDF is there.
"""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from anyang_hte.core.documents import issue_document, numbering
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import ensure_allowed
from anyang_hte.core.jobs import enqueue
from anyang_hte.core.models import IssuedDocument, User
from anyang_hte.core.notifications import notify

from .. import issued_documents as docs
from ..models import PayoutBatch
from ..permissions import can_issue_batch_documents


def _check(batch: PayoutBatch, kind: str, by) -> dict:
    if kind not in docs.KINDS:
        raise DomainError(_("未知的文种：%(kind)s") % {"kind": kind})
    ensure_allowed(can_issue_batch_documents(by, batch))
    data = docs.document_data(batch)
    if not data["count"]:
        raise DomainError(_("批次中没有资金明细，不能印发。"))
    return data


@transaction.atomic
def batch_document_issue(*, batch: PayoutBatch, kind: str, by) -> IssuedDocument:
    """Issue the batch's ``kind`` (reward_notice or payout_sheet) under the next number of its series."""
    locked = PayoutBatch.objects.select_for_update(of=("self",))  # not the (nullable) county's row
    batch = locked.select_related("jurisdiction").get(pk=batch.pk)
    data = _check(batch, kind, by)
    return issue_document(
        kind=kind,
        title=docs.title(batch, kind),
        numbering=numbering(kind, jurisdiction=batch.jurisdiction),
        source_key=docs.source_key(batch),
        source=batch,
        source_label=batch.name,
        snapshot=docs.snapshot(batch, data),
        render=lambda issue: docs.render(batch, kind, data, issue),
        stylesheets=docs.STYLESHEETS[kind],
        by=by,
    )


@transaction.atomic
def batch_document_issue_start(*, batch: PayoutBatch, kind: str, by) -> None:
    """Check now, render in a worker: a large batch's document (the issuer is told when it is there)."""
    from ..tasks import issue_batch_document

    batch = PayoutBatch.objects.select_related("jurisdiction").get(pk=batch.pk)
    _check(batch, kind, by)
    enqueue(issue_batch_document, batch.pk, kind, by.pk)


def batch_document_issue_queued(*, batch_id: int, kind: str, user_id: int) -> IssuedDocument | None:
    """The worker's part: issue as ``user_id`` (checked again) and tell them how it went."""
    user = User.objects.get(pk=user_id)
    batch = PayoutBatch.objects.get(pk=batch_id)
    try:
        document = batch_document_issue(batch=batch, kind=kind, by=user)
    except DomainError as exc:
        notify(
            users=[user],
            title=_("%(batch)s的文件未能印发") % {"batch": batch.name},
            body=exc.message,
            url=reverse("incentives:batch_detail", args=[batch.pk]),
        )
        return None
    notify(
        users=[user],
        title=_("已印发：%(number)s %(title)s") % {"number": document.number, "title": document.title},
        url=reverse("document_download", args=[document.pk]),
    )
    return document
