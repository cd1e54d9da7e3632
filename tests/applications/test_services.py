"""Every move of the round, allowed and refused (wrong role, wrong county, past deadline, illegal
from-state), each a row with an audit entry, and the firm and its county told."""

import datetime

import pytest
from django.utils import timezone

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog, Notification
from anyang_hte.core.roles import Role
from applications import services
from applications.models import CONDITIONS, ApplicationRound, RoundEntry, RoundMove
from enterprises.readiness import assess_enterprise
from tests.factories import EnterpriseFactory, UserFactory

from .conftest import make_entry, make_round

pytestmark = pytest.mark.django_db
S = RoundEntry.Status


def test_conditions_are_the_readiness_criteria(ent):
    codes = {c.code for c in assess_enterprise(ent, year=2026).criteria}
    assert codes <= set(CONDITIONS) and len(codes) == 9


# --- the round ---------------------------------------------------------------------------------


def test_the_bureau_opens_edits_and_closes_a_round(reviewer):
    d = datetime.date
    r = services.round_open(
        year=2030,
        intention_deadline=d(2030, 4, 30),
        recommendation_deadline=d(2030, 5, 31),
        review_deadline=d(2030, 6, 30),
        note="第一批",
        by=reviewer,
    )
    assert r.is_open and r.opened_by == reviewer
    with pytest.raises(DomainError, match="尚未结束"):
        services.round_open(
            year=2031,
            intention_deadline=d(2031, 4, 30),
            recommendation_deadline=d(2031, 5, 31),
            review_deadline=d(2031, 6, 30),
            by=reviewer,
        )
    with pytest.raises(DomainError, match="不能早于") as exc:
        services.round_update(
            round=r,
            intention_deadline=d(2030, 6, 1),
            recommendation_deadline=d(2030, 5, 31),
            review_deadline=d(2030, 6, 30),
            by=reviewer,
        )
    assert exc.value.field == "recommendation_deadline"
    services.round_update(
        round=r,
        intention_deadline=d(2030, 5, 10),
        recommendation_deadline=d(2030, 5, 31),
        review_deadline=d(2030, 6, 30),
        by=reviewer,
    )
    services.round_close(round=r, by=reviewer)
    r.refresh_from_db()
    assert r.status == "closed" and r.intention_deadline == d(2030, 5, 10)
    with pytest.raises(DomainError, match="已经开设过"):
        services.round_open(
            year=2030,
            intention_deadline=d(2030, 4, 30),
            recommendation_deadline=d(2030, 5, 31),
            review_deadline=d(2030, 6, 30),
            by=reviewer,
        )
    assert AuditLog.objects.filter(action__startswith="applications.round.").count() == 3


def test_a_county_cannot_open_a_round(county_official):
    with pytest.raises(DomainError, match="开设和管理高企申报批次"):
        services.round_open(
            year=2030,
            intention_deadline=datetime.date(2030, 4, 30),
            recommendation_deadline=datetime.date(2030, 5, 31),
            review_deadline=datetime.date(2030, 6, 30),
            by=county_official,
        )
    assert not ApplicationRound.objects.exists()


# --- the whole way, and who is told --------------------------------------------------------------


def test_firm_declares_county_recommends_city_passes_outcome(current, ent, firm, county_official, reviewer):
    other_firm_user = UserFactory(username="firm_x", role=Role.ENTERPRISE, jurisdiction=None)
    entry = services.entry_declare(round=current, enterprise=ent, by=firm)
    assert entry.status == S.INTENTION and not entry.on_behalf and entry.declared_by == firm
    services.entry_recommend(entry=entry, by=county_official, comment="材料齐全")
    services.entry_pass(entry=entry, by=reviewer)
    services.entry_not_certify(
        entry=entry, outcome_reason="expert_review", text="创新能力评分不足", by=reviewer
    )
    moves = list(entry.moves.values_list("from_status", "to_status"))
    assert moves == [
        ("", S.INTENTION),
        (S.INTENTION, S.RECOMMENDED),
        (S.RECOMMENDED, S.PASSED),
        (S.PASSED, S.NOT_CERTIFIED),
    ]
    entry.refresh_from_db()
    assert entry.outcome_reason == "expert_review" and entry.reason == "创新能力评分不足"
    assert AuditLog.objects.filter(action__startswith="applications.entry.").count() == 4
    # the firm's user and its county's official are told at each move; the reviewer, another firm not
    assert Notification.objects.filter(user=firm).count() == 4
    assert Notification.objects.filter(user=county_official).count() == 4
    assert not Notification.objects.filter(user__in=[reviewer, other_firm_user]).exists()
    last = Notification.objects.filter(user=firm).order_by("-pk").first()
    assert "未通过" in last.title and "专家评审未通过" in last.body and last.url == "/firm/round/"


