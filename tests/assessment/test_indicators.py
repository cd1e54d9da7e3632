"""Every indicator on a hand-made fixture, per jurisdiction and for the city; the drilldowns; the
query count against the number of enterprises; the spreading of a city target.

The year is 2024, a closed year: its period ends on 2024-12-31. wf = 文峰区 (410502), bg = 北关区
(410503), lz = 林州市 (410581, no enterprises). Each enterprise is named for what it tests.

The fixture counts new HTEs by the first-time-only rule (it stores that counting rule); the default rule
(a re-certification after a lapse is new) is checked on the same fixture in
``test_the_default_rule_counts_a_recertification_after_a_lapse``.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role
from assessment import indicators, services
from assessment.indicators import INDICATORS, evaluate_all, period_end
from assessment.models import CountingRule, IncubationCarrier, PublishedValueAdded, Target, TrainingEvent
from incentives.models import FundingLine, Payment, PayoutBatch, Reward, RewardRule
from tests.factories import (
    EnterpriseFactory,
    FiguresFactory,
    MilestoneFactory,
    QualificationFactory,
    UserFactory,
    jurisdiction,
)

pytestmark = pytest.mark.django_db

YEAR = 2024
D = datetime.date
WF, BG, LZ = "410502", "410503", "410581"
OTHERS = ["410505", "410506", "410522", "410523", "410526", "410527", "410571", "410599"]


def qual(enterprise, kind, granted_on, expires_on=None, revoked_on=None):
    return QualificationFactory(
        enterprise=enterprise, kind=kind, granted_on=granted_on, expires_on=expires_on, revoked_on=revoked_on
    )


def reward(qualification, rule_code, status, line_status, *, paid=(), finance=None):
    """A reward with its city/county lines in ``line_status``; ``paid`` sources get a batch and payment."""
    rule = RewardRule.objects.get(code=rule_code)
    enterprise = qualification.enterprise
    r = Reward.objects.create(
        enterprise=enterprise,
        jurisdiction=enterprise.jurisdiction,
        rule=rule,
        qualification=qualification,
        amount=rule.total_amount,
        status=status,
    )
    for source, amount in (("city", rule.city_amount), ("county", rule.county_amount)):
        if amount <= 0:
            continue
        batch = None
        if source in paid:
            batch = PayoutBatch.objects.create(
                name=f"批次{r.pk}{source}",
                source=source,
                jurisdiction=None if source == "city" else enterprise.jurisdiction,
                status=PayoutBatch.Status.LOCKED,
                created_by=finance,
            )
        line = FundingLine.objects.create(
            reward=r,
            source=source,
            jurisdiction=enterprise.jurisdiction,
            amount=amount,
            status=FundingLine.Status.PAID if source in paid else line_status,
            batch=batch,
        )
        if source in paid:
            Payment.objects.create(
                line=line, amount=amount, paid_on=D(2025, 3, 1), reference=f"ZF{line.pk}", recorded_by=finance
            )
    return r


def published(juris, year, hightech, industrial):
    """The statistics bureau's figures of ``year`` for ``juris`` (None: the city), yuan as text."""
    return PublishedValueAdded.objects.create(
        jurisdiction=juris,
        year=year,
        hightech_value_added=None if hightech is None else Decimal(hightech),
        industrial_value_added=None if industrial is None else Decimal(industrial),
        source=f"{year}年统计公报",
        entered_at=timezone.now(),
    )


