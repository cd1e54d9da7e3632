import datetime

import pytest
from django.utils import timezone

from anyang_hte.core.roles import Role
from applications.models import ApplicationRound, RoundEntry
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

WF, LZ = "410502", "410581"


def make_round(*, year=None, ahead=(30, 60, 90), status="open"):
    """A round whose deadlines are ``ahead`` days from today (negative: already passed)."""
    day = timezone.localdate()
    return ApplicationRound.objects.create(
        year=year or day.year,
        intention_deadline=day + datetime.timedelta(days=ahead[0]),
        recommendation_deadline=day + datetime.timedelta(days=ahead[1]),
        review_deadline=day + datetime.timedelta(days=ahead[2]),
        status=status,
        opened_at=timezone.now(),
    )


def make_entry(round_, status="intention", code=WF, **kw):
    return RoundEntry.objects.create(
        round=round_,
        enterprise=kw.pop("enterprise", None) or EnterpriseFactory(jurisdiction=jurisdiction(code)),
        status=status,
        declared_at=timezone.now(),
        **kw,
    )


@pytest.fixture
def current(db):
    return make_round()


@pytest.fixture
def ent(db):
    return EnterpriseFactory(name="安阳申报测试科技有限公司", jurisdiction=jurisdiction(WF))


@pytest.fixture
def firm(ent):
    return UserFactory(username="firm_wf", role=Role.ENTERPRISE, jurisdiction=None, enterprise=ent)
