"""Every write service of the registers checks its caller itself, whichever door the call came through.

Called directly (as a command, a task or an API would), each service refuses a caller without the
right, and a county official of another jurisdiction, with a ``DomainError`` that says why, and
writes nothing: no row, no change to a row, no attachment, no audit entry, no message.
"""

import datetime

import pytest

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog, Notification
from anyang_hte.core.roles import Right, Role, SystemActor, has_right
from assessment.models import (
    IncubationCarrier,
    PlanTaskUnit,
    PolicyCounselor,
    TaskProgressReport,
    TrainingEvent,
)
from assessment.registers.models import LittleGiantReserveDecision, LittleGiantReserveEntry
from assessment.registers.selectors import current_quarter
from assessment.registers.services import (
    carrier_create,
    carrier_revoke,
    carrier_update,
    counselor_create,
    counselor_update,
    lg_reserve_confirm,
    lg_reserve_decline,
    lg_reserve_propose,
    lg_reserve_remove,
    lg_reserve_withdraw,
    task_report_record,
    training_event_create,
    training_event_update,
)
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

from .lg_reserve_helpers import THIS_YEAR, make_entry, make_firm

pytestmark = [pytest.mark.django_db]

WF, LZ = "410502", "410581"  # the rows are 文峰区's; the other county official is 林州市's
DAY = datetime.date(2024, 3, 1)

NO_REGISTER_RIGHT = "您没有维护培训和政策辅导员登记的权限。"
NOT_OWN_COUNTY = "只能登记本县区的培训和政策辅导员。"
NO_CARRIER_RIGHT = "您没有维护登记的权限。"
CARRIERS_ARE_THE_CITYS = "孵化载体由市科技局认定登记，县区只能查看。"
NO_TASK_RIGHT = "您没有登记行动计划任务进展的权限。"
NO_LG_PROPOSE_RIGHT = "您没有推荐科技小巨人备案企业的权限。"
NO_LG_DECIDE_RIGHT = "只有市科技局可以确认或移出科技小巨人备案。"
LG_NOT_OWN_COUNTY = "只能推荐本县区台账中的企业。"


@pytest.fixture
def rows(db):
    """A carrier, a training event and a counselor of 文峰区 (each with an enterprise), a task unit, and
    Little Giant reserve candidates of 文峰区: one not yet proposed, three proposed, one confirmed."""
    wf = jurisdiction(WF)
    proposer = UserFactory(username="g_proposer", role=Role.COUNTY_OFFICIAL, jurisdiction=wf)
    S = LittleGiantReserveEntry.Status
    lg = {
        name: make_entry(make_firm(WF), by=proposer, status=status)
        for name, status in (
            ("to_withdraw", S.PROPOSED),
            ("to_confirm", S.PROPOSED),
            ("to_decline", S.PROPOSED),
            ("to_remove", S.CONFIRMED),
        )
    }
    enterprise = EnterpriseFactory(jurisdiction=wf)
    event = TrainingEvent.objects.create(held_on=DAY, jurisdiction=wf, topic="高企政策培训")
    event.enterprises.set([enterprise])
    counselor = PolicyCounselor.objects.create(name="王辅导", jurisdiction=wf)
    counselor.enterprises.set([enterprise])
    return {
        "carrier": IncubationCarrier.objects.create(
            name="文峰孵化器", kind="incubator", level="city", jurisdiction=wf, recognised_on=DAY
        ),
        "event": event,
        "counselor": counselor,
        "enterprise": enterprise,
        "unit": PlanTaskUnit.objects.get(task__number=1, unit="市科技局"),
        "candidate": make_firm(WF),
        **lg,
    }


def _state() -> dict:
    """Everything the services could write, to compare before and after a refusal."""
    return {
        "carriers": list(IncubationCarrier.objects.order_by("pk").values()),
        "events": list(TrainingEvent.objects.order_by("pk").values()),
        "attendees": sorted(TrainingEvent.enterprises.through.objects.values_list()),
        "counselors": list(PolicyCounselor.objects.order_by("pk").values()),
        "advised": sorted(PolicyCounselor.enterprises.through.objects.values_list()),
        "reports": list(TaskProgressReport.objects.order_by("pk").values()),
        "lg_entries": list(LittleGiantReserveEntry.objects.order_by("pk").values()),
        "lg_decisions": list(LittleGiantReserveDecision.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values_list("pk", flat=True)),
        "audit": list(AuditLog.objects.order_by("pk").values_list("pk", flat=True)),
    }