def build_world() -> dict:
    """The hand-made fixture; returns {key: object} for the drilldown checks."""
    CountingRule.objects.create(recertification_is_new=False)  # first-time only: see the module's note
    wf, bg, lz = jurisdiction(WF), jurisdiction(BG), jurisdiction(LZ)
    finance = UserFactory(username="fixture_finance", role=Role.CITY_FINANCE, jurisdiction=None)
    e = {}

    def ent(key, juris, helper=""):
        e[key] = EnterpriseFactory(name=f"企业{key}", jurisdiction=juris, helper_name=helper)
        return e[key]

    # 文峰区 ---------------------------------------------------------------------------------------
    a1 = ent("a1_new_hte", wf, helper="张三")
    q_a1 = qual(a1, "hte", D(2024, 3, 1), D(2027, 2, 28))
    MilestoneFactory(enterprise=a1, due_on=D(2024, 6, 1), done_on=D(2024, 5, 20))
    FiguresFactory(enterprise=a1, year=2024, industrial_value_added=Decimal("1000000.00"))
    reward(
        q_a1, "HTE_NEW", Reward.Status.PAID, FundingLine.Status.PAID, paid=("city", "county"), finance=finance
    )

    a2 = ent("a2_recertified", wf, helper="李四")
    q_a2_old = qual(a2, "hte", D(2021, 11, 30), D(2024, 11, 29))
    qual(a2, "hte", D(2024, 11, 30), D(2027, 11, 29))
    MilestoneFactory(enterprise=a2, due_on=D(2024, 10, 1))  # open, overdue
    FiguresFactory(enterprise=a2, year=2024, industrial_value_added=Decimal("2000000.00"))
    FiguresFactory(enterprise=a2, year=2023, industrial_value_added=Decimal("9000000.00"))
    # the first certificate's reward (2021) is not a 2024 reward
    reward(
        q_a2_old,
        "HTE_NEW",
        Reward.Status.PAID,
        FundingLine.Status.PAID,
        paid=("city", "county"),
        finance=finance,
    )

    a3 = ent("a3_revoked_hte_tech_sme", wf)  # no helper
    q_a3 = qual(a3, "hte", D(2024, 6, 1), D(2027, 5, 31), revoked_on=D(2024, 9, 1))
    qual(a3, "tech_sme", D(2024, 4, 1), D(2024, 12, 31))
    MilestoneFactory(enterprise=a3, due_on=D(2025, 1, 1))
    FiguresFactory(enterprise=a3, year=2024, industrial_value_added=Decimal("700000.00"))
    reward(q_a3, "HTE_NEW", Reward.Status.SUBMITTED, FundingLine.Status.PENDING)  # committed only

    a4 = ent("a4_giant_leading_candidate", wf, helper="王五")
    qual(a4, "tech_sme", D(2023, 5, 1), D(2023, 12, 31))
    qual(a4, "hte_candidate", D(2023, 1, 1))
    qual(a4, "little_giant", D(2022, 7, 1), D(2025, 6, 30))
    qual(a4, "leading", D(2024, 8, 1))
    MilestoneFactory(enterprise=a4, due_on=D(2025, 3, 1))  # open, not yet due at the period's end

    a5 = ent("a5_expired_overdue", wf, helper="赵六")
    qual(a5, "hte_candidate", D(2023, 1, 1), D(2024, 6, 30))
    qual(a5, "little_giant", D(2021, 1, 1), D(2023, 12, 31))
    MilestoneFactory(enterprise=a5, due_on=D(2024, 12, 1), done_on=D(2025, 1, 10))  # done after the end
    MilestoneFactory(enterprise=a5, due_on=D(2023, 5, 1))

    # 北关区 ---------------------------------------------------------------------------------------
    b1 = ent("b1_new_hte", bg, helper="孙七")
    q_b1 = qual(b1, "hte", D(2024, 10, 15), D(2027, 10, 14))
    MilestoneFactory(enterprise=b1, due_on=D(2024, 9, 1), done_on=D(2024, 9, 1))
    FiguresFactory(enterprise=b1, year=2024, industrial_value_added=Decimal("500000.00"))
    reward(q_b1, "HTE_NEW", Reward.Status.APPROVED, FundingLine.Status.APPROVED)

    b2 = ent("b2_recertified_after_revocation", bg, helper="周八")  # helper, but no timetable
    qual(b2, "hte", D(2020, 1, 1), D(2022, 12, 31), revoked_on=D(2021, 1, 1))
    q_b2 = qual(b2, "hte", D(2024, 5, 5), D(2027, 5, 4))
    qual(b2, "tech_sme", D(2024, 3, 1), D(2024, 12, 31), revoked_on=D(2024, 7, 1))
    reward(q_b2, "HTE_NEW", Reward.Status.CANCELLED, FundingLine.Status.CANCELLED)

    b3 = ent("b3_candidate_trained_elsewhere", bg)
    qual(b3, "hte_candidate", D(2024, 2, 1))

    b4 = ent("b4_leading_paid", bg, helper="吴九")
    q_b4 = qual(b4, "leading", D(2024, 3, 3))
    MilestoneFactory(enterprise=b4, due_on=D(2024, 12, 31))  # due on the last day: not overdue
    reward(q_b4, "LEADING", Reward.Status.PAID, FundingLine.Status.PAID, paid=("city",), finance=finance)

    # carriers, training, value-added --------------------------------------------------------------
    def carrier(name, juris, recognised, revoked=None, kind="incubator"):
        return IncubationCarrier.objects.create(
            name=name,
            kind=kind,
            level="city",
            jurisdiction=juris,
            recognised_on=recognised,
            revoked_on=revoked,
        )

    e["c_wf"] = carrier("文峰孵化器", wf, D(2020, 1, 1))
    carrier("文峰众创空间", wf, D(2025, 1, 5), kind="maker_space")  # after the period
    carrier("文峰大学科技园", wf, D(2019, 1, 1), D(2024, 6, 1), kind="university_park")  # revoked
    e["c_bg"] = carrier("北关众创空间", bg, D(2024, 12, 31), D(2025, 2, 1), kind="maker_space")
    e["c_lz"] = carrier("林州孵化器", lz, D(2018, 5, 1))

    def event(juris, held_on, *attendees):
        ev = TrainingEvent.objects.create(held_on=held_on, jurisdiction=juris, topic=f"高企政策培训{held_on}")
        ev.enterprises.set(attendees)
        return ev

    e["t1"] = event(wf, D(2024, 4, 10), a1, a4)
    e["t2"] = event(wf, D(2024, 9, 9), a4)
    e["t3"] = event(wf, D(2024, 11, 11), b3)  # a 北关 enterprise at a 文峰 event
    event(bg, D(2023, 12, 31), b1)
    event(lz, D(2025, 1, 2))

    # the statistics bureau's figures: 北关区 published no high-tech figure; the city's own figures are
    # not the counties' sum (7,000,000 / 44,000,000 would be 15.91 %); the firms' own value-added above
    # (a1, a2, a3, b1) is never read
    e["va_wf"] = published(wf, 2024, "6000000", "30000000")
    e["va_bg"] = published(bg, 2024, None, "4000000")
    e["va_lz"] = published(lz, 2024, "1000000", "10000000")
    e["va_city"] = published(None, 2024, "9000000", "60000000")
    published(wf, 2023, "1", "2")
    e["rewards"] = {
        r.enterprise.name.removeprefix("企业"): r for r in Reward.objects.select_related("enterprise")
    }
    return e


