"""Backup and restore of the whole portal: the database and every file under MEDIA_ROOT.

A backup is a directory:

- ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite: a copy
  made with the sqlite3 backup API, consistent while the portal runs);
- ``media.tar``: every file under MEDIA_ROOT, by its path relative to it;
- ``manifest.json``: the row count of every table (taken in the snapshot the dump was taken in), and the
  path, size and sha256 of every media file, and the size and sha256 of the two files above.

A restore checks every checksum before it writes anything, writes only into an empty database (or, with
``force``, empties it first), and afterwards counts every table's rows and hashes every file it wrote
against the manifest. ``manage.py backup DIR`` and ``manage.py restore DIR`` call these functions.
"""

import hashlib
import json
import os
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_TAR = "media.tar"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Why a backup or restore stopped; the message is for the operator."""


@dataclass(frozen=True)
class Summary:
    tables: int
    rows: int
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fileobj:
        while chunk := fileobj.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file_entry(path: Path) -> dict:
    return {"file": path.name, "size": path.stat().st_size, "sha256": _sha256(path)}


def _vendor(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(_("不支持的数据库类型：%(vendor)s") % {"vendor": vendor})
    return vendor


def _pg_env(using: str) -> dict[str, str]:
    """libpq's variables for pg_dump and pg_restore: the password never appears on a command line."""
    params = connections[using].settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGDATABASE", params.get("NAME")),
        ("PGUSER", params.get("USER")),
        ("PGPASSWORD", params.get("PASSWORD")),
        ("PGHOST", params.get("HOST")),
        ("PGPORT", params.get("PORT")),
        ("PGSSLMODE", (params.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


def _run(argv: list[str], *, env: dict[str, str]) -> None:
    try:
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            _("找不到 %(program)s：请安装 PostgreSQL 客户端（与服务器相同的主版本）。") % {"program": argv[0]}
        ) from None
    if result.returncode != 0:
        raise BackupError(
            _("%(program)s 失败（退出码 %(code)s）：%(stderr)s")
            % {"program": argv[0], "code": result.returncode, "stderr": result.stderr.strip()[-2000:]}
        )


def _count_rows(cursor, tables, quote) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return [name for (name,) in rows]


def _backup_postgresql(using: str, target: Path) -> dict[str, int]:
    """pg_dump in the snapshot the row counts are read in, so the manifest describes exactly the dump."""
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError(_("备份不能在事务中进行。"))
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _count_rows(cursor, connection.introspection.table_names(cursor), connection.ops.quote_name)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            env=_pg_env(using),
        )
    return counts


def _backup_sqlite(using: str, target: Path) -> dict[str, int]:
    connection = connections[using]
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        # Counted in the copy itself: exactly what was written.
        return _count_rows(
            copy.cursor(), _sqlite_tables(copy), lambda name: '"' + name.replace('"', '""') + '"'
        )
    finally:
        copy.close()


def _media_files(media_root: Path) -> list[Path]:
    if not media_root.is_dir():
        return []
    return sorted(p for p in media_root.rglob("*") if p.is_file() and not p.is_symlink())


def backup(directory: Path, *, using: str = "default", media_root: Path) -> dict:
    """Write a backup into ``directory`` (new or empty) and return its manifest."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(_("备份目录 %(dir)s 不是空的；请指定一个新目录。") % {"dir": directory})
    directory.mkdir(parents=True, exist_ok=True)
    vendor = _vendor(using)
    database_file = directory / DATABASE_FILES[vendor]
    started = timezone.now()
    if vendor == "postgresql":
        counts = _backup_postgresql(using, database_file)
    else:
        counts = _backup_sqlite(using, database_file)

    media_root = Path(media_root)
    files = []
    with tarfile.open(directory / MEDIA_TAR, "w", format=tarfile.PAX_FORMAT) as archive:
        for path in _media_files(media_root):
            name = path.relative_to(media_root).as_posix()
            files.append({"path": name, "size": path.stat().st_size, "sha256": _sha256(path)})
            archive.add(path, arcname=name, recursive=False)

    manifest = {
        "format": FORMAT,
        "created_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "database": {"vendor": vendor, **_file_entry(database_file)},
        "tables": counts,
        "media": {**_file_entry(directory / MEDIA_TAR), "files": files},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def summarize(manifest: dict) -> Summary:
    files = manifest["media"]["files"]
    return Summary(
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        files=len(files),
        bytes=sum(f["size"] for f in files),
    )


# --- restore --------------------------------------------------------------------------------------


def _read_manifest(directory: Path) -> dict:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            _("%(dir)s 中没有 manifest.json，不是本平台的备份。") % {"dir": directory}
        ) from None
    except ValueError:
        raise BackupError(_("manifest.json 已损坏。")) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(_("不认识的备份格式：%(format)s") % {"format": manifest.get("format")})
    return manifest


def _verify_file(directory: Path, entry: dict) -> Path:
    path = directory / entry["file"]
    if not path.is_file():
        raise BackupError(_("备份缺少文件 %(file)s。") % {"file": entry["file"]})
    if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
        raise BackupError(
            _("备份文件 %(file)s 的校验和与清单不符：文件已损坏或被改动。") % {"file": entry["file"]}
        )
    return path


def _safe_member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(_("备份中的文件路径不安全：%(path)s") % {"path": name})
    return path


def _verify_archive(archive_path: Path, files: list[dict]) -> None:
    """The archive holds exactly the manifest's files, as plain files with safe relative paths."""
    with tarfile.open(archive_path) as archive:
        members = archive.getmembers()
    for member in members:
        _safe_member_path(member.name)
        if not member.isfile():
            raise BackupError(_("备份中的条目不是普通文件：%(path)s") % {"path": member.name})
    listed = {f["path"]: f["size"] for f in files}
    found = {m.name: m.size for m in members}
    if listed != found:
        missing = sorted(set(listed) - set(found))
        extra = sorted(set(found) - set(listed))
        raise BackupError(
            _("media.tar 与清单不一致：缺少 %(missing)s，多出 %(extra)s，大小不符 %(size)s")
            % {
                "missing": missing[:10],
                "extra": extra[:10],
                "size": sorted(n for n in set(listed) & set(found) if listed[n] != found[n])[:10],
            }
        )


