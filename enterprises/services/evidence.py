"""The records the readiness verdict reads besides the yearly figures: the IP register, adverse records
(accidents, violations, listings) and the tech-SME direct routes (awards, research institutions,
standards). Each write checks the caller's right and the enterprise's jurisdiction, keeps field history
and an audit entry, and refreshes the stored verdict.

A record entered by mistake can be removed, with a reason; the audit log and the field history keep it.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError, full_clean
from anyang_hte.core.roles import Right, person

from ..models import Distinction, DistinctionKind, Enterprise, Incident, IntellectualProperty
from ..readiness import FIRST_APPLICATION_YEAR
from ._common import guarded_enterprise, save_with_history
from .figures import enterprise_refresh_readiness

IP_FIELDS = ("kind", "title", "number", "granted_on", "lapsed_on", "acquisition", "used_in_year")
INCIDENT_FIELDS = ("kind", "occurred_on", "ended_on", "reference", "note")
DISTINCTION_FIELDS = ("kind", "title", "obtained_on", "rank", "ended_on", "reference")


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _check(fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


def _not_future(fields: dict, *names: str) -> None:
    for name in names:
        day = fields.get(name)
        if day is not None and day > today():
            raise DomainError(_("日期不能晚于今天。"), field=name)


def _strip(fields: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


def _save(obj, *, enterprise: Enterprise, by, action: str, data: dict, duplicate: str | None = None):
    full_clean(obj, exclude=["enterprise"])
    try:
        with transaction.atomic():
            save_with_history(obj, by)
    except IntegrityError:
        raise DomainError(duplicate or _("与已有记录重复。"), field="number") from None
    audit_log(
        obj, action, by=by, data={"enterprise": enterprise.pk, **{k: _plain(v) for k, v in data.items()}}
    )
    enterprise_refresh_readiness(enterprise=enterprise)
    return obj


def _update(model, obj, *, by, fields: dict, allowed, action: str, check, duplicate: str | None = None):
    _check(fields, allowed)
    stored = model.objects.only("enterprise_id").get(pk=obj.pk)
    enterprise = guarded_enterprise(Enterprise(pk=stored.enterprise_id), by, Right.LEDGER_EDIT)
    obj = model.objects.select_for_update().get(pk=obj.pk)
    fields = _strip(fields)
    check({name: getattr(obj, name) for name in allowed} | fields)  # the record as it will be stored
    changed = {k: [_plain(getattr(obj, k)), _plain(v)] for k, v in fields.items() if getattr(obj, k) != v}
    if not changed:
        return obj
    for name in changed:
        setattr(obj, name, fields[name])
    return _save(
        obj, enterprise=enterprise, by=by, action=action, data={"changes": changed}, duplicate=duplicate
    )


def _delete(model, obj, *, by, reason: str, action: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请说明删除原因。"), field="reason")
    stored = model.objects.only("enterprise_id").get(pk=obj.pk)
    enterprise = guarded_enterprise(Enterprise(pk=stored.enterprise_id), by, Right.LEDGER_EDIT)
    obj = model.objects.select_for_update().get(pk=obj.pk)
    data = {name: _plain(getattr(obj, name)) for name in _FIELDS_OF[model]}
    if person(by):
        obj._history_user = by
    audit_log(obj, action, by=by, data={"enterprise": enterprise.pk, "reason": reason, "record": data})
    obj.delete()
    enterprise_refresh_readiness(enterprise=enterprise)


# --- the IP register ----------------------------------------------------------------------------------


def _check_ip(fields: dict) -> None:
    _not_future(fields, "granted_on")
    if "title" in fields and not fields["title"]:
        raise DomainError(_("请填写知识产权名称。"), field="title")
    if "number" in fields and not fields["number"]:
        raise DomainError(_("请填写专利号或登记号。"), field="number")
    used = fields.get("used_in_year")
    if used is not None and not FIRST_APPLICATION_YEAR <= used <= today().year + 1:
        raise DomainError(
            _("申报年度应在%(first)s年到%(last)s年之间。")
            % {"first": FIRST_APPLICATION_YEAR, "last": today().year + 1},
            field="used_in_year",
        )


IP_DUPLICATE = gettext_lazy("该企业已登记过这一编号的同类知识产权。")


@transaction.atomic
def ip_item_create(*, enterprise: Enterprise, by, **fields) -> IntellectualProperty:
    _check(fields, IP_FIELDS)
    enterprise = guarded_enterprise(enterprise, by, Right.LEDGER_EDIT)
    fields = _strip(fields)
    _check_ip(fields)
    item = IntellectualProperty(enterprise=enterprise, **fields)
    return _save(
        item,
        enterprise=enterprise,
        by=by,
        action="enterprises.ip.created",
        data=fields,
        duplicate=str(IP_DUPLICATE),
    )


@transaction.atomic
def ip_item_update(*, item: IntellectualProperty, by, **fields) -> IntellectualProperty:
    return _update(
        IntellectualProperty,
        item,
        by=by,
        fields=fields,
        allowed=IP_FIELDS,
        action="enterprises.ip.updated",
        check=_check_ip,
        duplicate=str(IP_DUPLICATE),
    )


@transaction.atomic
def ip_item_delete(*, item: IntellectualProperty, by, reason: str) -> None:
    _delete(IntellectualProperty, item, by=by, reason=reason, action="enterprises.ip.deleted")


# --- adverse records ----------------------------------------------------------------------------------


def _check_incident(fields: dict) -> None:
    _not_future(fields, "occurred_on", "ended_on")


@transaction.atomic
def incident_create(*, enterprise: Enterprise, by, **fields) -> Incident:
    _check(fields, INCIDENT_FIELDS)
    enterprise = guarded_enterprise(enterprise, by, Right.LEDGER_EDIT)
    fields = _strip(fields)
    _check_incident(fields)
    incident = Incident(enterprise=enterprise, **fields)
    return _save(incident, enterprise=enterprise, by=by, action="enterprises.incident.created", data=fields)


@transaction.atomic
def incident_update(*, incident: Incident, by, **fields) -> Incident:
    return _update(
        Incident,
        incident,
        by=by,
        fields=fields,
        allowed=INCIDENT_FIELDS,
        action="enterprises.incident.updated",
        check=_check_incident,
    )


@transaction.atomic
def incident_delete(*, incident: Incident, by, reason: str) -> None:
    _delete(Incident, incident, by=by, reason=reason, action="enterprises.incident.deleted")


# --- the tech-SME direct routes -----------------------------------------------------------------------


def _check_distinction(fields: dict) -> None:
    _not_future(fields, "obtained_on", "ended_on")
    if "title" in fields and not fields["title"]:
        raise DomainError(_("请填写名称。"), field="title")
    if fields.get("kind") == DistinctionKind.NATIONAL_AWARD and not fields.get("rank"):
        raise DomainError(_("国家级科技奖励请填写本企业在完成单位中的排名。"), field="rank")


@transaction.atomic
def distinction_create(*, enterprise: Enterprise, by, **fields) -> Distinction:
    _check(fields, DISTINCTION_FIELDS)
    enterprise = guarded_enterprise(enterprise, by, Right.LEDGER_EDIT)
    fields = _strip(fields)
    _check_distinction(fields)
    item = Distinction(enterprise=enterprise, **fields)
    return _save(item, enterprise=enterprise, by=by, action="enterprises.distinction.created", data=fields)


@transaction.atomic
def distinction_update(*, distinction: Distinction, by, **fields) -> Distinction:
    return _update(
        Distinction,
        distinction,
        by=by,
        fields=fields,
        allowed=DISTINCTION_FIELDS,
        action="enterprises.distinction.updated",
        check=_check_distinction,
    )


@transaction.atomic
def distinction_delete(*, distinction: Distinction, by, reason: str) -> None:
    _delete(Distinction, distinction, by=by, reason=reason, action="enterprises.distinction.deleted")


_FIELDS_OF = {IntellectualProperty: IP_FIELDS, Incident: INCIDENT_FIELDS, Distinction: DISTINCTION_FIELDS}