# indicator -> (文峰区, 北关区, 林州市, city); every other jurisdiction is 0 (or None for a share)
EXPECTED = {
    "new_hte": (1, 1, 0, 2),
    "valid_hte": (2, 2, 0, 4),
    "tech_sme": (1, 0, 0, 1),
    "little_giant": (1, 0, 0, 1),
    "leading": (1, 1, 0, 2),
    "hte_candidates": (1, 1, 0, 2),
    "ledger_enterprises": (5, 4, 0, 9),
    "helper_share": ("40.00", "50.00", None, "44.44"),
    "overdue_milestones": (3, 0, 0, 3),
    "rewards_committed": ("600000.00", "800000.00", "0.00", "1400000.00"),
    "rewards_approved": ("300000.00", "800000.00", "0.00", "1100000.00"),
    "rewards_paid_city": ("150000.00", "500000.00", "0.00", "650000.00"),
    "rewards_paid_county": ("150000.00", "0.00", "0.00", "150000.00"),
    "carriers": (1, 1, 1, 3),
    "training_events": (3, 0, 0, 3),
    "enterprises_trained": (2, 1, 0, 3),
    # published: 6,000,000 / 30,000,000; 北关区's high-tech figure unpublished; 1,000,000 / 10,000,000;
    # the city's own 9,000,000 / 60,000,000
    "hte_value_added_share": ("20.00", None, "10.00", "15.00"),
    # valid HTEs at the end of 2024 against 2023 (wf: a2 only; bg: none, b2's was revoked; lz: none)
    "hte_growth": ("100.00", None, None, "300.00"),
}

