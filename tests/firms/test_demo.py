import pytest
from django.urls import reverse

from enterprises.demo import ensure_demo_accounts
from firms.demo import seed_firm_accounts
from firms.models import FirmRegistration

pytestmark = pytest.mark.django_db


def test_seed_firm_accounts_is_repeatable_and_signs_in(client, wf_ent, lz_ent):
    ensure_demo_accounts()
    first = seed_firm_accounts(enterprise=wf_ent, password="Anyang-2017")
    again = seed_firm_accounts(enterprise=wf_ent, password="Anyang-2017")
    assert first.firm_user == again.firm_user and first.firm_user.enterprise == wf_ent
    assert (
        again.pending.status == FirmRegistration.Status.PENDING
        and again.pending.jurisdiction.code == "410502"
    )
    assert (
        again.confirmed.status == FirmRegistration.Status.CONFIRMED and again.confirmed.enterprise == lz_ent
    )
    assert FirmRegistration.objects.count() == 2
    response = client.post(reverse("login"), {"username": "qiye_wf", "password": "Anyang-2017"})
    assert response.status_code == 302
    assert wf_ent.name in client.get(reverse("firms:home")).content.decode()
