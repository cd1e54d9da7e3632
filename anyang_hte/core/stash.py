"""Uploaded import files kept between their preview and their confirmation (the stash), and their purge.

Every import page keeps the uploaded file under one root, ``MEDIA_ROOT/imports/<kind>/<token><suffix>``
(:func:`stash_dir`), so one purge covers every import path, present and future, without the core naming
the apps. Confirming or cancelling an import deletes its file at once; a file whose user just left the
preview stays until :func:`import_stash_purge` (nightly, and ``manage.py purge_import_stash``) deletes
it once it is older than ``IMPORT_STASH_MAX_AGE_HOURS`` (24 by default).

The purge goes by age only (the file's modification time): it never asks whether a background import
job still reads the file. A job's file is safe because the age limit is far above the longest job (a
30,000-row file is previewed and applied in minutes, and the broker's visibility timeout bounds a
redelivered job to hours); keep ``IMPORT_STASH_MAX_AGE_HOURS`` well above that bound. A job that must
keep its file longer can touch it (``os.utime``) when it starts.

The files never leave the server through ``/media/`` (nothing serves that path): only the page that
stashed a file reads it again, by the token kept in its user's session.
"""

import datetime
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_system_event
from .errors import DomainError
from .roles import is_system

STASH_SUBDIR = "imports"
# Where the import pages kept their files before the one root (MEDIA_ROOT/<name>); purged the same way
# so files left there by an older release go too.
LEGACY_STASH_DIRS = ("ledger_imports", "official_lists", "published_imports")
PURGE_ACTION = "core.import_stash.purged"


def stash_root() -> Path:
    return Path(settings.MEDIA_ROOT) / STASH_SUBDIR


def stash_dir(kind: str) -> Path:
    """The directory an import path keeps its uploads in (created if missing): one per ``kind``."""
    if not kind.isidentifier():
        raise ValueError(f"stash kind must be a plain name, not {kind!r}")
    path = stash_root() / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def stash_directories() -> list[Path]:
    """Every directory the purge looks in: each kind under the root, and the legacy directories."""
    dirs = []
    root = stash_root()
    if root.is_dir():
        dirs.extend(sorted(p for p in root.iterdir() if p.is_dir()))
    media = Path(settings.MEDIA_ROOT)
    dirs.extend(media / name for name in LEGACY_STASH_DIRS if (media / name).is_dir())
    return dirs


def max_age() -> datetime.timedelta:
    return datetime.timedelta(hours=float(settings.IMPORT_STASH_MAX_AGE_HOURS))


def import_stash_purge(*, by, older_than: datetime.timedelta | None = None, now=None) -> list[Path]:
    """Delete stashed import files older than ``older_than`` (the setting by default); return them.

    Only the portal itself purges (a nightly task or a command: a ``SystemActor``). One audit row
    records how many files went and from which directories (none when nothing was old enough).
    """
    if not is_system(by):
        raise DomainError(_("只有系统任务可以清理导入暂存文件。"))
    older_than = max_age() if older_than is None else older_than
    cutoff = (now or timezone.now()).timestamp() - older_than.total_seconds()
    removed: list[Path] = []
    for directory in stash_directories():
        for path in directory.iterdir():
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except FileNotFoundError:  # confirmed or cancelled meanwhile
                continue
    if removed:
        media = Path(settings.MEDIA_ROOT)
        audit_system_event(
            PURGE_ACTION,
            by=by,
            data={
                "count": len(removed),
                "max_age_hours": older_than.total_seconds() / 3600,
                "directories": sorted({os.path.relpath(p.parent, media) for p in removed}),
            },
        )
    return removed
