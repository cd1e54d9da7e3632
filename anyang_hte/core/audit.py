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
