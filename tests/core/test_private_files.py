"""Stored files are never served from /media/ (not even under DEBUG), only through views that check the
right and the scope and answer as a private download."""

import importlib

import pytest
from django.core.files.base import ContentFile
from django.urls import clear_url_caches, reverse

from anyang_hte.core.models import ExportJob
from anyang_hte.core.roles import Role
from anyang_hte.core.stash import stash_dir
from enterprises.models import SubmissionFile
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardDocumentFactory, RewardFactory

PDF = b"%PDF-1.4\n%private\n"


@pytest.fixture
def world(db):
    own = EnterpriseFactory(jurisdiction=jurisdiction("410502"))
    other = EnterpriseFactory(jurisdiction=jurisdiction("410581"))
    document = RewardDocumentFactory(reward=RewardFactory(enterprise=own))
    owner = UserFactory(username="job_owner", role=Role.TECH_REVIEWER, jurisdiction=None)
    item = SubmissionFile(
        enterprise=own, kind="audit_report", original_name="审计报告.pdf", size=len(PDF), uploaded_by=owner
    )
    item.file.save("audit.pdf", ContentFile(PDF), save=False)
    item.save()
    job = ExportJob.objects.create(
        user=owner, kind="enterprises.ledger", fmt="csv", title="t", status="done", filename="台账.csv"
    )
    job.file.save("ledger.csv", ContentFile(b"\xef\xbb\xbfa,b\r\n"), save=True)
    return {
        "own": own,
        "other": other,
        "document": document,
        "item": item,
        "job": job,
        "owner": owner,
        "county": UserFactory(username="f_county", role=Role.COUNTY_OFFICIAL, jurisdiction=own.jurisdiction),
        "other_county": UserFactory(
            username="f_county2", role=Role.COUNTY_OFFICIAL, jurisdiction=other.jurisdiction
        ),
        "firm": UserFactory(username="f_firm", role=Role.ENTERPRISE, jurisdiction=None, enterprise=own),
        "other_firm": UserFactory(
            username="f_firm2", role=Role.ENTERPRISE, jurisdiction=None, enterprise=other
        ),
        "reviewer": UserFactory(username="f_rev", role=Role.TECH_REVIEWER, jurisdiction=None),
        "admin": UserFactory(username="f_admin", role=Role.ADMIN, jurisdiction=None, is_staff=True),
    }


@pytest.fixture
def debug_urlconf(settings):
    """The project's URLconf as a development server (DEBUG=True) builds it."""
    import anyang_hte.urls

    settings.DEBUG = True
    importlib.reload(anyang_hte.urls)
    clear_url_caches()
    yield anyang_hte.urls
    settings.DEBUG = False
    importlib.reload(anyang_hte.urls)
    clear_url_caches()


def test_media_is_not_served_under_debug(client, world, debug_urlconf, settings):
    stashed = stash_dir("ledger") / ("a" * 32 + ".xlsx")
    stashed.write_bytes(b"PK\x03\x04")
    paths = [
        world["document"].file.url,
        world["item"].file.url,
        world["job"].file.url,
        settings.MEDIA_URL + "imports/ledger/" + stashed.name,
    ]
    # The files are real: they are on disk, and their views serve them to their owners.
    assert all(
        f.storage.exists(f.name) for f in (world["document"].file, world["item"].file, world["job"].file)
    )
    assert not any(
        str(p.pattern).startswith(settings.MEDIA_URL.lstrip("/")) for p in debug_urlconf.urlpatterns
    )
    for user in (world["admin"], world["reviewer"], world["county"]):
        client.force_login(user)
        for path in paths:
            assert path.startswith("/media/")
            assert client.get(path).status_code == 404, (user.username, path)


def _headers_private(response, filename_fragment: str):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert filename_fragment in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    return b"".join(response.streaming_content)


def test_reward_document_view(client, world):
    doc = world["document"]
    url = reverse("incentives:document_download", args=[doc.reward_id, doc.pk])
    assert client.get(url).status_code == 302  # anonymous: to the log-in page
    for name in ("county", "reviewer"):
        client.force_login(world[name])
        assert _headers_private(client.get(url), "filename") == b"%PDF-1.4\n%test\n"
    client.force_login(world["other_county"])
    assert client.get(url).status_code == 404
    client.force_login(world["firm"])  # a firm has its own door, not the bureau's
    assert client.get(url).status_code == 403


def test_firm_reward_document_view(client, world):
    doc = world["document"]
    url = reverse("firms:reward_document_download", args=[doc.reward_id, doc.pk])
    assert client.get(url).status_code == 302
    client.force_login(world["firm"])
    _headers_private(client.get(url), "filename")
    client.force_login(world["other_firm"])
    assert client.get(url).status_code == 404
    client.force_login(world["county"])
    assert client.get(url).status_code == 403


def test_submission_file_views(client, world):
    item = world["item"]
    county_url = reverse("enterprises:submission_file", args=[item.pk])
    firm_url = reverse("firms:submission_file", args=[item.pk])
    for url in (county_url, firm_url):
        assert client.get(url).status_code == 302
    client.force_login(world["county"])
    assert _headers_private(client.get(county_url), "filename") == PDF
    client.force_login(world["other_county"])
    assert client.get(county_url).status_code == 404
    client.force_login(world["firm"])
    assert _headers_private(client.get(firm_url), "filename") == PDF
    assert client.get(county_url).status_code == 403
    client.force_login(world["other_firm"])
    assert client.get(firm_url).status_code == 404


def test_export_job_file_view(client, world):
    url = reverse("export_job_download", args=[world["job"].pk])
    assert client.get(url).status_code == 302
    client.force_login(world["owner"])
    _headers_private(client.get(url), "filename")
    for name in ("reviewer", "admin", "county"):
        client.force_login(world[name])
        assert client.get(url).status_code == 404, name
