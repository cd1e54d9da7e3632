"""Reads of the audit log (操作日志) for its page and its export.

Who sees it: the holders of ``Right.AUDIT_VIEW`` (the tech bureau's reviewers and the administrators),
and only city-wide roles. County users are refused outright rather than shown "their county's" rows:
an entry's object may be an enterprise, a reward, a batch, a list row, a user or a target, each with
its own path to a county (or none), and its ``data`` may name other counties' firms (an official
list's import, a city batch), so a county filter could not be proved complete. Fails closed:
:func:`audit_entries` is empty for anyone else, whatever the caller checked before.

Each entry's object is shown by its ``str()``, read in one query per content type for a whole page or
export chunk (with the object's foreign keys joined, so a ``__str__`` that names its enterprise costs
nothing more), never one query per row. The core names no app: the model comes from the content type.
"""

import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .audit_actions import action_label
from .models import AuditLog
from .roles import Right, has_right, is_city_wide

# How deep a label's foreign keys are joined (a payment's line's reward's enterprise is 3 hops).
LABEL_JOIN_DEPTH = 3
DATA_SUMMARY_CHARS = 240


def may_view_audit_log(user) -> bool:
    return has_right(user, Right.AUDIT_VIEW) and is_city_wide(user)


def audit_entries(user) -> QuerySet:
    """Every entry ``user`` may read (all of them, or none), newest first, with the person's role place."""
    qs = AuditLog.objects.select_related("content_type", "user__jurisdiction", "user__enterprise").order_by(
        "-created_at", "-id"
    )
    return qs if may_view_audit_log(user) else qs.none()


@dataclasses.dataclass
class AuditRow:
    entry: AuditLog
    action_label: str
    object_type: str
    object_label: str
    object_url: str
    data_summary: str

    @property
    def person(self) -> str:
        user = self.entry.user
        if user is None:
            if self.entry.data.get("api_client"):
                return _("接口客户端（%(name)s）") % {"name": self.entry.data["api_client"]}
            return _("系统（%(name)s）") % {"name": self.entry.data.get("system", "")}
        return str(user)

    @property
    def role(self) -> str:
        user = self.entry.user
        return user.get_role_display() if user is not None else ""

    @property
    def place(self) -> str:
        """The person's jurisdiction (a county user) or enterprise (a firm user); empty when city-wide."""
        user = self.entry.user
        if user is None:
            return ""
        if user.enterprise_id:
            return str(user.enterprise)
        return str(user.jurisdiction) if user.jurisdiction_id else ""


def _label_joins(model, depth: int = LABEL_JOIN_DEPTH, prefix: str = "") -> list[str]:
    """The forward foreign keys (nullable or not) a ``__str__`` may follow, to ``depth`` hops; never the
    users' (no label names who created a row), nor content types."""
    user_model = get_user_model()
    paths = []
    for field in model._meta.concrete_fields:
        target = field.related_model
        if not (field.many_to_one or field.one_to_one) or target in (None, user_model, ContentType):
            continue
        path = prefix + field.name
        paths.append(path)
        if depth > 1:
            paths.extend(_label_joins(target, depth - 1, path + "__"))
    return paths


def _objects_by_key(entries: Iterable[AuditLog]) -> dict[tuple[int, str], object]:
    wanted: dict[int, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.object_id:
            wanted[entry.content_type_id].add(entry.object_id)
    found = {}
    for ct_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None or model is AuditLog:
            continue
        pks = {}
        for raw in ids:
            try:
                pks[model._meta.pk.to_python(raw)] = raw
            except (ValidationError, ValueError, TypeError):
                continue
        if not pks:
            continue
        queryset = model._base_manager.select_related(*_label_joins(model)).filter(pk__in=list(pks))
        for obj in queryset:
            found[(ct_id, pks.get(obj.pk, str(obj.pk)))] = obj
    return found


def _value(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def data_summary(data: dict, limit: int = DATA_SUMMARY_CHARS) -> str:
    """The entry's data as ``key: value; ...`` (the acting system's or API client's name left out: it is
    the person)."""
    actors = ("system", "api_client")
    text = "; ".join(f"{key}: {_value(value)}" for key, value in (data or {}).items() if key not in actors)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def audit_rows(entries: Iterable[AuditLog], *, summary_chars: int = DATA_SUMMARY_CHARS) -> list[AuditRow]:
    """Rows for the page or the export: labels resolved in one query per content type."""
    entries = list(entries)
    objects = _objects_by_key(entries)
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        if model is AuditLog:  # an event of the portal as a whole (audit_system_event)
            object_type, label, url = _("系统"), "", ""
        else:
            object_type = str(model._meta.verbose_name) if model else entry.content_type.model
            obj = objects.get((entry.content_type_id, entry.object_id))
            if obj is None:
                label, url = _("（已删除）#%(id)s") % {"id": entry.object_id}, ""
            else:
                label = str(obj)
                url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
        rows.append(
            AuditRow(
                entry=entry,
                action_label=action_label(entry.action),
                object_type=object_type,
                object_label=label,
                object_url=url,
                data_summary=data_summary(entry.data, summary_chars),
            )
        )
    return rows
