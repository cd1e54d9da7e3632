"""API clients: created with a token shown once and kept only as a digest, revoked, expiring."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import ClientActor, Right, Role, SystemActor, has_right, is_city_wide
from api.models import ApiClient, token_digest
from api.services import api_client_create, api_client_revoke
from tests.factories import UserFactory, jurisdiction

pytestmark = pytest.mark.django_db


def _create(*args):
    out = io.StringIO()
    call_command("create_api_client", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_the_command_prints_the_token_once_and_keeps_only_its_digest():
    lines = _create("汤阴县统计局", "--jurisdiction", "410523", "--scopes", "enterprises:read,figures:read")
    token = lines[-1]
    client = ApiClient.objects.get(name="汤阴县统计局")
    assert client.token_hash == token_digest(token) and token not in (client.token_hash, client.token_prefix)
    assert client.jurisdiction == jurisdiction("410523") and not client.city_wide
    assert client.scopes == ["enterprises:read", "figures:read"]
    assert (client.expires_at - timezone.now()).days in (364, 365)
    listed = io.StringIO()
    call_command("list_api_clients", stdout=listed)
    assert "汤阴县统计局" in listed.getvalue() and token not in listed.getvalue()
    entry = AuditLog.objects.get(action="api.client.created")
    assert entry.data["system"] == "command create_api_client" and entry.data["scope"] == "410523"


def test_the_command_refuses_what_it_cannot_grant():
    with pytest.raises(CommandError, match="未知的权限范围"):
        _create("x", "--city", "--scopes", "everything")
    with pytest.raises(CommandError, match="只能授予全市范围"):
        _create("y", "--jurisdiction", "410502", "--scopes", "official_lists:write")
    with pytest.raises(CommandError, match="no jurisdiction"):
        _create("z", "--jurisdiction", "999999", "--scopes", "enterprises:read")
    with pytest.raises(CommandError, match="--city --jurisdiction"):  # neither: argparse refuses
        _create("w", "--scopes", "enterprises:read")
    assert not ApiClient.objects.exists()


def test_revoke_and_the_actor_it_gives():
    client, _token = api_client_create(
        name="省科技厅", scopes=["certifications:write"], city_wide=True, by=SystemActor("test")
    )
    actor = client.actor()
    assert isinstance(actor, ClientActor) and is_city_wide(actor)
    assert has_right(actor, Right.QUALIFICATION_EDIT) and not has_right(actor, Right.LEDGER_VIEW)
    assert not has_right(actor, Right.REWARD_REVIEW) and not has_right(actor, Right.PAYOUT_MANAGE)
    call_command("revoke_api_client", "省科技厅", stdout=io.StringIO())
    client.refresh_from_db()
    assert client.revoked_at is not None
    with pytest.raises(CommandError, match="已于"):
        call_command("revoke_api_client", "省科技厅", stdout=io.StringIO())


def test_only_an_administrator_or_the_system_manages_clients():
    official = UserFactory(role=Role.COUNTY_OFFICIAL)
    with pytest.raises(DomainError, match="没有管理数据接口客户端的权限"):
        api_client_create(name="a", scopes=["enterprises:read"], city_wide=True, by=official)
    admin = UserFactory(role=Role.ADMIN, jurisdiction=None)
    client, _token = api_client_create(name="a", scopes=["enterprises:read"], city_wide=True, by=admin)
    with pytest.raises(DomainError):
        api_client_revoke(client=client, by=UserFactory(role=Role.TECH_REVIEWER, jurisdiction=None))
    api_client_revoke(client=client, by=admin)
    assert AuditLog.objects.filter(action="api.client.revoked", user=admin).exists()


def test_a_county_client_is_held_to_its_county():
    client, _token = api_client_create(
        name="林州", scopes=["enterprises:read"], jurisdiction=jurisdiction("410581"), by=SystemActor("t")
    )
    actor = client.actor()
    assert not is_city_wide(actor) and actor.jurisdiction_id == jurisdiction("410581").pk
    # A client that somehow has neither scope fails closed: no rows.
    from anyang_hte.core.scope import scope_queryset
    from enterprises.models import Enterprise
    from tests.factories import EnterpriseFactory

    EnterpriseFactory()
    stray = ClientActor(name="stray", client_id=0, rights=frozenset({Right.LEDGER_VIEW}))
    assert list(scope_queryset(Enterprise.objects.all(), stray, jurisdiction_field="jurisdiction")) == []
    assert scope_queryset(Enterprise.objects.all(), actor, jurisdiction_field="jurisdiction").count() == 0


def test_expiry_days_are_bounded():
    with pytest.raises(DomainError, match="有效天数"):
        api_client_create(name="a", scopes=["enterprises:read"], city_wide=True, days=0, by=SystemActor("t"))
    client, _token = api_client_create(
        name="b", scopes=["enterprises:read"], city_wide=True, days=30, by=SystemActor("t")
    )
    assert client.expires_at - client.created_at <= datetime.timedelta(days=30, seconds=1)
