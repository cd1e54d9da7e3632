import datetime
from io import StringIO

from django.core.management import call_command

from incentives.models import Reward
from tests.factories import EnterpriseFactory, QualificationFactory


def test_run_reward_engine_is_idempotent(db):
    ent = EnterpriseFactory()
    # Recorded without the service (as old data would be): the engine has not seen it yet.
    QualificationFactory(enterprise=ent, kind="hte", granted_on=datetime.date(2024, 11, 30))
    out = StringIO()
    call_command("run_reward_engine", stdout=out)
    assert out.getvalue().strip() == "new rewards 1"
    assert Reward.objects.get(enterprise=ent).amount == 300000
    out = StringIO()
    call_command("run_reward_engine", stdout=out)
    assert out.getvalue().strip() == "new rewards 0"
