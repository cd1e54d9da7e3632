"""Administrators keep the rules as data in the admin site, through the services."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from anyang_hte.core.roles import Role
from incentives.models import RewardRule
from tests.factories import UserFactory
from tests.incentives.factories import RewardWithLinesFactory, hte_rule


@pytest.fixture
def admin_client(client, db):
    user = UserFactory(
        username="rules_admin", role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client


def _form(rule, **changes):
    data = {
        "code": rule.code,
        "name": rule.name,
        "trigger_kind": rule.trigger_kind,
        "city_amount": rule.city_amount,
        "county_amount": rule.county_amount,
        "first_time_only": "on" if rule.first_time_only else "",
        "effective_from": rule.effective_from.isoformat(),
        "effective_to": rule.effective_to.isoformat() if rule.effective_to else "",
        "policy_document": rule.policy_document,
        "notes": rule.notes,
    }
    data.update(changes)
    return data


def test_the_three_policy_rules_exist_after_migrate(db):
    rules = {r.code: r for r in RewardRule.objects.all()}
    assert rules["HTE_NEW"].city_amount == rules["HTE_NEW"].county_amount == Decimal("150000.00")
    assert rules["LITTLE_GIANT"].total_amount == Decimal("300000.00")
    assert rules["LEADING"].total_amount == Decimal("500000.00")
    assert all(r.effective_from == datetime.date(2017, 12, 29) for r in rules.values())


def test_a_rule_with_rewards_can_only_be_closed(admin_client):
    rule = hte_rule()
    RewardWithLinesFactory(rule=rule)
    url = reverse("admin:incentives_rewardrule_change", args=[rule.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="city_amount"' not in page and 'name="effective_to"' in page
    admin_client.post(url, _form(rule, effective_to="2026-12-31"))
    rule.refresh_from_db()
    assert rule.effective_to == datetime.date(2026, 12, 31) and rule.closed_at is not None
    assert rule.city_amount == Decimal("150000.00")


def test_a_new_rule_opens_for_a_new_period(admin_client):
    rule = hte_rule()
    RewardWithLinesFactory(rule=rule)
    admin_client.post(
        reverse("admin:incentives_rewardrule_change", args=[rule.pk]), _form(rule, effective_to="2026-12-31")
    )
    response = admin_client.post(
        reverse("admin:incentives_rewardrule_add"),
        _form(rule, code="HTE_NEW_2027", city_amount="200000", effective_from="2027-01-01", effective_to=""),
        follow=True,
    )
    assert RewardRule.objects.filter(code="HTE_NEW_2027", city_amount=Decimal("200000")).exists()
    assert response.status_code == 200


def test_an_overlapping_rule_is_refused_with_the_reason(admin_client):
    rule = hte_rule()
    response = admin_client.post(
        reverse("admin:incentives_rewardrule_add"),
        _form(rule, code="HTE_DUP", effective_from="2020-01-01"),
        follow=True,
    )
    assert not RewardRule.objects.filter(code="HTE_DUP").exists()
    assert "errornote" in response.content.decode() or "error" in response.content.decode()
