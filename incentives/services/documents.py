"""A batch's reward notice (奖励通知) and payout sheet (拨付表) issued as PDFs under a 文号.

Who issues: the finance office that owns the batch (``Right.PAYOUT_MANAGE`` and the batch's money, as
for every other write on it, ``permissions.can_issue_batch_documents``), once the batch is locked (a
draft still changes; the xlsx export waits for the lock too). The tech bureau does not: it has no
batch page and no write on batches anywhere; it sees the issued documents in the documents list.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from anyang_hte.core.documents import issue_document, numbering
from anyang_hte.core.errors import DomainError
from anyang_hte.core.guards import ensure_allowed
from anyang_hte.core.models import IssuedDocument

from .. import issued_documents as docs
from ..models import PayoutBatch
from ..permissions import can_issue_batch_documents


@transaction.atomic
def batch_document_issue(*, batch: PayoutBatch, kind: str, by) -> IssuedDocument:
    """Issue the batch's ``kind`` (reward_notice or payout_sheet) under the next number of its series."""
    if kind not in docs.KINDS:
        raise DomainError(_("未知的文种：%(kind)s") % {"kind": kind})
    batch = PayoutBatch.objects.select_for_update().select_related("jurisdiction").get(pk=batch.pk)
    ensure_allowed(can_issue_batch_documents(by, batch))
    data = docs.document_data(batch)
    if not data["count"]:
        raise DomainError(_("批次中没有资金明细，不能印发。"))
    return issue_document(
        kind=kind,
        title=docs.title(batch, kind),
        numbering=numbering(kind, jurisdiction=batch.jurisdiction),
        source_key=docs.source_key(batch),
        source=batch,
        source_label=batch.name,
        snapshot=docs.snapshot(batch, data),
        render=lambda issue: docs.render(batch, kind, data, issue),
        by=by,
    )
