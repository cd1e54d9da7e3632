import io

import openpyxl
import pytest
from django.urls import reverse

from anyang_hte.core import services
from anyang_hte.core.models import ExportJob
from anyang_hte.core.roles import Role
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction


@pytest.fixture
def small_inline_limit(settings):
    settings.EXPORT_INLINE_ROWS = 2


def test_small_export_streams_at_once(client, county_official):
    EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    client.force_login(county_official)
    response = client.get(reverse("enterprises:export", args=["xlsx"]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")


def test_large_export_runs_as_a_job_with_progress(
    client, county_official, small_inline_limit, django_capture_on_commit_callbacks
):
    for _ in range(3):
        EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    foreign = EnterpriseFactory(jurisdiction=jurisdiction("410581"))
    client.force_login(county_official)
    url = reverse("enterprises:export", args=["xlsx"])
    confirm = client.get(url, {"stage": "none"})
    assert "后台生成" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "?stage=none")
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("export_job", args=[job.pk])
    assert job.status == ExportJob.Status.DONE and job.rows_total == 3 and job.rows_done == 3
    assert job.params == {"stage": ["none"]}
    page = client.get(response["Location"]).content.decode()
    assert "100%" in page and reverse("export_job_download", args=[job.pk]) in page
    partial = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "export-status" in partial
    download = client.get(reverse("export_job_download", args=[job.pk]))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    codes = [row[2] for row in wb.active.iter_rows(min_row=3, values_only=True)]
    assert len(codes) == 3 and foreign.credit_code not in codes


def test_a_job_is_its_owners_only(
    client, county_official, small_inline_limit, django_capture_on_commit_callbacks
):
    job = ExportJob.objects.create(user=county_official, kind="enterprises.ledger", fmt="csv", title="t")
    services.export_job_run(job_id=job.pk)
    other = UserFactory(username="someone", role=Role.TECH_REVIEWER, jurisdiction=None)
    client.force_login(other)
    assert client.get(reverse("export_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 404
    client.force_login(county_official)
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 200


def test_job_keeps_the_scope_of_its_user(county_official):
    EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    EnterpriseFactory(jurisdiction=jurisdiction("410581"))
    job = ExportJob.objects.create(user=county_official, kind="enterprises.ledger", fmt="csv", title="t")
    job = services.export_job_run(job_id=job.pk)
    assert job.rows_total == 1
    body = job.file.read().decode("utf-8-sig")
    assert body.count("\n") == 2  # CSV: the header and one row


def test_purge_removes_old_files(county_official):
    import datetime

    job = ExportJob.objects.create(user=county_official, kind="enterprises.ledger", fmt="csv", title="t")
    services.export_job_run(job_id=job.pk)
    ExportJob.objects.filter(pk=job.pk).update(created_at=job.created_at - datetime.timedelta(days=8))
    assert services.export_jobs_purge() == 1 and not ExportJob.objects.exists()
