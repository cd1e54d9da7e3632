"""Shared fixtures.

Two factors stay ON in tests (``TwoFactorMiddleware`` is in the test settings as everywhere). The ONE
place that lets the suite's ``client.force_login(user)`` reach the pages is :class:`PortalClient` below,
the ``client`` (and ``admin_client``) of every test: ``force_login`` also marks the session as having
passed the second factor with the user's confirmed authenticator; a user who must have one (a money
role, an administrator, staff) and was made without the factory gets one then. ``UserFactory`` gives
those users their authenticator when it makes them (tests/factories.py), so the browser journeys log in
through the real code page (tests/browser/conftest.login). ``force_login(user, otp=False)`` signs in
with the password step only, for the tests of the enforcement itself (tests/core/test_two_factor*.py).
"""

import pytest
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY

from anyang_hte.core.reference import ensure_jurisdictions
from anyang_hte.core.roles import Role, two_factor_required
from anyang_hte.core.two_factor import SESSION_ENABLED, confirmed_totp

from .factories import UserFactory, jurisdiction, totp_device


class PortalClient(Client):
    """The test client, whose ``force_login`` passes the second factor too (see the module's docstring)."""

    def force_login(self, user, backend=None, *, otp=True):
        super().force_login(user, backend)
        session = self.session
        if not otp:
            session.pop(DEVICE_ID_SESSION_KEY, None)  # an earlier force_login's verification is gone too
            session.save()
            return
        device = totp_device(user) if two_factor_required(user) else confirmed_totp(user)
        if device is not None:
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session[SESSION_ENABLED] = True
            session.save()


@pytest.fixture
def client():
    return PortalClient()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


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