# Each write, called with ``jurisdiction`` as the jurisdiction it writes to (or moves the row to).
def _carrier_create(rows, by, code=WF):
    return carrier_create(
        name="新孵化器",
        kind="incubator",
        level="city",
        jurisdiction=jurisdiction(code),
        recognised_on=DAY,
        by=by,
    )


def _carrier_update(rows, by, code=WF):
    return carrier_update(
        carrier=rows["carrier"],
        name="改名孵化器",
        kind="maker_space",
        level="national",
        jurisdiction=jurisdiction(code),
        recognised_on=DAY,
        by=by,
    )


def _carrier_revoke(rows, by, code=WF):
    return carrier_revoke(carrier=rows["carrier"], revoked_on=DAY, by=by)


def _training_event_create(rows, by, code=WF):
    return training_event_create(
        held_on=DAY, jurisdiction=jurisdiction(code), topic="新培训", enterprises=[], by=by
    )


def _training_event_update(rows, by, code=WF):
    return training_event_update(
        event=rows["event"],
        held_on=DAY,
        jurisdiction=jurisdiction(code),
        topic="改主题",
        enterprises=[],
        by=by,
    )


def _counselor_create(rows, by, code=WF):
    return counselor_create(name="新辅导员", jurisdiction=jurisdiction(code), by=by)


def _counselor_update(rows, by, code=WF):
    return counselor_update(
        counselor=rows["counselor"], name="改名", jurisdiction=jurisdiction(code), active=False, by=by
    )


def _task_report_record(rows, by, code=None):
    year, quarter = current_quarter()
    return task_report_record(
        task_unit=rows["unit"], year=year, quarter=quarter, progress="按计划推进", by=by
    )  # fmt: skip


# The Little Giant reserve: a county proposes and withdraws its own enterprise's entry, the bureau decides
# (``code`` is unused: an entry belongs to its enterprise's county, and no move changes that).
def _lg_reserve_propose(rows, by, code=WF):
    return lg_reserve_propose(enterprise=rows["candidate"], year=THIS_YEAR, note="推荐", by=by)


def _lg_reserve_withdraw(rows, by, code=WF):
    return lg_reserve_withdraw(entry=rows["to_withdraw"], reason="撤回", by=by)


def _lg_reserve_confirm(rows, by, code=WF):
    return lg_reserve_confirm(entry=rows["to_confirm"], comment="同意", by=by)


def _lg_reserve_decline(rows, by, code=WF):
    return lg_reserve_decline(entry=rows["to_decline"], reason="不符合", by=by)


def _lg_reserve_remove(rows, by, code=WF):
    return lg_reserve_remove(entry=rows["to_remove"], reason="迁出", by=by)


# Service: (the right it needs, the refusal for a caller without it, for another county's official).
WRITES = {
    _carrier_create: (Right.REGISTER_EDIT, NO_CARRIER_RIGHT, CARRIERS_ARE_THE_CITYS),
    _carrier_update: (Right.REGISTER_EDIT, NO_CARRIER_RIGHT, CARRIERS_ARE_THE_CITYS),
    _carrier_revoke: (Right.REGISTER_EDIT, NO_CARRIER_RIGHT, CARRIERS_ARE_THE_CITYS),
    _training_event_create: (Right.REGISTER_EDIT, NO_REGISTER_RIGHT, NOT_OWN_COUNTY),
    _training_event_update: (Right.REGISTER_EDIT, NO_REGISTER_RIGHT, NOT_OWN_COUNTY),
    _counselor_create: (Right.REGISTER_EDIT, NO_REGISTER_RIGHT, NOT_OWN_COUNTY),
    _counselor_update: (Right.REGISTER_EDIT, NO_REGISTER_RIGHT, NOT_OWN_COUNTY),
    _task_report_record: (Right.TASK_REPORT, NO_TASK_RIGHT, None),
    _lg_reserve_propose: (Right.REGISTER_EDIT, NO_LG_PROPOSE_RIGHT, LG_NOT_OWN_COUNTY),
    _lg_reserve_withdraw: (Right.REGISTER_EDIT, NO_LG_PROPOSE_RIGHT, LG_NOT_OWN_COUNTY),
    _lg_reserve_confirm: (Right.ASSESSMENT_MANAGE, NO_LG_DECIDE_RIGHT, None),
    _lg_reserve_decline: (Right.ASSESSMENT_MANAGE, NO_LG_DECIDE_RIGHT, None),
    _lg_reserve_remove: (Right.ASSESSMENT_MANAGE, NO_LG_DECIDE_RIGHT, None),
}
# Writes made by the county of the row (the others by the tech bureau), and writes that never move a
# row to another jurisdiction (a county's official is tried on 文峰区's row only).
BY_COUNTY = {w for w, (_r, _n, scope) in WRITES.items() if scope in (NOT_OWN_COUNTY, LG_NOT_OWN_COUNTY)}
NO_MOVE = {_training_event_create, _counselor_create, _lg_reserve_propose, _lg_reserve_withdraw}


