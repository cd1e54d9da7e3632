"""Business events: one ``audit_log`` call inside the service's transaction (after pretix's log_action).

The row names the acting person; when the portal itself acted (a command or a scheduled task, a
:class:`~anyang_hte.core.roles.SystemActor`) the person is empty and ``data["system"]`` says which.
"""

from django.contrib.contenttypes.models import ContentType

from .models import AuditLog
from .roles import is_client, is_system, person


def _data(by, data: dict | None) -> dict:
    data = dict(data or {})
    if is_system(by):
        data.setdefault("system", by.name)
    elif is_client(by):
        data.setdefault("api_client", by.name)
    return data


def audit_log(obj, action: str, *, by, data: dict | None = None) -> AuditLog:
    """Record a business event inside the caller's transaction."""
    return AuditLog.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        action=action,
        user=person(by),
        data=_data(by, data),
    )


def audit_log_many(objs, action: str, *, by, data_for) -> list[AuditLog]:
    """The same business event on many objects (a batch paid, say): one INSERT, not one per object."""
    objs = list(objs)
    if not objs:
        return []
    content_type = ContentType.objects.get_for_model(objs[0])
    user = person(by)
    return AuditLog.objects.bulk_create(
        [
            AuditLog(
                content_type=content_type,
                object_id=str(obj.pk),
                action=action,
                user=user,
                data=_data(by, data_for(obj)),
            )
            for obj in objs
        ],
        batch_size=500,
    )


def audit_system_event(action: str, *, by, data: dict | None = None) -> AuditLog:
    """An event of the portal as a whole, about no one record (a nightly purge, say): the row's object is
    the log itself (its content type, no object id), so the audit page shows it as the system's."""
    return AuditLog.objects.create(
        content_type=ContentType.objects.get_for_model(AuditLog),
        object_id="",
        action=action,
        user=person(by),
        data=_data(by, data),
    )