def test_county_declares_on_behalf_and_holds_with_a_reason(current, ent, county_official):
    entry = services.entry_declare(round=current, enterprise=ent, by=county_official)
    assert entry.on_behalf
    with pytest.raises(DomainError, match="请填写原因") as exc:
        services.entry_hold(entry=entry, reason="  ", by=county_official)
    assert exc.value.field == "reason"
    services.entry_hold(entry=entry, reason="研发费用辅助账未建立", by=county_official)
    entry.refresh_from_db()
    assert entry.status == S.HELD and entry.reason == "研发费用辅助账未建立"
    services.entry_recommend(entry=entry, by=county_official)  # still before the deadline
    assert RoundMove.objects.filter(entry=entry).count() == 3


def test_return_needs_a_reason_per_condition(current, reviewer):
    entry = make_entry(current, S.RECOMMENDED)
    for reasons in ({}, {"ip": "  "}):
        with pytest.raises(DomainError, match="至少就一项"):
            services.entry_return(entry=entry, reasons=reasons, by=reviewer)
    with pytest.raises(DomainError, match="未知的认定条件"):
        services.entry_return(entry=entry, reasons={"nonsense": "x"}, by=reviewer)
    services.entry_return(
        entry=entry, reasons={"ip": "专利与主营产品无关", "rd_ratio": "研发费用比例3.2%"}, by=reviewer
    )
    entry.refresh_from_db()
    assert entry.status == S.RETURNED
    assert entry.returned_conditions == [
        ("拥有知识产权", "专利与主营产品无关"),
        ("研发费用占销售收入比例", "研发费用比例3.2%"),
    ]


def test_not_certified_other_needs_words(current, reviewer):
    entry = make_entry(current, S.PASSED)
    with pytest.raises(DomainError, match="请写明"):
        services.entry_not_certify(entry=entry, outcome_reason="other", by=reviewer)
    with pytest.raises(DomainError, match="请选择"):
        services.entry_not_certify(entry=entry, outcome_reason="bogus", by=reviewer)
    services.entry_not_certify(entry=entry, outcome_reason="other", text="迁出本市", by=reviewer)


def test_firm_withdraws_before_review_and_declares_again(current, ent, firm):
    entry = services.entry_declare(round=current, enterprise=ent, by=firm)
    services.entry_withdraw(entry=entry, by=firm, reason="今年条件不足")
    assert RoundEntry.objects.get(pk=entry.pk).status == S.WITHDRAWN
    again = services.entry_declare(round=current, enterprise=ent, by=firm)
    assert again.pk == entry.pk and again.status == S.INTENTION
    with pytest.raises(DomainError, match="当前状态为“申报意向”"):
        services.entry_declare(round=current, enterprise=ent, by=firm)


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, status, role",
    [
        (lambda e, by: services.entry_recommend(entry=e, by=by), S.INTENTION, Role.TECH_REVIEWER),
        (lambda e, by: services.entry_recommend(entry=e, by=by), S.INTENTION, Role.ENTERPRISE),
        (lambda e, by: services.entry_hold(entry=e, reason="x", by=by), S.INTENTION, Role.ADMIN),
        (lambda e, by: services.entry_pass(entry=e, by=by), S.RECOMMENDED, Role.COUNTY_OFFICIAL),
        (lambda e, by: services.entry_return(entry=e, reasons={"ip": "x"}, by=by), S.RECOMMENDED, Role.ADMIN),
        (lambda e, by: services.entry_certify(entry=e, by=by), S.PASSED, Role.COUNTY_OFFICIAL),
        (
            lambda e, by: services.entry_not_certify(entry=e, outcome_reason="objection", by=by),
            S.PASSED,
            Role.ENTERPRISE,
        ),
        (lambda e, by: services.entry_withdraw(entry=e, by=by), S.INTENTION, Role.TECH_REVIEWER),
    ],
)
def test_wrong_role_is_refused(current, call, status, role):
    entry = make_entry(current, status)
    own = entry.enterprise if role == Role.ENTERPRISE else None
    user = UserFactory(username=f"u_{role}", role=role, enterprise=own)
    with pytest.raises(DomainError):
        call(entry, user)
    assert RoundEntry.objects.get(pk=entry.pk).status == status and not RoundMove.objects.exists()


