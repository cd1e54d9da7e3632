"""manage.py backup / restore: restored into an empty database, every row and every document is found again.

On PostgreSQL (DATABASE_URL, as CI runs) the backup is pg_dump of the test database and the restore goes
into a freshly created database of its own; on SQLite into a new file. Data are committed (transactional
tests): pg_dump reads them over its own connection.
"""

import hashlib
import json
import tarfile
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.utils import load_backend

from anyang_hte.core.audit import audit_log
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role
from enterprises.models import AnnualFigures, Enterprise, SubmissionFile
from incentives.models import RewardDocument
from tests.factories import EnterpriseFactory, FiguresFactory, UserFactory
from tests.incentives.factories import RewardDocumentFactory, RewardFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def portal_data(media):
    """Enterprises with figures, a reward with an uploaded document, a firm's file, audit rows."""
    official = UserFactory(role=Role.COUNTY_OFFICIAL)
    enterprises = [EnterpriseFactory() for _ in range(3)]
    for enterprise in enterprises:
        FiguresFactory(enterprise=enterprise, year=2024)
        FiguresFactory(enterprise=enterprise, year=2025)
    reward = RewardFactory(enterprise=enterprises[0])
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40 + "证书".encode()
    document = RewardDocumentFactory(
        reward=reward, file=ContentFile(pdf, name="证书 2025.pdf"), size=len(pdf), uploaded_by=official
    )
    firm_user = UserFactory(role=Role.ENTERPRISE, enterprise=enterprises[1], jurisdiction=None)
    report = b"PK\x03\x04" + uuid.uuid4().bytes * 500
    submission_file = SubmissionFile.objects.create(
        enterprise=enterprises[1],
        year=2025,
        kind=SubmissionFile.Kind.AUDIT_REPORT,
        file=ContentFile(report, name="审计报告.xlsx"),
        original_name="审计报告.xlsx",
        size=len(report),
        uploaded_by=firm_user,
    )
    for enterprise in enterprises:
        audit_log(enterprise, "enterprises.enterprise.created", by=official, data={"名称": enterprise.name})
    audit_log(document, "incentives.reward.document_added", by=official)
    return {"document": document, "submission_file": submission_file}


def _table_counts(alias: str) -> dict[str, int]:
    connection = connections[alias]
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def empty_database(tmp_path):
    """A new, empty database under the alias "restored": a fresh PostgreSQL database or a new SQLite file."""
    default = connections["default"]
    config = dict(connections.settings["default"])
    if default.vendor == "postgresql":
        name = f"anyang_hte_restore_{uuid.uuid4().hex[:12]}"
        with default.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    else:
        name = str(tmp_path / "restored.sqlite3")
    # A connection made here, not declared in DATABASES: pytest-django then neither creates nor flushes it.
    restored = load_backend(config["ENGINE"]).DatabaseWrapper({**config, "NAME": name}, "restored")
    connections["restored"] = restored
    yield "restored"
    restored.close()
    del connections["restored"]
    if default.vendor == "postgresql":
        with default.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_restore_into_an_empty_database_finds_every_row_and_document(
    portal_data, media, empty_database, tmp_path, capsys
):
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir))
    assert "backup written to" in capsys.readouterr().out
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    original_counts = _table_counts("default")
    assert manifest["tables"] == original_counts
    assert manifest["tables"]["core_auditlog"] == AuditLog.objects.count() >= 4
    original_files = sorted(p.relative_to(media).as_posix() for p in Path(media).rglob("*") if p.is_file())
    assert [f["path"] for f in manifest["media"]["files"]] == original_files and len(original_files) == 2

    restored_media = tmp_path / "restored-media"
    call_command("restore", str(backup_dir), database=empty_database, media_root=str(restored_media))
    assert "every row count and checksum matches" in capsys.readouterr().out

    # Every table, every row: counted in the restored database itself.
    assert _table_counts(empty_database) == original_counts
    assert Enterprise.objects.using(empty_database).count() == 3
    assert AnnualFigures.objects.using(empty_database).count() == 6
    assert set(AuditLog.objects.using(empty_database).values_list("action", "object_id")) == set(
        AuditLog.objects.values_list("action", "object_id")
    )
    # Every document, byte for byte, where its restored row says it is.
    for model, original in (
        (RewardDocument, portal_data["document"]),
        (SubmissionFile, portal_data["submission_file"]),
    ):
        row = model.objects.using(empty_database).get(pk=original.pk)
        assert row.file.name == original.file.name and row.original_name == original.original_name
        restored_bytes = (restored_media / row.file.name).read_bytes()
        assert restored_bytes == Path(original.file.path).read_bytes()
        assert len(restored_bytes) == row.size


def test_restore_refuses_a_database_that_is_not_empty(portal_data, tmp_path):
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir))
    before = _table_counts("default")
    with pytest.raises(CommandError, match="目标数据库不是空的.*--force"):
        call_command("restore", str(backup_dir), media_root=str(tmp_path / "m"))
    assert _table_counts("default") == before
    assert not (tmp_path / "m").exists()


def test_restore_with_force_replaces_a_database(portal_data, empty_database, tmp_path):
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir))
    call_command("restore", str(backup_dir), database=empty_database, media_root=str(tmp_path / "m1"))
    Enterprise.objects.using(empty_database).filter(pk=portal_data["document"].reward.enterprise_id).update(
        name="改过的名称"
    )
    call_command(
        "restore", str(backup_dir), database=empty_database, media_root=str(tmp_path / "m1"), force=True
    )
    assert _table_counts(empty_database) == _table_counts("default")
    assert not Enterprise.objects.using(empty_database).filter(name="改过的名称").exists()


def test_a_damaged_backup_is_refused_before_anything_is_written(portal_data, empty_database, tmp_path):
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir))
    archive = backup_dir / "media.tar"
    data = bytearray(archive.read_bytes())
    data[700] ^= 0xFF  # one flipped byte inside the first file's contents
    archive.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="media.tar 的校验和与清单不符"):
        call_command("restore", str(backup_dir), database=empty_database, media_root=str(tmp_path / "m"))
    assert _table_counts(empty_database) == {}
    assert not (tmp_path / "m").exists()


def test_an_archive_with_a_path_outside_the_media_folder_is_refused(portal_data, empty_database, tmp_path):
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir))
    evil = tmp_path / "evil.txt"
    evil.write_text("x")
    with tarfile.open(backup_dir / "media.tar", "a") as archive:
        archive.add(evil, arcname="../../evil.txt")
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    tar_bytes = (backup_dir / "media.tar").read_bytes()
    manifest["media"]["size"], manifest["media"]["sha256"] = (
        len(tar_bytes),
        hashlib.sha256(tar_bytes).hexdigest(),
    )
    (backup_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CommandError, match="路径不安全"):
        call_command("restore", str(backup_dir), database=empty_database, media_root=str(tmp_path / "m"))
    assert _table_counts(empty_database) == {}


def test_restore_refuses_a_media_folder_with_files(portal_data, empty_database, tmp_path):
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir))
    occupied = tmp_path / "m"
    occupied.mkdir()
    (occupied / "old.pdf").write_bytes(b"old")
    with pytest.raises(CommandError, match="媒体文件目录.*不是空的"):
        call_command("restore", str(backup_dir), database=empty_database, media_root=str(occupied))
    assert _table_counts(empty_database) == {}


def test_backup_refuses_a_directory_that_is_not_empty(portal_data, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old").write_text("x")
    with pytest.raises(CommandError, match="不是空的"):
        call_command("backup", str(tmp_path / "backup"))
