"""The county's time limit to confirm (or return) what a firm submitted, and which submissions are overdue.

The clock starts when the firm submits (``FirmSubmission.submitted_at``) and runs while the submission
waits for the county (待县区确认); the limit is ``TimeLimit`` 县区确认企业填报, kept in the admin.
"""

from django.db.models import QuerySet

from anyang_hte.core.dates import start_of
from anyang_hte.core.models import TimeLimit
from anyang_hte.core.workdays import Deadlines, DeadlineState

from .models import FirmSubmission

CODE = TimeLimit.Code.SUBMISSION_CONFIRM


def submission_state(submission: FirmSubmission, deadlines: Deadlines) -> DeadlineState | None:
    if submission.status != FirmSubmission.Status.SUBMITTED or submission.submitted_at is None:
        return None
    return deadlines.state(CODE, submission.submitted_at)


def overdue_submissions(qs: QuerySet, deadlines: Deadlines) -> QuerySet:
    """Submissions waiting for their county past the limit."""
    return qs.filter(
        status=FirmSubmission.Status.SUBMITTED, submitted_at__lt=start_of(deadlines.overdue_before(CODE))
    )