# indicator -> (文峰区 rows, 北关区 rows) by enterprise key (or carrier/event key, or reward owner)
DRILLS = {
    "new_hte": ({"a1_new_hte"}, {"b1_new_hte"}),
    "valid_hte": ({"a1_new_hte", "a2_recertified"}, {"b1_new_hte", "b2_recertified_after_revocation"}),
    "tech_sme": ({"a3_revoked_hte_tech_sme"}, set()),
    "little_giant": ({"a4_giant_leading_candidate"}, set()),
    "leading": ({"a4_giant_leading_candidate"}, {"b4_leading_paid"}),
    "hte_candidates": ({"a4_giant_leading_candidate"}, {"b3_candidate_trained_elsewhere"}),
    "helper_share": ({"a1_new_hte", "a4_giant_leading_candidate"}, {"b1_new_hte", "b4_leading_paid"}),
    "enterprises_trained": (
        {"a1_new_hte", "a4_giant_leading_candidate"},
        {"b3_candidate_trained_elsewhere"},
    ),
    "hte_growth": ({"a1_new_hte", "a2_recertified"}, {"b1_new_hte", "b2_recertified_after_revocation"}),
}
REWARD_DRILLS = {
    "rewards_committed": ({"a1_new_hte", "a3_revoked_hte_tech_sme"}, {"b1_new_hte", "b4_leading_paid"}),
    "rewards_approved": ({"a1_new_hte"}, {"b1_new_hte", "b4_leading_paid"}),
    "rewards_paid_city": ({"a1_new_hte"}, {"b4_leading_paid"}),
    "rewards_paid_county": ({"a1_new_hte"}, set()),
}


def _dec(value):
    return None if value is None else Decimal(str(value))


@pytest.fixture
def world():
    return build_world()


def test_every_indicator_for_every_jurisdiction_and_the_city(world):
    values = evaluate_all(YEAR)
    assert set(values) == {i.code for i in INDICATORS} == set(EXPECTED)
    for code, (wf, bg, lz, city) in EXPECTED.items():
        got = values[code]
        assert (got[WF], got[BG], got[LZ], got["city"]) == (_dec(wf), _dec(bg), _dec(lz), _dec(city)), code
        other = None if indicators.get(code).kind == indicators.SHARE else Decimal("0")
        assert {got[c] for c in OTHERS} == {other}, code


def test_share_parts_are_kept_for_the_city(world):
    ids = [jurisdiction(c).pk for c in (WF, BG, LZ, "410505")]
    parts = indicators.get("hte_value_added_share").compute(YEAR, ids)
    assert parts[ids[0]] == (Decimal("6000000.00"), Decimal("30000000.00"))
    assert parts[ids[1]] == (None, Decimal("4000000.00")) and parts[ids[1]].value is None
    assert parts[ids[3]].denominator is None and parts[ids[3]].value is None
    assert parts["city"] == (Decimal("9000000.00"), Decimal("60000000.00"))  # the city's own row
    growth = indicators.get("hte_growth").compute(YEAR, ids)
    assert growth[ids[0]] == (1, 1) and growth[ids[1]] == (2, 0) and growth[ids[1]].value is None
    helper = indicators.get("helper_share").compute(YEAR, ids)
    assert helper[ids[1]] == (2, 4) and helper[ids[2]] == (0, 0) and helper[ids[2]].value is None


def _names(queryset):
    return {e.name.removeprefix("企业") for e in queryset}


def test_drilldowns_return_exactly_what_is_counted(world):
    values = evaluate_all(YEAR)
    for code, (wf_rows, bg_rows) in DRILLS.items():
        assert _names(indicators.drilldown(code, jurisdiction(WF), YEAR)) == wf_rows, code
        assert _names(indicators.drilldown(code, BG, YEAR)) == bg_rows, code  # by code works too
        if indicators.get(code).kind == indicators.COUNT:
            assert indicators.drilldown(code, WF, YEAR).count() == values[code][WF]
            assert indicators.drilldown(code, None, YEAR).count() == values[code]["city"]
    for code, (wf_rows, bg_rows) in REWARD_DRILLS.items():
        wf_rewards = indicators.drilldown(code, WF, YEAR)
        assert {r.enterprise.name.removeprefix("企业") for r in wf_rewards} == wf_rows, code
        assert {
            r.enterprise.name.removeprefix("企业") for r in indicators.drilldown(code, BG, YEAR)
        } == bg_rows
    overdue = indicators.drilldown("overdue_milestones", WF, YEAR)
    assert sorted(m.enterprise.name for m in overdue) == [
        "企业a2_recertified",
        "企业a5_expired_overdue",
        "企业a5_expired_overdue",
    ]
    assert set(indicators.drilldown("carriers", WF, YEAR)) == {world["c_wf"]}
    assert set(indicators.drilldown("carriers", "city", YEAR)) == {
        world["c_wf"],
        world["c_bg"],
        world["c_lz"],
    }
    assert set(indicators.drilldown("training_events", WF, YEAR)) == {world["t1"], world["t2"], world["t3"]}
    assert indicators.drilldown("ledger_enterprises", LZ, YEAR).count() == 0
    # the share's rows are the published figures: a county's own, and for the city the year's publication
    assert list(indicators.drilldown("hte_value_added_share", WF, YEAR)) == [world["va_wf"]]
    assert set(indicators.drilldown("hte_value_added_share", "city", YEAR)) == {
        world[key] for key in ("va_wf", "va_bg", "va_lz", "va_city")
    }


