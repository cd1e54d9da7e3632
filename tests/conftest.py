import pytest

from anyang_hte.core.roles import Role

from .factories import UserFactory, jurisdiction


@pytest.fixture
def county_official(db):
    return UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))


@pytest.fixture
def other_county_official(db):
    return UserFactory(username="county_lz", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410581"))


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