def test_wrong_county_and_other_firm_are_refused(current, ent, other_county_official):
    entry = make_entry(current, S.INTENTION, enterprise=ent)
    with pytest.raises(DomainError, match="不属于您所在的县区"):
        services.entry_recommend(entry=entry, by=other_county_official)
    with pytest.raises(DomainError, match="不属于您所在的县区"):
        services.entry_declare(round=current, enterprise=EnterpriseFactory(), by=other_county_official)
    stranger = UserFactory(username="firm_other", role=Role.ENTERPRISE, enterprise=EnterpriseFactory())
    with pytest.raises(DomainError, match="只能办理本企业"):
        services.entry_withdraw(entry=entry, by=stranger)
    with pytest.raises(DomainError, match="只能办理本企业"):
        services.entry_declare(round=current, enterprise=EnterpriseFactory(), by=stranger)


@pytest.mark.parametrize(
    "ahead, status, call, words",
    [
        ((-1, 30, 60), None, "declare", "申报意向截止日期"),
        ((-30, -1, 60), S.INTENTION, "recommend", "县区推荐截止日期"),
        ((-30, -1, 60), S.INTENTION, "hold", "县区推荐截止日期"),
        ((-60, -30, -1), S.RECOMMENDED, "pass", "市级初审截止日期"),
        ((-60, -30, -1), S.RECOMMENDED, "return", "市级初审截止日期"),
    ],
)
def test_past_deadline_is_refused_naming_the_date(ahead, status, call, words, ent, county_official, reviewer):
    r = make_round(ahead=ahead)
    deadline = {
        "declare": r.intention_deadline,
        "recommend": r.recommendation_deadline,
        "hold": r.recommendation_deadline,
        "pass": r.review_deadline,
        "return": r.review_deadline,
    }[call]
    entry = make_entry(r, status, enterprise=ent) if status else None
    calls = {
        "declare": lambda: services.entry_declare(round=r, enterprise=ent, by=county_official),
        "recommend": lambda: services.entry_recommend(entry=entry, by=county_official),
        "hold": lambda: services.entry_hold(entry=entry, reason="x", by=county_official),
        "pass": lambda: services.entry_pass(entry=entry, by=reviewer),
        "return": lambda: services.entry_return(entry=entry, reasons={"ip": "x"}, by=reviewer),
    }
    with pytest.raises(DomainError) as exc:
        calls[call]()
    assert words in exc.value.message and deadline.isoformat() in exc.value.message
    assert not RoundMove.objects.exists()


def test_the_deadline_day_itself_is_allowed(ent, county_official):
    r = make_round(ahead=(0, 0, 0))
    entry = services.entry_declare(round=r, enterprise=ent, by=county_official)
    services.entry_recommend(entry=entry, by=county_official)


@pytest.mark.parametrize(
    "status, call",
    [
        (S.HELD, "pass"),
        (S.INTENTION, "pass"),
        (S.RETURNED, "recommend"),
        (S.PASSED, "withdraw"),
        (S.CERTIFIED, "not_certify"),
        (S.RECOMMENDED, "certify"),
        (S.NOT_CERTIFIED, "certify"),
    ],
)
def test_illegal_from_state_is_refused(current, status, call, county_official, reviewer):
    entry = make_entry(current, status)
    calls = {
        "pass": lambda: services.entry_pass(entry=entry, by=reviewer),
        "recommend": lambda: services.entry_recommend(entry=entry, by=county_official),
        "withdraw": lambda: services.entry_withdraw(entry=entry, by=county_official),
        "not_certify": lambda: services.entry_not_certify(
            entry=entry, outcome_reason="objection", by=reviewer
        ),
        "certify": lambda: services.entry_certify(entry=entry, by=reviewer),
    }
    with pytest.raises(DomainError, match="当前状态为"):
        calls[call]()
    assert RoundEntry.objects.get(pk=entry.pk).status == status


def test_a_closed_round_takes_no_declaration_but_takes_outcomes(ent, county_official, reviewer):
    r = make_round(status="closed")
    with pytest.raises(DomainError, match="已结束"):
        services.entry_declare(round=r, enterprise=ent, by=county_official)
    passed = make_entry(r, S.PASSED)
    services.entry_certify(entry=passed, by=reviewer)
    assert RoundEntry.objects.get(pk=passed.pk).status == S.CERTIFIED


def test_timestamps_are_recorded(current, ent, firm):
    before = timezone.now()
    entry = services.entry_declare(round=current, enterprise=ent, by=firm)
    assert entry.declared_at >= before and entry.moves.get().at >= before