def test_the_default_rule_counts_a_recertification_after_a_lapse(world):
    """Without a stored rule: a2 (its certificate expired the day before) and b2 (its first was revoked)
    are new in 2024; a1 and b1 as before; the revoked a3 still not."""
    CountingRule.objects.all().delete()
    values = evaluate_all(YEAR, codes=["new_hte"])["new_hte"]
    assert (values[WF], values[BG], values[LZ], values["city"]) == (2, 2, 0, 4)
    assert _names(indicators.drilldown("new_hte", WF, YEAR)) == {"a1_new_hte", "a2_recertified"}
    assert _names(indicators.drilldown("new_hte", BG, YEAR)) == {
        "b1_new_hte",
        "b2_recertified_after_revocation",
    }
    # a2's first certificate is still new in 2021, and a grant while another is valid is not new
    assert evaluate_all(2021, codes=["new_hte"])["new_hte"][WF] == 1
    overlapping = EnterpriseFactory(name="企业a6_overlapping", jurisdiction=jurisdiction(WF))
    qual(overlapping, "hte", D(2022, 6, 1), D(2025, 5, 31))
    qual(overlapping, "hte", D(2024, 6, 1), D(2027, 5, 31))  # granted while the first is still valid
    assert evaluate_all(YEAR, codes=["new_hte"])["new_hte"][WF] == 2
    assert evaluate_all(2022, codes=["new_hte"])["new_hte"][WF] == 1


def test_the_current_year_ends_today():
    today = D(2026, 3, 15)
    assert period_end(2026, today=today) == today
    assert period_end(2025, today=today) == D(2025, 12, 31)
    assert period_end(2027, today=today) == D(2027, 12, 31)


def test_a_grant_counts_in_its_year_only(world):
    assert evaluate_all(2021, codes=["new_hte"])["new_hte"][WF] == 1  # a2's first certificate
    assert evaluate_all(2023, codes=["new_hte"])["new_hte"]["city"] == 0
    # 2020: b2's first certificate was revoked, so it never was a new HTE
    assert evaluate_all(2020, codes=["new_hte"])["new_hte"][BG] == 0


def _populate(n: int, start: int) -> None:
    """``n`` enterprises spread over three jurisdictions, each touching every kind of row."""
    codes = [WF, BG, LZ]
    for i in range(start, start + n):
        e = EnterpriseFactory(jurisdiction=jurisdiction(codes[i % 3]), helper_name="帮扶人" if i % 2 else "")
        qual(e, "hte", D(2024, 1 + i % 12, 1), D(2027, 1, 1))
        qual(e, "tech_sme", D(2024, 2, 1), D(2024, 12, 31))
        qual(e, "hte_candidate", D(2023, 2, 1))
        MilestoneFactory(enterprise=e, due_on=D(2024, 5, 1))
        FiguresFactory(enterprise=e, year=2024)


def test_query_count_does_not_grow_with_the_number_of_enterprises():
    for code in (WF, BG, LZ):
        published(jurisdiction(code), 2024, "1e7", "1e8")
    _populate(4, 0)
    with CaptureQueriesContext(connection) as small:
        few = evaluate_all(YEAR)
    _populate(8, 100)
    with CaptureQueriesContext(connection) as large:
        many = evaluate_all(YEAR)
    assert few["valid_hte"]["city"] == 4 and many["valid_hte"]["city"] == 12
    assert len(small.captured_queries) == len(large.captured_queries)
    # one query per indicator, two for the helper share and for the growth (two counts each), one for
    # the counting rule of new HTEs, one for the jurisdictions
    assert len(large.captured_queries) == len(INDICATORS) + 2 + 1 + 1


