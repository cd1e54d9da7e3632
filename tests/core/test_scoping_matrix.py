"""Walk every URL of the project for every role and prove the jurisdiction scope holds.

A county-bound user asking for another jurisdiction's enterprise gets a 404 (no leak, not even
"forbidden"); a role without the right gets a 403; anonymous users are sent to log in.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from anyang_hte.core.models import ExportJob
from anyang_hte.core.roles import Role
from tests.factories import (
    EnterpriseFactory,
    FiguresFactory,
    MilestoneFactory,
    QualificationFactory,
    UserFactory,
    jurisdiction,
)

PUBLIC = {"login", "set_language", "logout"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            if p.namespace == "admin":
                continue  # Django's admin: staff-only, tested below
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name, p


ALL_URLS = sorted({name for name, _p in _walk(get_resolver().url_patterns)})


@pytest.fixture
def world(db):
    own = EnterpriseFactory(jurisdiction=jurisdiction("410502"))
    other = EnterpriseFactory(jurisdiction=jurisdiction("410581"))
    owner = UserFactory(username="job_owner", role=Role.TECH_REVIEWER, jurisdiction=None)
    job = ExportJob.objects.create(user=owner, kind="enterprises.ledger", fmt="xlsx", title="t")
    data = {}
    for label, ent in (("own", own), ("other", other)):
        data[label] = {
            "pk": ent.pk,
            "year": FiguresFactory(enterprise=ent, year=2024).year,
            "milestone_pk": MilestoneFactory(enterprise=ent).pk,
            "qualification_pk": QualificationFactory(enterprise=ent, granted_on=datetime.date(2024, 1, 5)).pk,
            "fmt": "xlsx",
            "token": "0" * 32,
            "job_id": job.pk,
        }
    return data


def _kwargs_for(pattern, values):
    names = list(pattern.pattern.regex.groupindex)
    return {n: values[n] for n in names}


def _users():
    return {
        Role.COUNTY_OFFICIAL: UserFactory(username="m_county", role=Role.COUNTY_OFFICIAL),
        Role.COUNTY_FINANCE: UserFactory(username="m_cfin", role=Role.COUNTY_FINANCE),
        Role.TECH_REVIEWER: UserFactory(username="m_rev", role=Role.TECH_REVIEWER, jurisdiction=None),
        Role.CITY_FINANCE: UserFactory(username="m_fin", role=Role.CITY_FINANCE, jurisdiction=None),
        Role.ADMIN: UserFactory(username="m_admin", role=Role.ADMIN, jurisdiction=None),
    }


def test_url_walk_finds_the_ledger():
    assert "enterprises:detail" in ALL_URLS and "enterprises:export" in ALL_URLS and len(ALL_URLS) >= 15


@pytest.mark.parametrize("name", ALL_URLS)
def test_anonymous_is_sent_to_login(client, world, name):
    if name in PUBLIC:
        return
    pattern = dict(_walk(get_resolver().url_patterns))[name]
    url = reverse(name, kwargs=_kwargs_for(pattern, world["own"]))
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (name, method)
        assert response["Location"].startswith(reverse("login")), (name, method)


@pytest.mark.parametrize("name", ALL_URLS)
def test_every_role_on_every_url(client, world, name):
    if name in PUBLIC:
        return
    pattern = dict(_walk(get_resolver().url_patterns))[name]
    takes_enterprise = "pk" in pattern.pattern.regex.groupindex
    for role, user in _users().items():
        client.force_login(user)
        for label in ("own", "other") if takes_enterprise else ("own",):
            url = reverse(name, kwargs=_kwargs_for(pattern, world[label]))
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                assert status < 500, (role, name, label, method, status)
                if label == "other" and role in (Role.COUNTY_OFFICIAL, Role.COUNTY_FINANCE):
                    # Scope first or right first: either way nothing of the other county is shown.
                    assert status in (403, 404, 405), (role, name, label, method, status)
                    if role == Role.COUNTY_OFFICIAL:
                        assert status in (404, 405), (role, name, label, method, status)
        client.logout()


def test_list_and_export_hold_only_own_jurisdiction(client, world):
    official = UserFactory(username="m_county2", role=Role.COUNTY_OFFICIAL)
    client.force_login(official)
    from enterprises.models import Enterprise

    own, other = (
        Enterprise.objects.get(pk=world["own"]["pk"]),
        Enterprise.objects.get(pk=world["other"]["pk"]),
    )
    page = client.get(reverse("enterprises:list")).content.decode()
    assert own.name in page and other.name not in page
    search = client.get(reverse("enterprises:list"), {"q": other.credit_code}).content.decode()
    assert other.name not in search
    csv_body = b"".join(client.get(reverse("enterprises:export", args=["csv"])).streaming_content).decode(
        "utf-8-sig"
    )
    assert own.credit_code in csv_body and other.credit_code not in csv_body


def test_admin_site_is_for_administrators_only(client, db):
    for role in (Role.COUNTY_OFFICIAL, Role.TECH_REVIEWER, Role.CITY_FINANCE):
        client.force_login(UserFactory(username=f"a_{role}", role=role))
        response = client.get(reverse("admin:enterprises_enterprise_changelist"))
        assert response.status_code == 302 and "login" in response["Location"]
