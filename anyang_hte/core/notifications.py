"""Messages to users: a row each in the portal (count in the header, a list) and an e-mail.

Callers say who is told what with :func:`notify` (or :func:`notify_many` for many messages in one
go). The e-mail is written to the outbox (:mod:`anyang_hte.core.outbox`) in the caller's transaction,
so a rolled back change tells nobody and a committed one loses no e-mail when the broker or the mail
server is down; ``emailed_at`` is set once it went out.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .errors import DomainError
from .models import Notification, User
from .outbox import Mail, outbox_add_many

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
    """Several messages in one insert and one outbox insert (a paid batch tells many counties at once)."""
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
    with translation.override(settings.LANGUAGE_CODE):
        outbox_add_many(
            Mail(recipients=[n.user.email], subject=_email_subject(n), body=_email_body(n), notification=n)
            for n in created
            if n.user.email
        )
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