# --- targets ------------------------------------------------------------------------------------


@pytest.fixture
def manager(db):
    return UserFactory(username="reviewer_targets", role=Role.TECH_REVIEWER, jurisdiction=None)


def test_largest_remainder_adds_up_exactly_and_breaks_ties_in_order():
    assert services.largest_remainder(10, [("a", 1), ("b", 1), ("c", 1)]) == {"a": 4, "b": 3, "c": 3}
    assert services.largest_remainder(80, [("a", 2), ("b", 1)]) == {"a": 53, "b": 27}
    parts = services.largest_remainder(121, [(k, Decimal(w)) for k, w in enumerate([5, 3.3, 7, 1, 0, 9])])
    assert sum(parts.values()) == 121 and parts[4] == 0
    assert services.largest_remainder(0, [("a", 1)]) == {"a": 0}
    with pytest.raises(DomainError):
        services.largest_remainder(5, [("a", 0)])


def test_targets_spread_sums_to_the_city_total_and_is_deterministic(world, manager):
    targets = services.targets_spread(year=2025, indicator="new_hte", city_total=80, by=manager)
    assert len(targets) == 11 and sum(t.value for t in targets) == 80
    first = {t.jurisdiction.code: t.value for t in targets}
    # the weights are today's valid HTEs + 1: those with more certificates get a larger share
    valid_today = indicators.evaluate("valid_hte", timezone.localdate().year)
    weights = {c: valid_today[c] + 1 for c in first}
    assert all(first[a] >= first[b] for a in first for b in first if weights[a] > weights[b])
    again = services.targets_spread(year=2025, indicator="new_hte", city_total=80, by=manager)
    assert {t.jurisdiction.code: t.value for t in again} == first
    assert Target.objects.filter(year=2025, indicator="new_hte").count() == 11
    assert AuditLog.objects.filter(action="assessment.target.spread").count() == 22

    weighted = services.targets_spread(
        year=2025, indicator="valid_hte", city_total=121, by=manager, weights={WF: 3, BG: 1}
    )
    values = {t.jurisdiction.code: t.value for t in weighted}
    assert values[WF] == 91 and values[BG] == 30 and sum(values.values()) == 121


def test_targets_spread_refuses_shares_fractions_and_county_officials(manager, county_official):
    with pytest.raises(DomainError):
        services.targets_spread(year=2025, indicator="helper_share", city_total=80, by=manager)
    with pytest.raises(DomainError):
        services.targets_spread(year=2025, indicator="new_hte", city_total="80.5", by=manager)
    with pytest.raises(DomainError):
        services.targets_spread(year=2025, indicator="new_hte", city_total=80, by=county_official)
    assert not Target.objects.exists()


def test_target_set_and_value_added_set_are_audited(manager, county_official):
    wf = jurisdiction(WF)
    target = services.target_set(jurisdiction=wf, year=2025, indicator="new_hte", value=9, by=manager)
    target = services.target_set(jurisdiction=wf, year=2025, indicator="new_hte", value=10, by=manager)
    assert Target.objects.get().value == 10 and target.set_by == manager
    log = AuditLog.objects.filter(action="assessment.target.set").first()
    assert Decimal(log.data["previous"]) == 9 and Decimal(log.data["value"]) == 10
    with pytest.raises(DomainError):
        services.target_set(jurisdiction=wf, year=2025, indicator="no_such", value=1, by=manager)
    with pytest.raises(DomainError):
        services.target_set(jurisdiction=wf, year=2025, indicator="new_hte", value=-1, by=manager)
    with pytest.raises(DomainError):
        services.target_set(jurisdiction=wf, year=2025, indicator="new_hte", value=1, by=county_official)

    def figures(amount, by=manager, **kw):
        return services.published_value_added_set(
            jurisdiction=wf,
            year=2024,
            hightech_value_added=kw.get("hightech"),
            industrial_value_added=amount,
            source="2024年文峰区统计公报",
            by=by,
        )

    record = figures(Decimal("123456789.50"))
    assert record.industrial_value_added == Decimal("123456789.50") and record.entered_by == manager
    assert AuditLog.objects.filter(action="assessment.published_value_added.set", user=manager).count() == 1
    with pytest.raises(DomainError):
        figures(0)
    with pytest.raises(DomainError):
        figures(1, by=county_official)
