"""What the ledger's services share: the acting user on field history, the guarded enterprise row."""

import contextlib
import contextvars

from django.utils.translation import gettext as _

from anyang_hte.core.guards import guard
from anyang_hte.core.roles import person

from ..models import Enterprise

_change_reason: contextvars.ContextVar[str] = contextvars.ContextVar("ledger_change_reason", default="")


@contextlib.contextmanager
def change_reason(text: str):
    """Every ledger row saved inside the block carries ``text`` as its field-history reason (a firm's
    submission accepted by its county: who entered the values, beside the official who confirmed)."""
    token = _change_reason.set(text)
    try:
        yield
    finally:
        _change_reason.reset(token)


def save_with_history(obj, by, **kwargs):
    """Save with the acting user on the field-history record (the request middleware covers only views)."""
    if person(by):
        obj._history_user = by
    reason = _change_reason.get()
    if reason:
        obj._change_reason = reason
    obj.save(**kwargs)
    return obj


def guarded_enterprise(enterprise: Enterprise, by, *rights: str) -> Enterprise:
    """The enterprise's row as stored, locked for the write, once ``by`` holds one of ``rights`` for it.

    The scope is checked against the stored jurisdiction, not the caller's copy of the object.
    """
    locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    guard(
        by,
        *rights,
        jurisdiction_id=locked.jurisdiction_id,
        scope_reason=_("该企业不在您所在县区的培育台账中，不能办理。"),
    )
    return locked
