"""The linked helper's timetable (帮扶节点) and service visits (服务走访)."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import Right, person

from ..models import Enterprise, LedgerMilestone, ServiceVisit
from ._common import guarded_enterprise, save_with_history

MILESTONE_FIELDS = frozenset({"title", "due_on", "done_on", "note"})


def _check_done_on(done_on: datetime.date | None) -> None:
    if done_on and done_on > today():
        raise DomainError(_("完成日期不能晚于今天。"), field="done_on")


@transaction.atomic
def milestone_create(
    *,
    enterprise: Enterprise,
    title: str,
    due_on: datetime.date,
    by,
    note: str = "",
    done_on: datetime.date | None = None,
) -> LedgerMilestone:
    enterprise = guarded_enterprise(enterprise, by, Right.LEDGER_EDIT)
    if not title.strip():
        raise DomainError(_("请填写节点事项。"), field="title")
    _check_done_on(done_on)
    milestone = save_with_history(
        LedgerMilestone(
            enterprise=enterprise, title=title.strip(), due_on=due_on, done_on=done_on, note=note
        ),
        by,
    )
    audit_log(milestone, "enterprises.milestone.created", by=by, data={"enterprise": enterprise.pk})
    return milestone


@transaction.atomic
def milestone_update(*, milestone: LedgerMilestone, by, **fields) -> LedgerMilestone:
    if set(fields) - MILESTONE_FIELDS:
        raise TypeError(f"unknown milestone fields: {sorted(set(fields) - MILESTONE_FIELDS)}")
    stored = LedgerMilestone.objects.only("enterprise_id").get(pk=milestone.pk)
    guarded_enterprise(Enterprise(pk=stored.enterprise_id), by, Right.LEDGER_EDIT)
    milestone = LedgerMilestone.objects.select_for_update().get(pk=milestone.pk)
    if "title" in fields and not (fields["title"] or "").strip():
        raise DomainError(_("请填写节点事项。"), field="title")
    _check_done_on(fields.get("done_on", milestone.done_on))
    changed = [k for k, v in fields.items() if getattr(milestone, k) != v]
    if not changed:
        return milestone
    for key in changed:
        setattr(milestone, key, fields[key])
    save_with_history(milestone, by)
    audit_log(milestone, "enterprises.milestone.updated", by=by, data={"fields": sorted(changed)})
    return milestone


@transaction.atomic
def visit_create(
    *,
    enterprise: Enterprise,
    visited_on: datetime.date,
    visitors: str,
    by,
    problems: str = "",
    actions: str = "",
) -> ServiceVisit:
    enterprise = guarded_enterprise(enterprise, by, Right.LEDGER_EDIT)
    if visited_on > today():
        raise DomainError(_("走访日期不能晚于今天。"), field="visited_on")
    if not visitors.strip():
        raise DomainError(_("请填写走访人员。"), field="visitors")
    visit = save_with_history(
        ServiceVisit(
            enterprise=enterprise,
            visited_on=visited_on,
            visitors=visitors.strip(),
            problems=problems,
            actions=actions,
            created_by=person(by),
        ),
        by,
    )
    audit_log(visit, "enterprises.visit.created", by=by, data={"enterprise": enterprise.pk})
    return visit
