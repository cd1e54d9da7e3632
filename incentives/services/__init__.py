"""Every write of the incentives engine. Views, commands, the admin site and the ledger's events call
these; nothing else saves a reward, a funding line, a batch, a payment or a rule.

Each write service takes the acting ``by`` (a user, or a ``SystemActor`` for commands), checks ``by``'s
right and scope itself (``anyang_hte.core.guards``, ``permissions``, ``funding``), changes state in one
transaction under row locks, records the decision and an audit entry, and refuses with ``DomainError``.

- ``engine``: rewards from a recorded qualification, their cancellation or recovery when it is revoked;
- ``rewards``: the county submits (with documents), the tech bureau reviews (one by one or a
  selection at once), a fully paid reward is PAID;
- ``payouts``: finance batches approved money, locks the batch, records payments and recoveries;
- ``payment_runs``: a large batch's payment queued as a Celery job, the same service in the worker;
- ``official_lists``: the province's list previewed then imported, unmatched rows linked, created or
  ignored;
- ``documents``: a locked batch's reward notice and payout sheet issued as PDFs under a 文号;
- ``rules``: reward rules opened, edited until used, closed;
- ``appropriations``: 专项经费 recorded and adjusted by the bureau; approvals and batches held to them;
- ``publicity``: 公示 before payment: a batch's or an approval round's rewards published for a notice
  period, objections recorded and decided; the payment services refuse a line before its period ends.
"""

from .appropriations import BalanceShortError, appropriation_adjust, appropriation_record
from .documents import batch_document_issue, batch_document_issue_start
from .engine import rewards_for_qualification, rewards_on_qualification_revoked, rewards_run_all
from .official_lists import (
    OfficialListResult,
    official_list_import,
    official_list_import_rows,
    official_list_preview,
    official_list_row_create,
    official_list_row_ignore,
    official_list_row_link,
)
from .payment_runs import payment_run_execute, payment_run_start
from .payouts import (
    batch_add_lines,
    batch_add_matching,
    batch_create,
    batch_lock,
    batch_record_payment,
    batch_remove_line,
    payment_record,
    recovery_record,
)
from .publicity import (
    objection_record,
    objection_resolve,
    publicity_publish_batch,
    publicity_publish_round,
)
from .rewards import (
    ApprovalResult,
    missing_for_submission,
    reward_approve,
    reward_document_add,
    reward_document_remove,
    reward_mark_paid_if_complete,
    reward_reject,
    reward_return,
    reward_submit,
    rewards_approve,
    rewards_mark_paid_if_complete,
)
from .rules import rule_close, rule_open, rule_update

__all__ = [
    "ApprovalResult",
    "BalanceShortError",
    "OfficialListResult",
    "appropriation_adjust",
    "appropriation_record",
    "batch_add_lines",
    "batch_add_matching",
    "batch_create",
    "batch_document_issue",
    "batch_document_issue_start",
    "batch_lock",
    "batch_record_payment",
    "batch_remove_line",
    "missing_for_submission",
    "official_list_import",
    "official_list_import_rows",
    "official_list_preview",
    "official_list_row_create",
    "official_list_row_ignore",
    "official_list_row_link",
    "objection_record",
    "objection_resolve",
    "payment_record",
    "payment_run_execute",
    "payment_run_start",
    "publicity_publish_batch",
    "publicity_publish_round",
    "recovery_record",
    "reward_approve",
    "reward_document_add",
    "reward_document_remove",
    "reward_mark_paid_if_complete",
    "reward_reject",
    "reward_return",
    "reward_submit",
    "rewards_approve",
    "rewards_for_qualification",
    "rewards_mark_paid_if_complete",
    "rewards_on_qualification_revoked",
    "rewards_run_all",
    "rule_close",
    "rule_open",
    "rule_update",
]
