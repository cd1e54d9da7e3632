"""Uploaded import files never confirmed are purged once older than IMPORT_STASH_MAX_AGE_HOURS."""

import io
import os
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import SystemActor
from anyang_hte.core.stash import PURGE_ACTION, import_stash_purge, stash_dir, stash_root
from anyang_hte.core.tasks import purge_import_stash
from tests.factories import UserFactory

HOUR = 3600


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_STASH_MAX_AGE_HOURS = 24
    return tmp_path


def _file(directory, name, *, age_hours: float):
    path = directory / name
    path.write_bytes(b"PK\x03\x04 stashed")
    then = time.time() - age_hours * HOUR
    os.utime(path, (then, then))
    return path


@pytest.fixture
def stashed(media):
    """Old and fresh files in each kind's directory and in a directory of an older release."""
    legacy = media / "ledger_imports"
    legacy.mkdir()
    return {
        "old": [
            _file(stash_dir("ledger"), "a" * 32 + ".xlsx", age_hours=25),
            _file(stash_dir("official_lists"), "b" * 32 + ".csv", age_hours=72),
            _file(stash_dir("published"), "c" * 32 + ".xlsx", age_hours=24.5),
            _file(legacy, "d" * 32 + ".xlsx", age_hours=30),
        ],
        "fresh": [
            _file(stash_dir("ledger"), "e" * 32 + ".xlsx", age_hours=1),
            _file(stash_dir("published"), "f" * 32 + ".csv", age_hours=23.5),
            _file(legacy, "0" * 32 + ".xlsx", age_hours=0),
        ],
    }


def test_stash_dirs_live_under_one_root(media):
    assert stash_dir("ledger") == media / "imports" / "ledger" and stash_dir("ledger").is_dir()
    assert stash_root() == media / "imports"
    with pytest.raises(ValueError):
        stash_dir("../elsewhere")


def test_purge_deletes_old_files_and_keeps_fresh_ones(db, stashed):
    removed = import_stash_purge(by=SystemActor("test"))
    assert sorted(removed) == sorted(stashed["old"])
    assert not any(p.exists() for p in stashed["old"])
    assert all(p.exists() for p in stashed["fresh"])
    entry = AuditLog.objects.get(action=PURGE_ACTION)
    assert entry.user is None and entry.object_id == ""
    assert entry.data["system"] == "test" and entry.data["count"] == 4
    assert entry.data["max_age_hours"] == 24
    assert entry.data["directories"] == [
        "imports/ledger",
        "imports/official_lists",
        "imports/published",
        "ledger_imports",
    ]


def test_nothing_old_enough_purges_nothing_and_logs_nothing(db, media):
    fresh = _file(stash_dir("ledger"), "a" * 32 + ".xlsx", age_hours=2)
    assert import_stash_purge(by=SystemActor("test")) == []
    assert fresh.exists() and not AuditLog.objects.filter(action=PURGE_ACTION).exists()


def test_the_age_limit_is_a_setting(db, stashed, settings):
    settings.IMPORT_STASH_MAX_AGE_HOURS = 48
    removed = import_stash_purge(by=SystemActor("test"))
    assert [p.name for p in removed] == ["b" * 32 + ".csv"]


def test_only_the_system_purges(db, stashed):
    admin = UserFactory(username="adm", role="admin", jurisdiction=None)
    with pytest.raises(DomainError):
        import_stash_purge(by=admin)
    assert all(p.exists() for p in stashed["old"])


def test_command_prints_the_count_and_audits(db, stashed):
    out = io.StringIO()
    call_command("purge_import_stash", stdout=out)
    assert out.getvalue().strip() == "purged 4 files older than 24 hours"
    assert AuditLog.objects.get(action=PURGE_ACTION).data["system"] == "command purge_import_stash"
    out = io.StringIO()
    call_command("purge_import_stash", "--max-age-hours", "0.5", stdout=out)
    assert out.getvalue().strip() == "purged 2 files older than 0.5 hours"  # the 1 h and 23.5 h files
    with pytest.raises(CommandError):
        call_command("purge_import_stash", "--max-age-hours", "-1")


def test_beat_task_purges(db, stashed, settings):
    assert settings.CELERY_BEAT_SCHEDULE["purge-import-stash-hourly"]["task"] == (
        "anyang_hte.core.tasks.purge_import_stash"
    )
    assert purge_import_stash.delay().get() == 4
    assert AuditLog.objects.get(action=PURGE_ACTION).data["system"] == "task purge_import_stash"


# --- each import page deletes its file when confirmed or cancelled, and stashes under the root ----


@pytest.fixture
def county(db):
    return UserFactory(username="stash_county", role="county_official")


def test_ledger_import_keeps_its_file_in_the_stash_until_cancelled(client, media, county):
    from openpyxl import Workbook

    from enterprises.ledger_template import COLUMNS

    wb = Workbook()
    wb.active.append([c.header for c in COLUMNS])
    handle = io.BytesIO()
    wb.save(handle)
    handle.seek(0)
    handle.name = "台账.xlsx"
    client.force_login(county)
    response = client.post(
        reverse("enterprises:import"), {"file": handle, "jurisdiction": county.jurisdiction_id}
    )
    assert response.status_code == 302
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    kept = list((media / "imports" / "ledger").iterdir())
    assert [p.name for p in kept] == [f"{token}.xlsx"]
    client.post(reverse("enterprises:import_cancel", args=[token]))
    assert list((media / "imports" / "ledger").iterdir()) == []


def test_import_jobs_ended_a_week_ago_are_forgotten_with_their_files(db, settings, tmp_path):
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from anyang_hte.core.import_jobs import import_jobs_purge
    from anyang_hte.core.models import ImportJob
    from anyang_hte.core.roles import Role
    from anyang_hte.core.tasks import purge_import_jobs
    from tests.factories import UserFactory

    settings.MEDIA_ROOT = tmp_path
    user = UserFactory(username="purge_jobs", role=Role.COUNTY_OFFICIAL)
    now = timezone.now()

    def job(status, days_ago):
        finished = None if days_ago is None else now - datetime.timedelta(days=days_ago)
        row = ImportJob.objects.create(
            user=user, kind="enterprises.ledger", title="t", filename="f.xlsx", stash="imports/ledger/x.xlsx",
            sha256="0", status=status, finished_at=finished,
        )  # fmt: skip
        row.errors_file.save(f"{row.pk}.csv", ContentFile(b"errors"), save=True)
        return row

    old, fresh, running = job("done", 8), job("failed", 2), job("running", None)
    old_file = tmp_path / old.errors_file.name
    assert import_jobs_purge() == 1
    assert not ImportJob.objects.filter(pk=old.pk).exists() and not old_file.exists()
    assert ImportJob.objects.filter(pk__in=[fresh.pk, running.pk]).count() == 2
    assert purge_import_jobs() == 0  # the nightly task: nothing more to forget


def test_the_nightly_task_clears_ended_sessions(db):
    import datetime

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from anyang_hte.core.tasks import clear_expired_sessions

    ended, live = SessionStore(), SessionStore()
    ended.create()
    live.create()
    Session.objects.filter(pk=ended.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(hours=1)
    )
    clear_expired_sessions()
    assert list(Session.objects.values_list("pk", flat=True)) == [live.session_key]
