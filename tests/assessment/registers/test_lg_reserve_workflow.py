"""The Little Giant reserve's workflow: every legal and illegal move, through the services directly.

Each refusal says why and writes nothing (no entry, no decision row, no audit entry, no message). The
guards of every service are in ``test_guards.py``; the pages in ``test_lg_reserve_pages.py``.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog, Notification
from anyang_hte.core.roles import Role, SystemActor
from assessment.registers.models import LittleGiantReserveDecision, LittleGiantReserveEntry
from assessment.registers.services import (
    lg_reserve_confirm,
    lg_reserve_decline,
    lg_reserve_propose,
    lg_reserve_remove,
    lg_reserve_withdraw,
)
from assessment.registers.workflow import MOVES, TRANSITIONS, Move
from enterprises.models import Enterprise, Qualification, QualificationKind, Stage
from enterprises.services import enterprise_refresh_stage
from tests.factories import EnterpriseFactory, QualificationFactory, jurisdiction

from .lg_reserve_helpers import LZ, THIS_YEAR, WF, make_entry, make_firm

pytestmark = [pytest.mark.django_db]

S = LittleGiantReserveEntry.Status


def test_the_table_of_legal_moves():
    assert TRANSITIONS == {
        None: {S.PROPOSED},
        S.PROPOSED: {S.WITHDRAWN, S.CONFIRMED, S.DECLINED},
        S.WITHDRAWN: {S.PROPOSED},
        S.CONFIRMED: {S.REMOVED},
        S.DECLINED: set(),
        S.REMOVED: set(),
    }
    assert {m for m, rule in MOVES.items() if rule.county} == {Move.PROPOSE, Move.WITHDRAW}
    assert {m for m, rule in MOVES.items() if rule.reason_required} == {Move.DECLINE, Move.REMOVE}


def _state():
    return (
        list(LittleGiantReserveEntry.objects.order_by("pk").values()),
        list(LittleGiantReserveDecision.objects.order_by("pk").values()),
        list(AuditLog.objects.order_by("pk").values_list("pk", flat=True)),
        Notification.objects.count(),
    )


def refused(call, message: str, *, field: str | None = None) -> DomainError:
    before = _state()
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.message == message
    if field:
        assert exc.value.field == field
    assert _state() == before, "a refused move wrote something"
    return exc.value


def _audit(entry) -> list[str]:
    ct = ContentType.objects.get_for_model(entry)
    return list(
        AuditLog.objects.filter(content_type=ct, object_id=str(entry.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


@pytest.fixture
def candidate(db):
    return make_firm(WF, name="安阳市候选科技有限公司")


def test_propose_then_confirm_then_remove(candidate, county_official, reviewer):
    entry = lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, note=" 主营传感器 ", by=county_official)
    assert (entry.status, entry.note, entry.was_candidate, entry.exception_reason) == (
        S.PROPOSED,
        "主营传感器",
        True,
        "",
    )
    assert entry.proposed_by == county_official
    # The bureau hears of it, with a link to the entry.
    note = Notification.objects.get(user=reviewer)
    assert note.title == f"{THIS_YEAR}年科技小巨人备案待确认：安阳市候选科技有限公司"
    assert note.url == f"/registers/little-giant-reserve/{entry.pk}/"

    entry = lg_reserve_confirm(entry=entry, comment="同意", by=reviewer)
    assert entry.status == S.CONFIRMED
    assert Notification.objects.filter(user=county_official, title__contains="已确认备案").count() == 1
    refused(
        lambda: lg_reserve_remove(entry=entry, reason="  ", by=reviewer),
        "请写明移出备案的理由。",
        field="reason",
    )
    entry = lg_reserve_remove(entry=entry, reason="企业已迁出本市", by=reviewer)
    assert LittleGiantReserveEntry.objects.get().status == S.REMOVED  # the row stays

    moves = list(entry.decisions.values_list("from_status", "to_status", "by__username", "comment"))
    assert moves == [
        ("", S.PROPOSED, "county_wf", "主营传感器"),
        (S.PROPOSED, S.CONFIRMED, "reviewer", "同意"),
        (S.CONFIRMED, S.REMOVED, "reviewer", "企业已迁出本市"),
    ]
    assert [d.role for d in entry.decisions.all()] == [
        Role.COUNTY_OFFICIAL,
        Role.TECH_REVIEWER,
        Role.TECH_REVIEWER,
    ]
    assert _audit(entry) == [
        "assessment.lg_reserve.proposed",
        "assessment.lg_reserve.confirmed",
        "assessment.lg_reserve.removed",
    ]
    proposed = AuditLog.objects.get(action="assessment.lg_reserve.proposed")
    assert (
        proposed.data["conditions"]["candidate"] is True
        and proposed.data["conditions"]["rd_expense"] == "300000.00"
    )


def test_the_ledger_follows_the_reserve(candidate, county_official, reviewer):
    """Confirming records the 市科技小巨人备案 qualification (the stage follows); removing revokes it."""
    enterprise_refresh_stage(enterprise=candidate)  # the factories write no stage
    assert Enterprise.objects.get(pk=candidate.pk).stage == Stage.TECH_SME
    entry = lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official)
    assert not candidate.qualifications.filter(kind=QualificationKind.LG_RESERVE).exists()  # not yet
    entry = lg_reserve_confirm(entry=entry, by=reviewer)
    held = entry.qualification
    assert (held.kind, held.granted_on, held.source, held.revoked_on) == (
        QualificationKind.LG_RESERVE,
        today(),
        Qualification.Source.LG_RESERVE,
        None,
    )
    assert held.number == f"{THIS_YEAR}年科技小巨人备案" and held.expires_on is None
    assert Enterprise.objects.get(pk=candidate.pk).stage == Stage.LG_RESERVE
    assert AuditLog.objects.filter(action="enterprises.qualification.recorded", user=reviewer).count() == 1

    lg_reserve_remove(entry=entry, reason="研发投入连续下降", by=reviewer)
    held.refresh_from_db()
    assert held.revoked_on == today() and held.revoke_reason == "移出科技小巨人备案：研发投入连续下降"
    assert Enterprise.objects.get(pk=candidate.pk).stage == Stage.TECH_SME


def test_a_reserve_qualification_already_held_is_linked_not_doubled(county_official, reviewer):
    firm = make_firm(WF)
    imported = QualificationFactory(
        enterprise=firm,
        kind=QualificationKind.LG_RESERVE,
        granted_on=datetime.date(THIS_YEAR - 1, 3, 1),
        expires_on=None,
        source=Qualification.Source.IMPORT,
    )
    entry = lg_reserve_propose(enterprise=firm, year=THIS_YEAR, by=county_official)
    entry = lg_reserve_confirm(entry=entry, by=reviewer)
    assert entry.qualification == imported
    assert firm.qualifications.filter(kind=QualificationKind.LG_RESERVE).count() == 1
    # The ledger revoked it meanwhile: the removal leaves that revocation as it is.
    Qualification.objects.filter(pk=imported.pk).update(
        revoked_on=datetime.date(THIS_YEAR - 1, 12, 1), revoke_reason="台账撤销"
    )
    entry.refresh_from_db()
    lg_reserve_remove(entry=entry, reason="移出", by=reviewer)
    imported.refresh_from_db()
    assert (imported.revoked_on, imported.revoke_reason) == (datetime.date(THIS_YEAR - 1, 12, 1), "台账撤销")


def test_two_years_confirmed_on_one_day_share_the_ledger_qualification(candidate, county_official, reviewer):
    """Last year's proposal confirmed late, on the day of this year's: one 备案 qualification, no refusal."""
    late = make_entry(candidate, by=county_official, year=THIS_YEAR - 1)
    current = lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official)
    late = lg_reserve_confirm(entry=late, by=reviewer)
    current = lg_reserve_confirm(entry=current, by=reviewer)
    assert current.status == S.CONFIRMED and current.qualification is None
    assert late.qualification is not None
    assert candidate.qualifications.filter(kind=QualificationKind.LG_RESERVE).count() == 1


def test_decline_needs_a_reason_and_is_final(candidate, county_official, reviewer):
    entry = lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official)
    refused(
        lambda: lg_reserve_decline(entry=entry, reason="", by=reviewer),
        "请写明不予确认的理由。",
        field="reason",
    )
    lg_reserve_decline(entry=entry, reason="研发投入核实不足", by=reviewer)
    assert Notification.objects.filter(user=county_official, title__contains="未予确认").count() == 1
    now = "当前状态为“未予确认”，"
    refused(lambda: lg_reserve_confirm(entry=entry, by=reviewer), now + "不能确认备案。")
    refused(lambda: lg_reserve_withdraw(entry=entry, by=county_official), now + "不能撤回推荐。")
    refused(lambda: lg_reserve_remove(entry=entry, reason="x", by=reviewer), now + "不能移出备案。")
    refused(
        lambda: lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official),
        now + "不能推荐。",
    )


def test_withdraw_and_propose_again_keeps_one_row(candidate, county_official, reviewer):
    entry = lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, note="第一次", by=county_official)
    lg_reserve_withdraw(entry=entry, reason="材料待补充", by=county_official)
    refused(lambda: lg_reserve_confirm(entry=entry, by=reviewer), "当前状态为“已撤回”，不能确认备案。")
    refused(
        lambda: lg_reserve_withdraw(entry=entry, by=county_official), "当前状态为“已撤回”，不能撤回推荐。"
    )
    again = lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, note="第二次", by=county_official)
    assert again.pk == entry.pk and again.note == "第二次" and LittleGiantReserveEntry.objects.count() == 1
    assert list(again.decisions.values_list("to_status", flat=True)) == [S.PROPOSED, S.WITHDRAWN, S.PROPOSED]
    assert _audit(again) == [
        "assessment.lg_reserve.proposed",
        "assessment.lg_reserve.withdrawn",
        "assessment.lg_reserve.proposed",
    ]


def test_illegal_moves_from_each_state(candidate, county_official, reviewer):
    entry = lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official)
    refused(
        lambda: lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official),
        "当前状态为“已推荐待确认”，不能推荐。",
    )
    refused(
        lambda: lg_reserve_remove(entry=entry, reason="x", by=reviewer),
        "当前状态为“已推荐待确认”，不能移出备案。",
    )
    lg_reserve_confirm(entry=entry, by=reviewer)
    for call, move in (
        (lambda: lg_reserve_confirm(entry=entry, by=reviewer), "确认备案"),
        (lambda: lg_reserve_decline(entry=entry, reason="x", by=reviewer), "不予确认"),
        (lambda: lg_reserve_withdraw(entry=entry, by=county_official), "撤回推荐"),
        (lambda: lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official), "推荐"),
    ):
        refused(call, f"当前状态为“已确认备案”，不能{move}。")
    lg_reserve_remove(entry=entry, reason="x", by=reviewer)
    refused(
        lambda: lg_reserve_remove(entry=entry, reason="x", by=reviewer),
        "当前状态为“已移出备案”，不能移出备案。",
    )
    refused(
        lambda: lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official),
        "当前状态为“已移出备案”，不能推荐。",
    )


def test_a_non_candidate_is_proposed_only_with_a_written_reason(county_official, reviewer):
    firm = make_firm(WF, ip2=0, rd=Decimal("100000.00"))
    refused(
        lambda: lg_reserve_propose(
            enterprise=firm, year=THIS_YEAR, note="n", exception_reason=" ", by=county_official
        ),
        f"该企业不符合备案条件（{THIS_YEAR - 1}年研发费用占营业收入1.00%，低于3%；"
        f"{THIS_YEAR - 1}年没有I类或II类知识产权），推荐须写明理由。",
        field="exception_reason",
    )
    entry = lg_reserve_propose(
        enterprise=firm, year=THIS_YEAR, exception_reason="发明专利已授权，年报尚未更新", by=county_official
    )
    assert not entry.was_candidate and entry.exception_reason == "发明专利已授权，年报尚未更新"
    # The bureau is told the reason with the proposal.
    assert Notification.objects.get(user=reviewer).body == "发明专利已授权，年报尚未更新"
    assert lg_reserve_confirm(entry=entry, by=reviewer).status == S.CONFIRMED


def test_proposals_are_for_this_years_reserve_only(candidate, county_official):
    for year in (THIS_YEAR - 1, THIS_YEAR + 1):
        refused(
            lambda year=year: lg_reserve_propose(enterprise=candidate, year=year, by=county_official),
            f"只能推荐本年度（{THIS_YEAR}年）的备案企业。",
        )


def test_the_county_proposes_and_the_bureau_decides(candidate, county_official, reviewer):
    refused(
        lambda: lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=reviewer),
        "推荐和撤回由企业所在县区科技部门办理，市科技局负责确认。",
    )
    entry = lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official)
    refused(
        lambda: lg_reserve_withdraw(entry=entry, by=reviewer),
        "推荐和撤回由企业所在县区科技部门办理，市科技局负责确认。",
    )
    refused(
        lambda: lg_reserve_confirm(entry=entry, by=county_official),
        "只有市科技局可以确认或移出科技小巨人备案。",
    )
    refused(
        lambda: lg_reserve_confirm(entry=entry, by=SystemActor("test")),
        "备案的确认和移出须由市科技局工作人员办理。",
    )


def test_nobody_decides_on_what_they_proposed(candidate, county_official):
    entry = lg_reserve_propose(enterprise=candidate, year=THIS_YEAR, by=county_official)
    # The official moves to the tech bureau (a role changed in the admin): still not their own proposal.
    county_official.role, county_official.jurisdiction = Role.TECH_REVIEWER, None
    county_official.save()
    refused(lambda: lg_reserve_confirm(entry=entry, by=county_official), "不能确认或移出本人推荐的企业。")


def test_another_county_cannot_propose_or_withdraw(other_county_official, county_official):
    firm = make_firm(WF)
    refused(
        lambda: lg_reserve_propose(enterprise=firm, year=THIS_YEAR, by=other_county_official),
        "只能推荐本县区台账中的企业。",
    )
    entry = lg_reserve_propose(enterprise=firm, year=THIS_YEAR, by=county_official)
    refused(
        lambda: lg_reserve_withdraw(entry=entry, by=other_county_official), "只能推荐本县区台账中的企业。"
    )
    # 林州's own enterprise is theirs to propose.
    assert lg_reserve_propose(enterprise=make_firm(LZ), year=THIS_YEAR, by=other_county_official).pk


def test_the_service_reads_the_stored_county(county_official, other_county_official):
    """A stale object saying 文峰区 does not let 文峰's official propose an enterprise now in 林州."""
    firm = make_firm(WF)
    stale = Enterprise.objects.get(pk=firm.pk)
    Enterprise.objects.filter(pk=firm.pk).update(jurisdiction=jurisdiction(LZ))
    refused(
        lambda: lg_reserve_propose(enterprise=stale, year=THIS_YEAR, by=county_official),
        "只能推荐本县区台账中的企业。",
    )


def test_one_entry_per_enterprise_and_year_in_the_database(candidate, county_official):
    from django.db import IntegrityError, transaction

    make_entry(candidate, by=county_official)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(candidate, by=county_official)
    with pytest.raises(IntegrityError), transaction.atomic():  # an exception without its reason
        make_entry(EnterpriseFactory(), by=county_official, was_candidate=False)
