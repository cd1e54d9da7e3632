"""A payout batch's documents issued as PDFs under a 文号: the reward notice and the payout sheet.

- 奖励通知 (``reward_notice``): the firms, their credit codes, the reward, the amount in figures and in
  capital numerals (大写), the funding source, the total in figures and in 大写;
- 拨付表 (``payout_sheet``): the same lines in the payout export's columns without the bank's (户名,
  开户银行, 银行账号 stay in the xlsx that goes to the bank), the total, and the signature block
  (经办人 / 审核人 / 负责人 with their dates, 单位盖章).

The lines and their notes are the payout export's (``exporters.PayoutSheetExporter``), so the PDF and
the xlsx never disagree. Issuing is ``services.documents``; who sees the issued documents is who may
see the batch (:func:`batch_documents_scope`, the batch's own ``for_user``).
"""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from anyang_hte.core.documents import Issue, source_documents
from anyang_hte.core.models import IssuedDocument
from anyang_hte.core.money import CENT

from .exporters import PayoutSheetExporter, amount_in_words
from .models import PayoutBatch

Kind = IssuedDocument.Kind
KINDS = (Kind.REWARD_NOTICE, Kind.PAYOUT_SHEET)
TEMPLATES = {
    Kind.REWARD_NOTICE: "incentives/reward_notice_pdf.html",
    Kind.PAYOUT_SHEET: "incentives/payout_sheet_pdf.html",
}
STYLESHEETS = {
    Kind.REWARD_NOTICE: ("incentives/reward_notice_pdf.css",),
    Kind.PAYOUT_SHEET: ("incentives/payout_sheet_pdf.css",),
}


def source_key(batch: PayoutBatch) -> str:
    return f"payout_batch:{batch.pk}"


def batch_documents_scope(user) -> Q | None:
    """settings.ISSUED_DOCUMENT_SCOPES: the documents of the batches ``user`` may see, else none."""
    batches = PayoutBatch.objects.for_user(user)
    if batches.query.is_empty():
        return None
    return Q(source_type=ContentType.objects.get_for_model(PayoutBatch), source_id__in=batches.values("pk"))


def batch_documents(batch: PayoutBatch, user):
    """The batch's issued notices and sheets ``user`` may see, the latest first."""
    return source_documents(KINDS, source_key(batch), user)


def title(batch: PayoutBatch, kind: str) -> str:
    if kind == Kind.REWARD_NOTICE:
        return _("关于拨付奖励资金的通知（%(name)s）") % {"name": batch.name}
    return _("奖励资金拨付表（%(name)s）") % {"name": batch.name}


def funding_source(batch: PayoutBatch) -> str:
    source = batch.get_source_display()
    return f"{source}（{batch.jurisdiction.name}）" if batch.jurisdiction_id else str(source)


class _Lines(PayoutSheetExporter):
    """The payout export's rows as dicts for a template (its notes, its order), without the bank."""

    def rows(self) -> list[dict]:
        rows = []
        for seq, line in enumerate(self.lines(), start=1):
            amount = line["amount"].quantize(CENT)
            rows.append(
                {
                    "seq": seq,
                    "enterprise": line["reward__enterprise__name"],
                    "credit_code": line["reward__enterprise__credit_code"],
                    "jurisdiction": line["jurisdiction__name"],
                    "rule": line["reward__rule__name"],
                    "policy": line["reward__rule__policy_document"],
                    "amount": amount,
                    "amount_words": amount_in_words(amount),
                    "notes": self.notes(line),
                }
            )
        return rows


def document_data(batch: PayoutBatch) -> dict:
    """The lines, the count and the total (in figures and in 大写) the documents show."""
    rows = _Lines(batch).rows()
    total = sum((r["amount"] for r in rows), Decimal("0.00"))
    return {
        "rows": rows,
        "count": len(rows),
        "firms": len({r["credit_code"] for r in rows}),
        "total": total,
        "total_words": amount_in_words(total),
        "source": funding_source(batch),
    }


def snapshot(batch: PayoutBatch, data: dict) -> dict:
    return {
        "batch": batch.pk,
        "batch_name": batch.name,
        "status": batch.status,
        "source": batch.source,
        "jurisdiction": batch.jurisdiction.code if batch.jurisdiction_id else None,
        "count": data["count"],
        "total": str(data["total"]),
        "lines": [
            {"credit_code": r["credit_code"], "enterprise": r["enterprise"], "amount": str(r["amount"])}
            for r in data["rows"]
        ],
    }


def render(batch: PayoutBatch, kind: str, data: dict, issue: Issue) -> str:
    return render_to_string(
        TEMPLATES[kind], {**issue.context, **data, "title": title(batch, kind), "batch": batch}
    )
