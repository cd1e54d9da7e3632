"""A long official list is previewed and imported by a Celery job (run eagerly here), the same way as the
ledger's: its page keeps the preview for the reviewer, the confirmation writes exactly what it showed."""

import pytest
from django.urls import reverse

from anyang_hte.core.models import ImportJob
from enterprises.models import Qualification
from incentives.models import OfficialList, Reward
from tests.factories import EnterpriseFactory

from . import test_official_list_pages as pages
from .test_official_list_pages import everything, upload
from .test_official_lists import list_rows, xlsx

enterprises = pages.enterprises  # the fixture: a firm matched by its code, another by its name

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_threshold(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_JOB_MIN_ROWS = 3


def test_a_long_list_becomes_a_job_whose_preview_is_kept_and_confirmed(
    client,
    reviewer,
    enterprises,
    django_capture_on_commit_callbacks,
):
    by_code, by_name = enterprises
    client.force_login(reviewer)
    before = everything()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, xlsx(list_rows()))
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("import_job", args=[job.pk])
    assert (job.kind, job.status, job.rows_done) == ("incentives.official_list", "done", 4)
    assert everything() == before  # the preview wrote nothing
    assert (job.result["new"], job.result["unmatched"], job.result["rewards"]) == (2, 2, 2)
    page = client.get(response["Location"]).content.decode()
    assert by_code.name in page and by_name.name in page and "新认定高新技术企业奖励" in page
    assert "60.00 万元" in page and "确认导入" in page
    assert (
        reverse("import_job", args=[job.pk])
        in client.get(reverse("incentives:official_list_upload")).content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_job_apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.is_applied and job.result["applied"]["new_rewards"] == 2
    official = OfficialList.objects.get()
    assert job.result["applied"]["list_pk"] == official.pk
    assert Qualification.objects.filter(enterprise__in=[by_code, by_name]).count() == 2
    assert Reward.objects.count() == 2
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert (
        "新生成奖励 2 笔" in page and reverse("incentives:official_list_detail", args=[official.pk]) in page
    )


def test_a_stale_preview_is_refused_by_the_job(
    client,
    reviewer,
    enterprises,
    django_capture_on_commit_callbacks,
):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, xlsx(list_rows()))
    job = ImportJob.objects.get()
    EnterpriseFactory(name=job.result["rows"][3]["name"])  # an unmatched row now matches: not the preview
    before = everything()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_job_apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "failed" and "预览之后有了变化" in job.error
    assert everything() == before


def test_only_the_reviewer_who_started_it_sees_the_job(
    client,
    reviewer,
    county_official,
    enterprises,
    django_capture_on_commit_callbacks,
):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, xlsx(list_rows()))
    job = ImportJob.objects.get()
    client.force_login(county_official)
    assert client.get(reverse("import_job", args=[job.pk])).status_code == 404
    assert client.post(reverse("import_job_apply", args=[job.pk])).status_code == 404
    assert not OfficialList.objects.exists()


def test_a_short_list_keeps_the_instant_preview(client, reviewer, enterprises, settings):
    settings.IMPORT_JOB_MIN_ROWS = 2000
    client.force_login(reviewer)
    response = upload(client, xlsx(list_rows()))
    assert "/official-lists/preview/" in response["Location"]
    assert not ImportJob.objects.exists()
