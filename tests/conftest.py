import pytest
from django.utils import translation

from anyang_hte.core.reference import ensure_jurisdictions
from anyang_hte.core.roles import Role

from .factories import UserFactory, jurisdiction


@pytest.fixture(autouse=True)
def _reference_data(request):
    """The 11 jurisdictions, the reward rules and the 2017 plan come from data migrations; transactional
    tests flush them, so restore."""
    names = set(request.fixturenames)
    if names & {"live_server", "transactional_db"}:
        request.getfixturevalue("transactional_db")
    elif "db" in names or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
    else:
        return
    ensure_jurisdictions()
    from incentives.models import RewardRule
    from incentives.reference import ensure_rules

    ensure_rules(RewardRule)
    from assessment.reference import ensure_plans

    ensure_plans()
    from anyang_hte.core.models import CalendarDay
    from anyang_hte.core.reference import ensure_working_days

    if not CalendarDay.objects.exists():  # flushed by a transactional test: the holidays come back
        ensure_working_days()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test ends back in the portal's default language.

    A request carrying another language's cookie activates that language for the thread, and the locale
    middleware does not switch back after the response; without this, a test that reads an English page
    would leave English active for whichever test happens to run next.
    """
    yield
    translation.deactivate()


@pytest.fixture
def county_official(db):
    return UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))


@pytest.fixture
def other_county_official(db):
    return UserFactory(username="county_lz", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410581"))


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