def _existing_tables(using: str) -> list[str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def _empty_database(using: str, tables: list[str]) -> None:
    """PostgreSQL only: the sqlite3 backup API replaces a SQLite database whole."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS {} CASCADE".format(", ".join(quote(t) for t in tables)))


def _restore_database(using: str, vendor: str, database_file: Path) -> None:
    connection = connections[using]
    if vendor == "postgresql":
        connection.close()
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
                str(database_file),
            ],
            env=_pg_env(using),
        )
    else:
        connection.ensure_connection()
        source = sqlite3.connect(database_file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    connection.close()  # the next query sees the restored tables


def _verify_rows(using: str, expected: dict[str, int]) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        found = _count_rows(cursor, tables, connection.ops.quote_name)
    if found != expected:
        differing = sorted(
            f"{t}: {expected.get(t, '-')} → {found.get(t, '-')}"
            for t in set(expected) | set(found)
            if expected.get(t) != found.get(t)
        )
        raise BackupError(
            _("数据库已恢复，但行数与清单不符：%(tables)s") % {"tables": "; ".join(differing[:20])}
        )


def _restore_media(archive_path: Path, files: list[dict], media_root: Path) -> None:
    """Each file written beside its place, hashed while written, and moved in only when it matches."""
    expected = {f["path"]: f for f in files}
    with tarfile.open(archive_path) as archive:
        for member in archive:
            entry = expected[member.name]
            target = media_root.joinpath(*_safe_member_path(member.name).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".restoring")
            digest, size = hashlib.sha256(), 0
            with archive.extractfile(member) as source, partial.open("wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                partial.unlink()
                raise BackupError(_("文件 %(path)s 恢复后校验和不符。") % {"path": member.name})
            os.replace(partial, target)
            if member.mtime:
                os.utime(target, (member.mtime, member.mtime))


def restore(directory: Path, *, using: str = "default", media_root: Path, force: bool = False) -> Summary:
    """Restore the backup in ``directory`` into the database ``using`` and ``media_root``.

    Refuses a database that has tables and a media folder that has files, unless ``force``: then the
    database's tables are dropped first and files of the same path are replaced.
    """
    directory, media_root = Path(directory), Path(media_root)
    manifest = _read_manifest(directory)
    vendor = _vendor(using)
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            _("这是 %(backup)s 数据库的备份，不能恢复到 %(target)s 数据库。")
            % {"backup": manifest["database"]["vendor"], "target": vendor}
        )
    # Everything is checked before anything is written.
    database_file = _verify_file(directory, manifest["database"])
    archive_path = _verify_file(directory, manifest["media"])
    _verify_archive(archive_path, manifest["media"]["files"])

    tables = _existing_tables(using)
    if tables and not force:
        raise BackupError(
            _(
                "目标数据库不是空的（已有 %(n)s 张表）。恢复只写入空数据库：请新建一个空数据库并指向它，"
                "或加 --force 先删除其中的全部表和数据。"
            )
            % {"n": len(tables)}
        )
    existing_files = _media_files(media_root)
    if existing_files and not force:
        raise BackupError(
            _("媒体文件目录 %(dir)s 不是空的（已有 %(n)s 个文件）；请指定空目录，或加 --force 覆盖同名文件。")
            % {"dir": media_root, "n": len(existing_files)}
        )

    if tables and vendor == "postgresql":
        _empty_database(using, tables)
    _restore_database(using, vendor, database_file)
    _verify_rows(using, manifest["tables"])
    media_root.mkdir(parents=True, exist_ok=True)
    _restore_media(archive_path, manifest["media"]["files"], media_root)
    return summarize(manifest)
