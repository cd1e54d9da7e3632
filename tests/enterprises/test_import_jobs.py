"""A large ledger file is previewed and written by a Celery job (run eagerly here), never in the request."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.db import transaction
from django.urls import reverse

from anyang_hte.core import import_jobs
from anyang_hte.core.models import ImportJob
from anyang_hte.core.roles import Role
from enterprises import importers
from enterprises.import_jobs import count_rows, runs_as_job
from enterprises.import_parsing import TEMPLATE_SHEET, build_template_workbook
from enterprises.importers import plan_ledger_import
from enterprises.models import AnnualFigures, Enterprise
from tests.enterprises.test_ledger_import_whole import firm_row
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction, make_credit_code

pytestmark = pytest.mark.django_db


def template_file(rows: list[list], name: str = "台账.xlsx") -> io.BytesIO:
    """The downloadable template, filled in with ``rows``."""
    wb = openpyxl.load_workbook(io.BytesIO(build_template_workbook()))
    ws = wb[TEMPLATE_SHEET]
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = name
    return out


def firms(n: int, start: int = 1, **values) -> list[list]:
    return [
        firm_row(start + i, 2024, name=f"安阳后台导入科技{start + i}有限公司", **values) for i in range(n)
    ]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def low_threshold(settings):
    settings.IMPORT_JOB_MIN_ROWS = 5


def upload(client, user, rows, capture, **extra):
    client.force_login(user)
    with capture(execute=True):
        return client.post(
            reverse("enterprises:import"),
            {"file": template_file(rows), "jurisdiction": user.jurisdiction_id or "", **extra},
        )


def confirm(client, job, capture):
    with capture(execute=True):
        return client.post(reverse("import_job_apply", args=[job.pk]))


def ledger_state() -> list[tuple]:
    """Every enterprise and its figures, as values (no ids, no timestamps)."""
    enterprises = [
        (
            e.credit_code,
            e.name,
            e.jurisdiction_id,
            e.tech_field,
            e.bank_account,
            e.declared_stage,
            e.planned_year,
        )
        for e in Enterprise.objects.order_by("credit_code")
    ]
    figures = [
        (f.enterprise.credit_code, f.year, f.sales_revenue, f.rd_expense, f.staff_count, f.net_assets)
        for f in AnnualFigures.objects.select_related("enterprise").order_by(
            "enterprise__credit_code", "year"
        )
    ]
    return enterprises + figures


def test_a_small_file_keeps_the_instant_preview(client, county_official):
    response = client.force_login(county_official) or client.post(
        reverse("enterprises:import"),
        {"file": template_file(firms(3)), "jurisdiction": county_official.jurisdiction_id},
    )
    assert response.status_code == 302 and "/ledger/import/" in response["Location"]
    assert not ImportJob.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "新增 3" in page and "确认导入" in page
    assert client.post(response["Location"]).status_code == 302
    assert Enterprise.objects.count() == 3


def test_a_large_file_becomes_a_job_whose_page_shows_the_preview_and_applies(
    client, county_official, low_threshold, django_capture_on_commit_callbacks
):
    response = upload(client, county_official, firms(6), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("import_job", args=[job.pk])
    assert (job.user, job.kind, job.phase, job.status) == (
        county_official,
        "enterprises.ledger",
        "preview",
        "done",
    )
    assert job.rows_done == 6 and job.rows_total >= 6  # counted from the file: the template's rows too
    assert not Enterprise.objects.exists()  # a preview writes nothing
    page = client.get(response["Location"]).content.decode()
    assert "新增 6" in page and "错误 0" in page and "安阳后台导入科技6有限公司" in page
    assert "确认导入" in page and "100%" in page
    partial = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "import-status" in partial and "hx-get" not in partial

    # leave and come back: the import page lists the job
    listed = client.get(reverse("enterprises:import")).content.decode()
    assert reverse("import_job", args=[job.pk]) in listed and "预览完成，待确认" in listed

    done = confirm(client, job, django_capture_on_commit_callbacks)
    assert done["Location"] == reverse("import_job", args=[job.pk])
    job.refresh_from_db()
    assert (job.phase, job.status) == ("apply", "done")
    assert job.result["applied"] == {"created": 6, "updated": 0, "unchanged": 0}
    assert Enterprise.objects.filter(jurisdiction=county_official.jurisdiction).count() == 6
    assert not (Path(import_jobs.stash_path(job))).exists()  # the stashed file is gone once written
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "导入完成：新增 6 家" in page and "确认导入" not in page
    again = confirm(client, job, django_capture_on_commit_callbacks)  # a second confirmation: refused
    assert Enterprise.objects.count() == 6
    assert "已确认过" in client.get(again["Location"]).content.decode()


def test_a_running_job_polls_its_progress(client, county_official):
    job = ImportJob.objects.create(
        user=county_official,
        kind="enterprises.ledger",
        title="t",
        filename="台账.xlsx",
        stash="ledger_imports/x.xlsx",
        sha256="0",
        params={"jurisdiction": county_official.jurisdiction_id},
        status=ImportJob.Status.RUNNING,
        rows_total=4000,
        rows_done=1000,
    )
    client.force_login(county_official)
    partial = client.get(
        reverse("import_job", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'hx-trigger="every 1s"' in partial and "25%" in partial
    assert "已读取 1000 行，约 4000 行" in partial.replace(",", "")
    assert "确认导入" not in partial and "取消" not in partial


def test_the_row_errors_are_kept_and_the_whole_list_downloads(
    client, county_official, low_threshold, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_JOB_KEEP_ROWS = 2
    rows = firms(3) + firms(3, start=10, staff_count="六十")
    upload(client, county_official, rows, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == "done" and job.result["can_apply"] is False
    assert job.result["errors_count"] == 3 and len(job.result["errors"]) == 2
    assert job.result["errors"][0] == {
        "sheet": "",
        "row": 6,
        "column": "职工总数",
        "value": "六十",
        "message": job.result["errors"][0]["message"],
    }
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "六十" in page and "共 3 处错误，仅显示前 2 处" in page and "确认导入" not in page
    download = client.get(reverse("import_job_errors", args=[job.pk]))
    lines = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert lines[0] == ["工作表", "行号", "列", "填写的内容", "原因"] and len(lines) == 4
    assert [line[1] for line in lines[1:]] == ["6", "7", "8"]
    refused = confirm(client, job, django_capture_on_commit_callbacks)
    assert "文件中有错误" in client.get(refused["Location"]).content.decode()
    assert not Enterprise.objects.exists()


def test_only_the_owner_sees_a_job_and_only_in_their_scope(
    client,
    county_official,
    other_county_official,
    reviewer,
    low_threshold,
    django_capture_on_commit_callbacks,
):
    upload(client, county_official, firms(6), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    urls = [reverse(name, args=[job.pk]) for name in ("import_job", "import_job_errors")]
    posts = [reverse(name, args=[job.pk]) for name in ("import_job_apply", "import_job_cancel")]
    for stranger in (other_county_official, reviewer):
        client.force_login(stranger)
        assert [client.get(url).status_code for url in urls] == [404, 404]
        assert [client.post(url).status_code for url in posts] == [404, 404]
        assert (
            reverse("import_job", args=[job.pk])
            not in client.get(reverse("enterprises:import")).content.decode()
        )
    job.refresh_from_db()
    assert job.phase == "preview" and not Enterprise.objects.exists()

    county_official.jurisdiction = jurisdiction("410581")  # moved to another county: out of scope
    county_official.save()
    client.force_login(county_official)
    response = client.get(reverse("import_job", args=[job.pk]))
    assert response.status_code == 403 and "文峰区" in response.content.decode()
    assert client.post(reverse("import_job_apply", args=[job.pk])).status_code == 403


def test_the_task_guards_the_jobs_user(
    county_official, low_threshold, client, django_capture_on_commit_callbacks
):
    upload(client, county_official, firms(6), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    import_jobs.import_job_confirm(job=job, by=county_official)  # queued (not run: no commit here)
    county_official.role = Role.COUNTY_FINANCE  # the right is gone by the time the worker runs it
    county_official.save()
    job = import_jobs.import_job_run(job_id=job.pk)
    assert job.status == "failed" and "权限" in job.error
    assert not Enterprise.objects.exists()


def test_a_confirmation_writes_only_what_was_previewed(
    client, county_official, low_threshold, django_capture_on_commit_callbacks
):
    upload(client, county_official, firms(6), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    EnterpriseFactory(credit_code=make_credit_code(1), jurisdiction=county_official.jurisdiction)
    confirm(client, job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "failed" and "预览之后有了变化" in job.error
    assert Enterprise.objects.count() == 1

    Enterprise.objects.all().delete()
    ImportJob.objects.all().delete()
    upload(client, county_official, firms(6), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    import_jobs.stash_path(job).write_bytes(template_file(firms(7)).getvalue())  # another file
    confirm(client, job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "failed" and "与预览时不同" in job.error
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "没有写入任何数据" in page and not Enterprise.objects.exists()


def test_the_job_writes_what_the_page_writes(
    client, county_official, settings, django_capture_on_commit_callbacks
):
    EnterpriseFactory(
        credit_code=make_credit_code(2),
        name="安阳后台导入科技2有限公司",
        jurisdiction=county_official.jurisdiction,
    )
    rows = firms(6) + [firm_row(2, 2025, name="安阳后台导入科技2有限公司")]
    client.force_login(county_official)
    with transaction.atomic():
        response = client.post(
            reverse("enterprises:import"),
            {"file": template_file(rows), "jurisdiction": county_official.jurisdiction_id},
        )
        client.post(response["Location"])
        inline = ledger_state()
        transaction.set_rollback(True)
    assert len(inline) > len(ledger_state()) and not ImportJob.objects.exists()

    settings.IMPORT_JOB_MIN_ROWS = 5
    upload(client, county_official, rows, django_capture_on_commit_callbacks)
    confirm(client, ImportJob.objects.get(), django_capture_on_commit_callbacks)
    assert ledger_state() == inline


def test_cancel_forgets_the_file_and_the_job(
    client, county_official, low_threshold, django_capture_on_commit_callbacks
):
    upload(client, county_official, firms(6), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    stash = import_jobs.stash_path(job)
    assert stash.exists()
    response = client.post(reverse("import_job_cancel", args=[job.pk]))
    assert response["Location"] == reverse("enterprises:import")
    assert not stash.exists() and not ImportJob.objects.exists()


def test_the_size_threshold_alone_sends_a_file_to_a_job(
    client, county_official, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_JOB_MIN_BYTES = 1000
    upload(client, county_official, firms(2), django_capture_on_commit_callbacks)
    assert ImportJob.objects.get().result["created"] == 2


def test_rows_are_counted_without_parsing_and_stop_at_the_threshold(tmp_path):
    xlsx = tmp_path / "a.xlsx"
    xlsx.write_bytes(template_file(firms(30)).getvalue())
    total = count_rows(xlsx, "a.xlsx")
    assert total >= 32  # the title, the header and the 30 firms (and the help sheet's rows)
    assert count_rows(xlsx, "a.xlsx", stop_at=10) == 10
    data = tmp_path / "b.csv"
    data.write_text("企业名称,统一社会信用代码\n" + "甲,1\n" * 50, encoding="utf-8")
    assert count_rows(data, "b.csv") == 51 and count_rows(data, "b.csv", stop_at=5) == 5
    broken = tmp_path / "c.xlsx"
    broken.write_bytes(b"not a zip")
    assert count_rows(broken, "c.xlsx") == 0
    assert runs_as_job(data, "b.csv") is False


def test_the_preview_reports_progress_every_few_rows(county_official, monkeypatch):
    monkeypatch.setattr(importers, "PROGRESS_EVERY", 2)
    calls = []
    plan = plan_ledger_import(
        template_file(firms(5)),
        "台账.xlsx",
        jurisdiction=county_official.jurisdiction,
        user=county_official,
        progress=calls.append,
    )
    assert plan.created == 5 and calls == [2, 4, 5]


def test_a_firm_user_cannot_start_an_import_job(client, low_threshold, django_capture_on_commit_callbacks):
    firm_user = UserFactory(username="firm_x", role=Role.ENTERPRISE, jurisdiction=None)
    response = upload(client, firm_user, firms(6), django_capture_on_commit_callbacks)
    assert response.status_code == 403 and not ImportJob.objects.exists()
