"""The incentives pages through the test client (the journey itself runs in a browser)."""

import pytest
from django.urls import reverse

from anyang_hte.core.roles import Role
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardDocumentFactory, RewardWithLinesFactory


@pytest.fixture
def two_counties(db):
    own = RewardWithLinesFactory(enterprise=EnterpriseFactory(jurisdiction=jurisdiction("410502")))
    other = RewardWithLinesFactory(enterprise=EnterpriseFactory(jurisdiction=jurisdiction("410581")))
    return own, other


def test_reward_list_is_scoped_and_totalled(client, county_official, two_counties):
    own, other = two_counties
    client.force_login(county_official)
    body = client.get(reverse("incentives:reward_list")).content.decode()
    assert own.enterprise.name in body and other.enterprise.name not in body
    assert "30.00" in body  # one reward of 300,000 yuan, in 万元


def test_documents_are_served_only_within_scope(client, county_official, other_county_official, two_counties):
    own, _other = two_counties
    document = RewardDocumentFactory(reward=own)
    url = reverse("incentives:document_download", args=[own.pk, document.pk])
    client.force_login(county_official)
    assert client.get(url).status_code == 200
    client.force_login(other_county_official)
    assert client.get(url).status_code == 404


def test_budget_groups_as_asked(client, two_counties):
    client.force_login(UserFactory(username="bud_rev", role=Role.TECH_REVIEWER, jurisdiction=None))
    url = reverse("incentives:budget")
    by_county = client.get(url, {"by": ["jurisdiction"]}).content.decode()
    assert "文峰区" in by_county and "林州市" in by_county and "新认定高新技术企业奖励" not in by_county
    by_rule = client.get(url).content.decode()
    assert "新认定高新技术企业奖励" in by_rule and "60.00" in by_rule  # the total of both rewards


def test_reviewer_is_told_why_he_cannot_approve_his_own_submission(client, db):
    reviewer = UserFactory(username="self_rev", role=Role.TECH_REVIEWER, jurisdiction=None)
    reward = RewardWithLinesFactory(status="submitted", submitted_by=reviewer)
    client.force_login(reviewer)
    body = client.get(reverse("incentives:reward_detail", args=[reward.pk])).content.decode()
    assert "不能批准本人提交的申报" in body
