"""Walk every URL of the project for every role and prove the jurisdiction scope holds.

A county-bound user asking for another jurisdiction's enterprise gets a 404 (no leak, not even
"forbidden"); a role without the right gets a 403; anonymous users are sent to log in.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from anyang_hte.core.models import ExportJob, Notification
from anyang_hte.core.roles import Role
from incentives.models import OfficialList, OfficialListRow
from tests.factories import (
    EnterpriseFactory,
    FiguresFactory,
    MilestoneFactory,
    QualificationFactory,
    UserFactory,
    jurisdiction,
)
from tests.incentives.factories import PayoutBatchFactory, RewardDocumentFactory, RewardWithLinesFactory

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
    notification = Notification.objects.create(user=owner, title="t")
    official = OfficialList.objects.create(
        kind="hte",
        granted_on=datetime.date(2025, 11, 30),
        filename="l.xlsx",
        checksum="0" * 64,
        uploaded_by=owner,
    )
    row = OfficialListRow.objects.create(
        official_list=official, row_number=4, name="外市公司", status="unmatched"
    )
    data = {}
    for label, ent in (("own", own), ("other", other)):
        reward = RewardWithLinesFactory(enterprise=ent, status="generated")
        county_batch = PayoutBatchFactory(
            source="county", jurisdiction=ent.jurisdiction, created_by=owner, name=f"{label} county batch"
        )
        data[label] = {
            # Per app, the "pk" a URL takes: see _kwargs_for.
            "reward_pk": reward.pk,
            "batch_pk": county_batch.pk,
            "official_pk": official.pk,
            "document_pk": RewardDocumentFactory(reward=reward).pk,
            "row_pk": row.pk,
            "action": "lock",
            "number": 4,
            "code": ent.jurisdiction.code,
            "indicator": "new_hte",
            "pk": ent.pk,
            "year": FiguresFactory(enterprise=ent, year=2024).year,
            "milestone_pk": MilestoneFactory(enterprise=ent).pk,
            "qualification_pk": QualificationFactory(enterprise=ent, granted_on=datetime.date(2024, 1, 5)).pk,
            "fmt": "xlsx",
            "token": "0" * 32,
            "job_id": job.pk,
            "notification_id": notification.pk,
        }
    return data


def _kwargs_for(name, pattern, values):
    names = list(pattern.pattern.regex.groupindex)
    kwargs = {n: values[n] for n in names if n in values}
    if "code" in names and name.startswith("assessment:watchlist"):
        kwargs["code"] = "hte_expiring"
    if "pk" in names and name.startswith("incentives:"):
        key = "batch_pk" if ":batch" in name else "official_pk" if ":official" in name else "reward_pk"
        kwargs["pk"] = values[key]
    return kwargs


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
    url = reverse(name, kwargs=_kwargs_for(name, pattern, world["own"]))
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
        own_status = {}
        for label in ("own", "other") if takes_enterprise else ("own",):
            url = reverse(name, kwargs=_kwargs_for(name, pattern, world[label]))
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                assert status < 500, (role, name, label, method, status)
                if label == "own":
                    own_status[method] = status
                elif role in (Role.COUNTY_OFFICIAL, Role.COUNTY_FINANCE):
                    # Where the role holds the right (its own county's record is reachable), the other
                    # county's record simply does not exist for it: a 404, not even a 403.
                    allowed = (403, 404, 405) if own_status[method] in (403, 405) else (404, 405)
                    assert status in allowed, (role, name, label, method, status, own_status[method])
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
