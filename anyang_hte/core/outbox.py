"""Outgoing e-mail through an outbox table.

A service that tells someone something by e-mail calls :func:`outbox_add` (or :func:`outbox_add_many`)
inside its own transaction: the message is a row, committed with the event or rolled back with it.
After the commit a task sends the new rows (:func:`outbox_send`); whatever it could not send (the
broker was down so the task never ran, the mail server refused, the worker died) stays due and the
sweeper (beat, every minute) sends it later, a failed message after a growing pause (1, 2, 4 … minutes,
at most 6 hours), at most ``OUTBOX_MAX_ATTEMPTS`` times. A broker outage delays mail; it loses none.

Two senders never send the same row: a sender claims the rows it sends by moving their
``next_attempt_at`` a lease (``OUTBOX_LEASE_SECONDS``) ahead, with ``SELECT … FOR UPDATE SKIP LOCKED``
on PostgreSQL and a conditional update elsewhere, and marks a row sent only while it still holds the
lease. (A sender killed between the SMTP hand-over and that mark sends the message again after the
lease: at least once, never silently lost.)
"""

import datetime
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .jobs import enqueue
from .models import EmailOutbox, Notification

logger = logging.getLogger(__name__)

CHUNK = 500
SUBJECT_MAX = EmailOutbox._meta.get_field("subject").max_length
MAX_PAUSE = datetime.timedelta(hours=6)
# The mail server cannot be reached or hung up (not: it refused one message or one address).
SERVER_DOWN = (ConnectionError, TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


@dataclass(frozen=True)
class Mail:
    recipients: Sequence[str]
    subject: str
    body: str
    notification: Notification | None = None


def outbox_add(*, recipients: Sequence[str], subject: str, body: str) -> EmailOutbox:
    """Put one e-mail in the outbox, in the caller's transaction; it is sent after the commit."""
    return outbox_add_many([Mail(recipients=recipients, subject=subject, body=body)])[0]


def outbox_add_many(mails: Iterable[Mail]) -> list[EmailOutbox]:
    now = timezone.now()
    rows = [
        EmailOutbox(
            recipients=list(mail.recipients),
            # a subject is one line: a stray newline would make Django refuse the header
            subject=" ".join(str(mail.subject).split())[:SUBJECT_MAX],
            body=str(mail.body),
            notification=mail.notification,
            next_attempt_at=now,
        )
        for mail in mails
        if mail.recipients
    ]
    if not rows:
        return []
    created = EmailOutbox.objects.bulk_create(rows, batch_size=CHUNK)
    ids = [row.pk for row in created]
    from .tasks import send_outbox_emails  # tasks import this module

    # quiet: a broker (or, in-process, a mail server) that is down must not turn the caller's committed
    # change into an error page; the rows stay due and the sweeper sends them.
    enqueue(send_outbox_emails, ids, quiet=True)
    return created


def _pause(attempts: int) -> datetime.timedelta:
    return min(MAX_PAUSE, datetime.timedelta(minutes=2 ** max(0, attempts - 1)))


def _claim(ids: Sequence[int] | None, limit: int) -> tuple[list[EmailOutbox], datetime.datetime]:
    """The due rows (of ``ids``, if given) this sender may send, their lease moved ahead."""
    now = timezone.now()
    lease = now + datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    due = EmailOutbox.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    due = due.order_by("pk")
    if connection.vendor == "postgresql":
        with transaction.atomic():
            rows = list(due.select_for_update(skip_locked=True)[:limit])
            EmailOutbox.objects.filter(pk__in=[row.pk for row in rows]).update(
                next_attempt_at=lease, attempts=F("attempts") + 1
            )
    else:
        rows = []
        for row in due[:limit]:
            if EmailOutbox.objects.filter(
                pk=row.pk, sent_at__isnull=True, next_attempt_at=row.next_attempt_at
            ).update(next_attempt_at=lease, attempts=F("attempts") + 1):
                rows.append(row)
    for row in rows:
        row.attempts += 1
    return rows, lease


def outbox_send(*, ids: Sequence[int] | None = None, limit: int = CHUNK) -> int:
    """Send the due messages (of ``ids``, or all); return how many were sent.

    A message that fails waits a growing pause; after ``OUTBOX_MAX_ATTEMPTS`` it is given up
    (``next_attempt_at`` empty, the error kept for the administrator).
    """
    rows, lease = _claim(ids, limit)
    if not rows:
        return 0
    sent = 0
    mailer = get_connection()
    opened = False
    try:
        for row in rows:
            mine = EmailOutbox.objects.filter(pk=row.pk, next_attempt_at=lease, sent_at__isnull=True)
            try:
                if not opened:
                    mailer.open()  # one SMTP session for the batch
                    opened = True
                send_mail(
                    row.subject, row.body, settings.DEFAULT_FROM_EMAIL, row.recipients, connection=mailer
                )
            except Exception as exc:  # noqa: BLE001 - whatever the mail server said, the row is kept
                logger.warning("e-mail %s not sent (attempt %s): %s", row.pk, row.attempts, exc)
                give_up = row.attempts >= settings.OUTBOX_MAX_ATTEMPTS
                mine.update(
                    next_attempt_at=None if give_up else timezone.now() + _pause(row.attempts),
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                )
                if isinstance(exc, SERVER_DOWN):  # the rest waits too
                    _release([r for r in rows if r.pk > row.pk], lease, exc)
                    break
                continue
            now = timezone.now()
            if mine.update(sent_at=now, next_attempt_at=None, last_error=""):
                sent += 1
                if row.notification_id:
                    Notification.objects.filter(pk=row.notification_id, emailed_at__isnull=True).update(
                        emailed_at=now
                    )
    finally:
        if opened:
            mailer.close()
    return sent


def _release(rows: Sequence[EmailOutbox], lease: datetime.datetime, exc: Exception) -> None:
    for row in rows:
        EmailOutbox.objects.filter(pk=row.pk, next_attempt_at=lease, sent_at__isnull=True).update(
            next_attempt_at=timezone.now() + _pause(1), attempts=F("attempts") - 1
        )


def outbox_sweep() -> int:
    """Send everything due (the beat task, every minute); return how many were sent."""
    total = 0
    while True:
        sent = outbox_send()
        total += sent
        if sent < CHUNK:
            return total


def outbox_purge(*, older_than: datetime.timedelta | None = None) -> int:
    """Delete sent messages after ``OUTBOX_KEEP_DAYS`` (a set-password link must not linger)."""
    cutoff = timezone.now() - (older_than or datetime.timedelta(days=settings.OUTBOX_KEEP_DAYS))
    deleted, _ = EmailOutbox.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
