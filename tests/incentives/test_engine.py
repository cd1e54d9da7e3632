"""The incentives engine: which qualification earns which reward, once."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role, SystemActor
from enterprises import services as ent_services
from incentives import services
from incentives.models import FundingLine, Reward, RewardRule
from incentives.services import engine
from tests.factories import EnterpriseFactory, QualificationFactory, UserFactory, jurisdiction

from .factories import RewardRuleFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def hte(enterprise, granted_on, **kw):
    """A qualification row without running the engine (as the demo seeding or old data would)."""
    return QualificationFactory(enterprise=enterprise, kind="hte", granted_on=granted_on, **kw)


SYSTEM = SystemActor("test")


def run(qualification, by=SYSTEM):
    return engine.rewards_for_qualification(qualification=qualification, by=by)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


@pytest.fixture
def admin(db):
    return UserFactory(username="admin_user", role=Role.ADMIN, jurisdiction=None)


class TestNewHte:
    def test_recording_a_new_hte_creates_300000_split_city_and_county(self, other_county_official):
        ent = EnterpriseFactory(jurisdiction=jurisdiction("410581"))
        q = ent_services.qualification_record(
            enterprise=ent, kind="hte", granted_on=D(2024, 11, 30), by=other_county_official
        )
        reward = Reward.objects.get(enterprise=ent)
        assert reward.rule.code == "HTE_NEW"
        assert reward.qualification == q
        assert reward.status == Reward.Status.GENERATED
        assert reward.amount == Decimal("300000.00")
        assert reward.jurisdiction == ent.jurisdiction
        lines = {line.source: line for line in reward.lines.all()}
        assert set(lines) == {"city", "county"}
        for line in lines.values():
            assert line.amount == Decimal("150000.00")
            assert line.status == FundingLine.Status.PENDING
            assert line.jurisdiction == ent.jurisdiction
            assert line.batch is None
        log = AuditLog.objects.get(action="incentives.reward.generated", object_id=str(reward.pk))
        assert log.user == other_county_official
        assert log.data["rule"] == "HTE_NEW"
        assert log.data["amount"] == "300000.00"

    def test_recording_without_a_user_still_generates(self, db):
        ent = EnterpriseFactory()
        ent_services.qualification_record(enterprise=ent, kind="hte", granted_on=D(2024, 1, 2), by=SYSTEM)
        assert Reward.objects.filter(enterprise=ent).count() == 1

    def test_kinds_without_a_rule_get_nothing(self, county_official):
        ent = EnterpriseFactory()
        for kind in ("tech_sme", "hte_candidate", "lg_reserve", "lg_cultivation"):
            ent_services.qualification_record(
                enterprise=ent, kind=kind, granted_on=D(2024, 3, 1), by=county_official
            )
        assert not Reward.objects.filter(enterprise=ent).exists()

    def test_a_revoked_qualification_gets_nothing(self, db):
        q = hte(EnterpriseFactory(), D(2024, 3, 1), revoked_on=D(2024, 6, 1))
        assert run(q) == []


class TestFirstTimeOnly:
    def test_recertification_after_expiry_is_not_new(self, county_official):
        ent = EnterpriseFactory()
        hte(ent, D(2016, 5, 1), expires_on=D(2019, 4, 30))  # before the policy: no reward then
        q = ent_services.qualification_record(
            enterprise=ent, kind="hte", granted_on=D(2019, 10, 1), by=county_official
        )
        assert run(q) == []
        assert not Reward.objects.filter(enterprise=ent).exists()

    def test_an_earlier_revoked_certificate_still_counts(self, db):
        ent = EnterpriseFactory()
        hte(ent, D(2018, 5, 1), revoked_on=D(2019, 1, 1))
        assert run(hte(ent, D(2021, 10, 1))) == []

    def test_a_rule_not_first_time_only_rewards_recertification(self, db):
        rule = RewardRuleFactory(
            code="HTE_RECERT", trigger_kind="hte", first_time_only=False, county_amount=Decimal("0")
        )
        ent = EnterpriseFactory()
        hte(ent, D(2016, 5, 1), expires_on=D(2019, 4, 30))
        created = run(hte(ent, D(2019, 10, 1)))
        assert [r.rule for r in created] == [rule]
        assert created[0].amount == Decimal("150000.00")
        assert [(line.source, line.amount) for line in created[0].lines.all()] == [
            ("city", Decimal("150000.00"))
        ]

    def test_the_first_of_several_is_the_one_rewarded(self, db):
        ent = EnterpriseFactory()
        first = hte(ent, D(2018, 3, 1), expires_on=D(2021, 2, 28))
        run(first)
        assert run(hte(ent, D(2021, 6, 1))) == []
        assert Reward.objects.get(enterprise=ent).qualification == first


class TestEffectivePeriod:
    def test_a_grant_before_the_rule_takes_effect_gets_nothing(self, db):
        assert run(hte(EnterpriseFactory(), D(2017, 12, 28))) == []

    def test_the_first_effective_day_counts(self, db):
        assert len(run(hte(EnterpriseFactory(), D(2017, 12, 29)))) == 1

    def test_after_the_rule_closes_nothing_and_the_last_day_counts(self, db):
        RewardRule.objects.filter(code="HTE_NEW").update(effective_to=D(2020, 12, 31))
        assert run(hte(EnterpriseFactory(), D(2021, 1, 1))) == []
        assert len(run(hte(EnterpriseFactory(), D(2020, 12, 31)))) == 1

    def test_a_successor_rule_with_new_amounts_applies_from_its_start(self, db):
        RewardRule.objects.filter(code="HTE_NEW").update(effective_to=D(2024, 12, 31))
        RewardRuleFactory(
            code="HTE_NEW_2025",
            effective_from=D(2025, 1, 1),
            city_amount=Decimal("200000.00"),
            county_amount=Decimal("100000.50"),
        )
        old = run(hte(EnterpriseFactory(), D(2024, 12, 31)))
        new = run(hte(EnterpriseFactory(), D(2025, 1, 1)))
        assert [r.rule.code for r in old] == ["HTE_NEW"]
        assert [r.rule.code for r in new] == ["HTE_NEW_2025"]
        assert new[0].amount == Decimal("300000.50")
        assert sorted(line.amount for line in new[0].lines.all()) == [
            Decimal("100000.50"),
            Decimal("200000.00"),
        ]


class TestSeveralRules:
    def test_new_hte_and_little_giant_get_both(self, county_official):
        ent = EnterpriseFactory()
        ent_services.qualification_record(
            enterprise=ent, kind="hte", granted_on=D(2023, 11, 1), by=county_official
        )
        ent_services.qualification_record(
            enterprise=ent, kind="little_giant", granted_on=D(2024, 6, 1), by=county_official
        )
        rewards = {r.rule.code: r for r in Reward.objects.filter(enterprise=ent)}
        assert set(rewards) == {"HTE_NEW", "LITTLE_GIANT"}
        lg = rewards["LITTLE_GIANT"]
        assert lg.amount == Decimal("300000.00")
        assert [(line.source, line.amount) for line in lg.lines.all()] == [("city", Decimal("300000.00"))]

    def test_leading_enterprise_500000_from_the_city(self, db):
        (reward,) = run(QualificationFactory(kind="leading", granted_on=D(2022, 8, 8)))
        assert reward.amount == Decimal("500000.00")
        assert [(line.source, line.amount) for line in reward.lines.all()] == [("city", Decimal("500000.00"))]


class TestIdempotence:
    def test_running_again_changes_nothing(self, county_official):
        ent = EnterpriseFactory()
        q = ent_services.qualification_record(
            enterprise=ent, kind="hte", granted_on=D(2024, 1, 5), by=county_official
        )
        before = (Reward.objects.count(), FundingLine.objects.count(), AuditLog.objects.count())
        assert run(q, by=county_official) == []
        assert run(q, by=county_official) == []
        assert engine.rewards_run_all(by=SYSTEM) == 0
        assert (Reward.objects.count(), FundingLine.objects.count(), AuditLog.objects.count()) == before
        with pytest.raises(DomainError, match="全市"):  # a county cannot rerun the whole city
            engine.rewards_run_all(by=county_official)

    def test_a_lost_race_is_absorbed_by_the_constraint(self, db):
        """The second insert (as from a concurrent request that passed the check) is refused in a
        savepoint and ignored; the surrounding transaction carries on."""
        q = hte(EnterpriseFactory(), D(2024, 1, 5))
        rule = RewardRule.objects.get(code="HTE_NEW")
        first = engine._create_reward(rule=rule, qualification=q, by=SYSTEM)
        assert first is not None
        assert engine._create_reward(rule=rule, qualification=q, by=SYSTEM) is None
        assert Reward.objects.filter(enterprise=q.enterprise).count() == 1
        assert FundingLine.objects.filter(reward__enterprise=q.enterprise).count() == 2

    def test_run_all_catches_up_on_qualifications_recorded_around_the_engine(self, db):
        a, b, c = EnterpriseFactory(), EnterpriseFactory(), EnterpriseFactory()
        hte(a, D(2019, 1, 1))
        hte(a, D(2022, 1, 1))  # re-certification: not new
        hte(b, D(2016, 1, 1))  # before the policy
        hte(b, D(2019, 6, 1))  # re-certification of a pre-policy certificate: not new
        QualificationFactory(enterprise=b, kind="little_giant", granted_on=D(2020, 1, 1))
        hte(c, D(2023, 1, 1), revoked_on=D(2023, 6, 1))
        assert engine.rewards_run_all(by=SYSTEM, chunk_size=2) == 2
        assert sorted(Reward.objects.values_list("enterprise_id", "rule__code")) == [
            (a.pk, "HTE_NEW"),
            (b.pk, "LITTLE_GIANT"),
        ]
        assert Reward.objects.get(enterprise=a).qualification.granted_on == D(2019, 1, 1)
        assert engine.rewards_run_all(by=SYSTEM) == 0

    def test_run_all_with_nothing_to_do_takes_few_queries(self, db, django_assert_max_num_queries):
        for i in range(30):
            run(hte(EnterpriseFactory(), D(2020, 1, 1) + datetime.timedelta(days=i)))
        # rules + enterprise ids, then per chunk of 10: savepoint, qualifications, rewards, release.
        with django_assert_max_num_queries(2 + 3 * 4):
            assert engine.rewards_run_all(by=SYSTEM, chunk_size=10) == 0


# --- rules: added and closed as data, never edited once they have produced rewards ---


def rule_fields(**kw):
    fields = {
        "code": "HTE_2026",
        "name": "新认定高新技术企业奖励（2026年起）",
        "trigger_kind": "hte",
        "city_amount": Decimal("200000.00"),
        "county_amount": Decimal("200000.00"),
        "first_time_only": True,
        "effective_from": D(2026, 1, 1),
        "policy_document": "安政办〔2025〕1号",
    }
    fields.update(kw)
    return fields


def test_rule_update_refused_once_it_has_rewards(county_official, admin):
    ent_services.qualification_record(
        enterprise=EnterpriseFactory(), kind="hte", granted_on=D(2024, 11, 30), by=county_official
    )
    rule = RewardRule.objects.get(code="HTE_NEW")
    with pytest.raises(DomainError, match="已产生奖励的规则不能修改，请关闭后新建"):
        services.rule_update(rule=rule, by=admin, city_amount=Decimal("1.00"))
    assert fresh(rule).city_amount == Decimal("150000.00")


def test_rule_update_allowed_before_any_reward(admin):
    rule = RewardRule.objects.get(code="LEADING")
    services.rule_update(rule=rule, by=admin, city_amount=Decimal("600000.00"), notes="调整")
    assert fresh(rule).city_amount == Decimal("600000.00")
    assert AuditLog.objects.filter(action="incentives.rule.updated", object_id=str(rule.pk)).exists()


def test_rule_open_refuses_an_overlapping_period(admin):
    with pytest.raises(DomainError, match="有效期重叠"):
        services.rule_open(by=admin, **rule_fields())
    assert not RewardRule.objects.filter(code="HTE_2026").exists()


def test_close_then_open_a_successor(admin, county_official):
    old = services.rule_close(
        rule=RewardRule.objects.get(code="HTE_NEW"), effective_to=D(2025, 12, 31), by=admin
    )
    assert old.effective_to == D(2025, 12, 31) and old.closed_at and old.closed_by == admin
    with pytest.raises(DomainError, match="已于"):
        services.rule_close(rule=old, effective_to=D(2025, 6, 30), by=admin)
    with pytest.raises(DomainError, match="有效期重叠"):
        services.rule_open(by=admin, **rule_fields(effective_from=D(2025, 12, 31)))
    new = services.rule_open(by=admin, **rule_fields())
    assert new.total_amount == Decimal("400000.00")
    ent = EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    q = QualificationFactory(enterprise=ent, kind="hte", granted_on=D(2026, 2, 1))
    (reward,) = run(q)
    assert reward.rule == new and reward.amount == Decimal("400000.00")


def test_rule_close_refused_before_rewarded_grants(admin, county_official):
    run(hte(EnterpriseFactory(), D(2024, 11, 30)))
    with pytest.raises(DomainError, match="晚于"):
        services.rule_close(
            rule=RewardRule.objects.get(code="HTE_NEW"), effective_to=D(2024, 6, 30), by=admin
        )


def test_rule_open_validates_amounts(admin):
    with pytest.raises(DomainError):
        services.rule_open(
            by=admin,
            **rule_fields(trigger_kind="tech_sme", city_amount=Decimal("0"), county_amount=Decimal("0")),
        )


@pytest.mark.parametrize("role", [Role.TECH_REVIEWER, Role.COUNTY_OFFICIAL, Role.CITY_FINANCE])
def test_only_administrators_manage_rules(role):
    user = UserFactory(role=role, jurisdiction=jurisdiction() if role.startswith("county") else None)
    rule = RewardRule.objects.get(code="LEADING")
    with pytest.raises(DomainError, match="只有系统管理员"):
        services.rule_open(by=user, **rule_fields(trigger_kind="tech_sme"))
    with pytest.raises(DomainError, match="只有系统管理员"):
        services.rule_update(rule=rule, by=user, notes="x")
    with pytest.raises(DomainError, match="只有系统管理员"):
        services.rule_close(rule=rule, effective_to=D(2030, 1, 1), by=user)


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locking and concurrent connections"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_engine_runs_create_one_reward():
    q = hte(EnterpriseFactory(), D(2024, 2, 2))
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait()
            engine.rewards_for_qualification(qualification=q, by=SYSTEM)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Reward.objects.filter(enterprise=q.enterprise).count() == 1
    assert FundingLine.objects.filter(reward__enterprise=q.enterprise).count() == 2
