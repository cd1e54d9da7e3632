"""A large ledger file is previewed and written by a Celery job (:mod:`anyang_hte.core.import_jobs`).

``runs_as_job`` decides, before the file is parsed, whether an upload goes to a job: its size, or its
rows counted without parsing (lines of a CSV, ``<row>`` elements of a workbook's sheets). The official
lists (:mod:`incentives.import_jobs`) use the same test. ``LedgerImportJob`` is the ledger's runner:
the same ``plan_ledger_import`` and ``apply_ledger_import`` as the page, for the job's user.
"""

import re
import zipfile
import zlib
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Jurisdiction

from .import_files import FileProblem, check_xlsx_archive
from .importers import INVALID, LedgerImportPlan, check_import_right, plan_ledger_import
from .services import import_ledger_file

SCAN_BYTES = 256 * 1024 * 1024  # counting rows stops after this much uncompressed data
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_TAIL = 16


def _count(stream, pattern: re.Pattern | None, stop_at: int | None, budget: list[int]) -> int:
    """Occurrences of ``pattern`` (of newlines when None) in ``stream``, read in 1 MiB chunks."""
    found, tail = 0, b""
    while budget[0] > 0 and (chunk := stream.read(1 << 20)):
        budget[0] -= len(chunk)
        if pattern is None:
            found += chunk.count(b"\n")
        else:
            buffer = tail + chunk
            found += sum(1 for m in pattern.finditer(buffer) if m.end() > len(tail))
            tail = buffer[-_TAIL:]
        if stop_at is not None and found >= stop_at:
            break
    return found


UNREADABLE = (
    FileProblem,
    OSError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
)


def count_rows(path: Path, filename: str, *, stop_at: int | None = None) -> int:
    """The file's rows (every worksheet's, header and title rows too), counted without parsing it;
    stops at ``stop_at`` and after SCAN_BYTES. 0 for a file that cannot be read: its preview says why."""
    name = filename.lower()
    budget = [SCAN_BYTES]
    try:
        rows = 0
        if name.endswith(".csv"):
            with open(path, "rb") as fh:
                rows = _count(fh, None, stop_at, budget)
            return rows if stop_at is None else min(rows, stop_at)
        check_xlsx_archive(path.read_bytes())  # a bomb is refused by its preview, not inflated here
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    left = None if stop_at is None else stop_at - rows
                    with archive.open(info) as fh:
                        rows += _count(fh, _ROW_TAG, left, budget)
                    if stop_at is not None and rows >= stop_at:
                        return stop_at
        return rows
    except UNREADABLE:
        return 0


def runs_as_job(path: Path, filename: str) -> bool:
    """An upload this big is previewed and written by a job (settings.IMPORT_JOB_MIN_BYTES / _ROWS)."""
    if path.stat().st_size > settings.IMPORT_JOB_MIN_BYTES:
        return True
    minimum = settings.IMPORT_JOB_MIN_ROWS
    return count_rows(path, filename, stop_at=minimum) >= minimum


class LedgerImportJob:
    """The runner of "enterprises.ledger" jobs (settings.IMPORT_JOBS)."""

    kind = "enterprises.ledger"
    result_template = "enterprises/import_job_result.html"
    upload_url = reverse_lazy("enterprises:import")

    @staticmethod
    def _jurisdiction(params: dict) -> Jurisdiction:
        try:
            return Jurisdiction.objects.get(pk=params.get("jurisdiction"))
        except (Jurisdiction.DoesNotExist, ValueError, TypeError):
            raise DomainError(_("导入的县区不存在。")) from None

    def authorize(self, user, params: dict) -> None:
        check_import_right(user, self._jurisdiction(params))

    def crumbs(self, job) -> list:
        return [
            (_("培育台账"), reverse("enterprises:list")),
            (_("台账导入"), reverse("enterprises:import")),
            (_("导入任务"), None),
        ]

    def _plan(self, job, path: Path, progress, *, keep_rows: int) -> LedgerImportPlan:
        progress.total(count_rows(path, job.filename) or None)
        with open(path, "rb") as fh:
            return plan_ledger_import(
                fh,
                job.filename,
                jurisdiction=self._jurisdiction(job.params),
                user=job.user,
                progress=progress,
                keep_rows=keep_rows,
            )

    def preview(self, job, *, path: Path, progress) -> tuple[dict, list[dict]]:
        keep = settings.IMPORT_JOB_KEEP_ROWS
        plan = self._plan(job, path, progress, keep_rows=keep)
        result = {
            "jurisdiction": plan.jurisdiction.name,
            "created": plan.created,
            "updated": plan.updated,
            "unchanged": plan.unchanged,
            "invalid": plan.count(INVALID),
            "rows_count": plan.rows_count,
            "rows": [
                {
                    "sheet": r.sheet,
                    "row": r.row,
                    "action": r.action,
                    "name": r.name,
                    "credit_code": r.credit_code,
                    "year": r.year,
                    "changed_fields": list(r.changed_fields),
                }
                for r in plan.rows
            ],
            "by_year": plan.by_year,
            "sheets": [s for s in plan.sheets if s],
            "ignored_sheets": plan.ignored_sheets,
            "ignored_columns": plan.ignored_columns,
            "digest": plan.digest,
            "can_apply": plan.is_valid and bool(plan.rows),
        }
        errors = [
            {"sheet": e.sheet, "row": e.row, "column": e.column, "value": e.value, "message": e.message}
            for e in plan.errors
        ]
        return result, errors

    def apply(self, job, *, path: Path, progress, finish) -> None:
        """The previewed file, read, checked and written in one pass, only while it does what its preview
        showed; else nothing is written."""
        progress.total(count_rows(path, job.filename) or None)
        with transaction.atomic(), open(path, "rb") as fh:
            plan = import_ledger_file(
                fh,
                job.filename,
                jurisdiction=self._jurisdiction(job.params),
                by=job.user,
                progress=progress,
                expect_digest=job.result.get("digest"),
            )
            if plan.errors:
                raise DomainError(
                    _("导入文件中有%(n)d处错误，请修改后重新上传；没有写入任何数据。")
                    % {"n": len(plan.errors)}
                )
            finish({"created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged})
