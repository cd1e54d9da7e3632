from django.contrib.contenttypes.models import ContentType

from .models import AuditLog


def audit_log(obj, action: str, *, by, data: dict | None = None) -> AuditLog:
    """Record a business event inside the caller's transaction."""
    return AuditLog.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        action=action,
        user=by if by is not None and getattr(by, "pk", None) else None,
        data=data or {},
    )


def audit_log_many(objs, action: str, *, by, data_for) -> list[AuditLog]:
    """The same business event on many objects (a batch paid, say): one INSERT, not one per object."""
    objs = list(objs)
    if not objs:
        return []
    content_type = ContentType.objects.get_for_model(objs[0])
    user = by if by is not None and getattr(by, "pk", None) else None
    return AuditLog.objects.bulk_create(
        [
            AuditLog(
                content_type=content_type, object_id=str(obj.pk), action=action, user=user, data=data_for(obj)
            )
            for obj in objs
        ],
        batch_size=500,
    )