def _name(write) -> str:
    return write.__name__.lstrip("_")


def _callers() -> list:
    """Every kind of caller: each role (a county role in 文峰区), no role, inactive, the system, nobody."""
    users = [
        UserFactory(username=f"g_{role}", role=role, jurisdiction=jurisdiction(WF) if bound else None)
        for role, bound in (
            (Role.COUNTY_OFFICIAL, True),
            (Role.COUNTY_FINANCE, True),
            (Role.TECH_REVIEWER, False),
            (Role.CITY_FINANCE, False),
            (Role.ADMIN, False),
        )
    ]
    users.append(UserFactory(username="g_norole", role="", jurisdiction=None))
    users.append(
        UserFactory(username="g_inactive", role=Role.TECH_REVIEWER, jurisdiction=None, is_active=False)
    )
    return [*users, SystemActor("test"), None]


def _refused(write, rows, by, code=WF) -> DomainError:
    before = _state()
    with pytest.raises(DomainError) as exc:
        write(rows, by, code)
    assert exc.value.message.strip() and str(exc.value).strip()
    assert _state() == before, "a refused write changed something"
    return exc.value


@pytest.mark.parametrize("write", WRITES, ids=_name)
def test_a_caller_without_the_right_is_refused_and_nothing_is_written(rows, write):
    right, reason, _scope_reason = WRITES[write]
    refused = [by for by in _callers() if not has_right(by, right)]
    assert len(refused) >= 4  # at least: a finance office, no role, inactive, the system, nobody
    for by in refused:
        assert _refused(write, rows, by).message == reason, by


@pytest.mark.parametrize("write", [w for w in WRITES if WRITES[w][2]], ids=_name)
def test_a_county_official_of_another_jurisdiction_is_refused_and_nothing_is_written(
    rows, write, other_county_official
):
    _right, _reason, scope_reason = WRITES[write]
    # Writing into 文峰区; for an update also moving 文峰区's row into the official's own 林州市 (a new
    # training or counselor of 林州市 is theirs to register; a carrier never is).
    for code in (WF,) if write in NO_MOVE else (WF, LZ):
        error = _refused(write, rows, other_county_official, code)
        assert error.message == scope_reason, code
        if scope_reason == NOT_OWN_COUNTY:
            assert error.field == "jurisdiction"


@pytest.mark.parametrize("write", [_training_event_update, _counselor_update], ids=_name)
def test_a_county_official_cannot_move_its_own_row_to_another_jurisdiction(rows, write, county_official):
    error = _refused(write, rows, county_official, LZ)
    assert error.message == NOT_OWN_COUNTY and error.field == "jurisdiction"


def test_a_write_without_a_jurisdiction_is_refused(rows, reviewer):
    for write in (
        lambda: training_event_create(held_on=DAY, jurisdiction=None, topic="培训", by=reviewer),
        lambda: counselor_create(name="张", jurisdiction=None, by=reviewer),
        lambda: training_event_update(
            event=rows["event"], held_on=DAY, jurisdiction=None, topic="培训", by=reviewer
        ),
    ):
        before = _state()
        with pytest.raises(DomainError) as exc:
            write()
        assert exc.value.message == NOT_OWN_COUNTY and exc.value.field == "jurisdiction"
        assert _state() == before


def test_the_same_writes_pass_for_those_who_may(rows, reviewer, county_official):
    """The refusals above are the guard's, not a broken call: the rightful callers get through."""
    for write in WRITES:
        by = county_official if write in BY_COUNTY else reviewer
        write(rows, by, WF)
    # one entry each; the confirmation also records the reserve qualification in the ledger
    assert AuditLog.objects.count() == len(WRITES) + 1
    assert AuditLog.objects.filter(action="enterprises.qualification.recorded").count() == 1
