"""Messages to users: a row each in the portal (count in the header, a list) and an e-mail after commit.

Callers say who is told what with :func:`notify` (or :func:`notify_many` for many messages in one
go); the e-mail goes out from a Celery task once the caller's transaction has committed, so a rolled
back change tells nobody. ``emailed_at`` is claimed before a message is sent, so a retried task never
sends the same message twice.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .errors import DomainError
from .models import Notification, User

TITLE_MAX = Notification._meta.get_field("title").max_length
URL_MAX = Notification._meta.get_field("url").max_length
CHUNK = 500


@dataclass(frozen=True)
class Message:
    users: Iterable[User]
    title: str
    body: str = ""
    url: str = ""


def notify(*, users: Iterable[User], title: str, body: str = "", url: str = "") -> list[Notification]:
    """Tell each active user (each once) ``title``; e-mail them after the transaction commits."""
    return notify_many([Message(users=users, title=title, body=body, url=url)])


def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """Several messages in one insert and one e-mail task (a paid batch tells many counties at once)."""
    rows = []
    for message in messages:
        seen = set()
        for user in message.users:
            if user.pk in seen or not user.is_active:
                continue
            seen.add(user.pk)
            rows.append(
                Notification(
                    user=user,
                    title=str(message.title)[:TITLE_MAX],
                    body=str(message.body),
                    url=str(message.url)[:URL_MAX],
                )
            )
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows, batch_size=CHUNK)
    ids = [n.pk for n in created]

    from .tasks import send_notification_emails

    # robust: a mail server that is down must not turn the caller's committed change into an error page
    # (in-process Celery raises straight into the request); the task's own retries handle it.
    transaction.on_commit(lambda: send_notification_emails.delay(ids), robust=True)
    return created


def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    if not getattr(by, "pk", None) or notification.user_id != by.pk:
        raise DomainError(_("只能处理本人的消息。"))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, by: User) -> int:
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())


def notification_absolute_url(notification: Notification) -> str:
    """The link in the e-mail: the portal's "open" page, which marks the message read and goes on."""
    base = getattr(settings, "PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + reverse("notification_open", args=[notification.pk])


def _email_subject(notification: Notification) -> str:
    # Subjects are one line; a stray newline in a title would make Django refuse the header.
    title = " ".join(notification.title.split())
    return _("[安阳高企培育平台] %(title)s") % {"title": title}


def _email_body(notification: Notification) -> str:
    parts = [notification.body.strip()] if notification.body.strip() else []
    parts.append(_("查看详情：%(url)s") % {"url": notification_absolute_url(notification)})
    return "\n\n".join(parts)


def notification_emails_send(*, notification_ids: Iterable[int]) -> int:
    """E-mail each message not yet e-mailed whose user has an address; return how many were sent.

    Each message is claimed (``emailed_at`` set) before it is sent and released again if sending
    fails, so a retry of the same ids sends only what has not gone out yet.
    """
    ids = sorted(set(notification_ids))
    sent = 0
    connection = get_connection()
    opened = False
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for start in range(0, len(ids), CHUNK):
                pending = (
                    Notification.objects.filter(pk__in=ids[start : start + CHUNK], emailed_at__isnull=True)
                    .exclude(user__email="")
                    .filter(user__is_active=True)
                    .select_related("user")
                    .order_by("pk")
                )
                for notification in pending:
                    claimed_at = timezone.now()
                    claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                        emailed_at=claimed_at
                    )
                    if not claimed:
                        continue  # another worker got there first
                    try:
                        if not opened:
                            connection.open()  # one SMTP session for the whole task
                            opened = True
                        send_mail(
                            _email_subject(notification),
                            _email_body(notification),
                            settings.DEFAULT_FROM_EMAIL,
                            [notification.user.email],
                            connection=connection,
                        )
                    except Exception:
                        Notification.objects.filter(pk=notification.pk, emailed_at=claimed_at).update(
                            emailed_at=None
                        )
                        raise
                    sent += 1
    finally:
        if opened:
            connection.close()
    return sent
