"""Large imports as Celery jobs: the preview and the write of a big file never run in the request.

    job = import_job_create(by=user, kind="enterprises.ledger", title=..., filename=..., stash=path,
                            params={"jurisdiction": 3})     # queued; the page polls import_job
    import_job_confirm(job=job, by=user)                    # after a clean preview: the write, queued

``kind`` names a runner class in ``settings.IMPORT_JOBS`` (core imports no app). A runner has
``authorize(user, params)`` (raises ``DomainError``: the right and the scope, asked again by the page and
inside the task), ``preview(job, path=, progress=)`` → ``(result, errors)``, ``apply(job, path=,
progress=, finish=)`` (calls ``finish(result)`` inside its write transaction), ``crumbs(job)`` and
``result_template``. ``progress`` is called with the rows read so far, every few hundred rows.
"""

import csv
import datetime
import hashlib
import io
import logging
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .errors import DomainError
from .exporters import neutralise
from .jobs import Superseded, claim, enqueue, heartbeat, mark_refused
from .models import ImportJob

logger = logging.getLogger(__name__)

ERROR_COLUMNS = ("sheet", "row", "column", "value", "message")


def import_runner(kind: str):
    """The runner of ``kind`` (settings.IMPORT_JOBS)."""
    try:
        return import_string(settings.IMPORT_JOBS[kind])()
    except KeyError:
        raise DomainError(_("未知的导入类型。")) from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def stash_path(job: ImportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / job.stash


def _enqueue(job: ImportJob, on_refused=None) -> None:
    """The one place an import job is handed to the broker, once the job row is committed; with the
    broker down the caller's commit raises "后台任务服务暂不可用" and the job is failed, not left pending."""
    from .tasks import run_import  # tasks import this module

    enqueue(run_import, str(job.pk), on_refused=on_refused or mark_refused(ImportJob, job.pk))


def import_job_create(*, by, kind: str, title: str, filename: str, stash: Path, params: dict) -> ImportJob:
    """Queue the preview of the stashed file ``stash`` (under MEDIA_ROOT) for ``by``."""
    import_runner(kind).authorize(by, params)
    relative = Path(stash).resolve().relative_to(Path(settings.MEDIA_ROOT).resolve())
    job = ImportJob.objects.create(
        user=by,
        kind=kind,
        title=title[: ImportJob._meta.get_field("title").max_length],
        filename=filename[: ImportJob._meta.get_field("filename").max_length],
        stash=str(relative),
        sha256=file_sha256(stash),
        params=params,
    )
    _enqueue(job)
    return job


def import_job_confirm(*, job: ImportJob, by) -> ImportJob:
    """Queue the write of a previewed file: only its owner, only after a preview without errors."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.user_id != by.pk:
            raise DomainError(_("只有发起导入的人可以确认。"))
        if job.phase != ImportJob.Phase.PREVIEW or job.status != ImportJob.Status.DONE:
            raise DomainError(_("这个导入任务已确认过或尚未预览完成，不能再次确认。"))
        if not job.result.get("can_apply"):
            raise DomainError(_("文件中有错误或没有可导入的数据，没有写入任何数据；请修改后重新上传。"))
        import_runner(job.kind).authorize(by, job.params)
        job.phase, job.status = ImportJob.Phase.APPLY, ImportJob.Status.PENDING
        job.rows_done, job.error, job.finished_at = 0, "", None
        job.claim, job.heartbeat_at, job.attempts = "", timezone.now(), 1
        job.save(
            update_fields=[
                "phase",
                "status",
                "rows_done",
                "error",
                "finished_at",
                "updated_at",
                "claim",
                "heartbeat_at",
                "attempts",
            ]
        )
        # the broker cannot take the write: the preview stays as it was, to be confirmed again later
        _enqueue(job, on_refused=lambda: _back_to_preview(job.pk))
    return job


def _back_to_preview(job_id) -> None:
    ImportJob.objects.filter(pk=job_id, phase=ImportJob.Phase.APPLY, status=ImportJob.Status.PENDING).update(
        phase=ImportJob.Phase.PREVIEW, status=ImportJob.Status.DONE, finished_at=timezone.now()
    )


def import_job_cancel(*, job: ImportJob, by) -> None:
    """Forget a job that is not running: its stashed file, its error list and the job itself."""
    if job.user_id != by.pk:
        raise DomainError(_("只有发起导入的人可以取消。"))
    if job.is_active:
        raise DomainError(_("任务正在处理，不能取消；请等待完成。"))
    if job.is_applied:
        raise DomainError(_("这份文件已经导入，不能取消。"))
    stash_path(job).unlink(missing_ok=True)
    if job.errors_file:
        job.errors_file.delete(save=False)
    job.delete()


class Progress:
    """Saves how far a job has read, which is the run's heartbeat (:func:`anyang_hte.core.jobs.heartbeat`);
    the importer calls it every N rows. It stops the run once another execution holds the job."""

    def __init__(self, job: ImportJob, token: str):
        self.mine = ImportJob.objects.filter(pk=job.pk)
        self.token = token

    def total(self, rows: int | None) -> None:
        if not heartbeat(self.mine, self.token, rows_total=rows, updated_at=timezone.now()):
            raise Superseded

    def __call__(self, rows_done: int) -> None:
        if not heartbeat(self.mine, self.token, rows_done=rows_done, updated_at=timezone.now()):
            raise Superseded


def _end(job: ImportJob, token: str, *, status: str, **fields) -> None:
    """End the run this execution holds; raise ``Superseded`` (rolling back a write) if it lost it."""
    ended = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING, claim=token).update(
        status=status, finished_at=timezone.now(), updated_at=timezone.now(), **fields
    )
    if not ended:
        raise Superseded


def _errors_csv(errors: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("工作表"), _("行号"), _("列"), _("填写的内容"), _("原因")])
    for error in errors:
        writer.writerow([neutralise(str(error.get(key) or "")) for key in ERROR_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _keep_preview(job: ImportJob, token: str, result: dict, errors: list[dict]) -> None:
    keep = settings.IMPORT_JOB_KEEP_ROWS
    result = {**result, "errors": errors[:keep], "errors_count": len(errors)}
    if errors:
        job.errors_file.save(f"{job.pk}.csv", ContentFile(_errors_csv(errors)), save=False)
    _end(job, token, status=ImportJob.Status.DONE, result=result, errors_file=job.errors_file.name or "")


def import_job_run(*, job_id) -> ImportJob:
    """Run the job's phase. A job already ended, or held by a live execution, is left alone (a
    redelivered task); a job whose worker died is taken over (:func:`anyang_hte.core.jobs.claim`). The
    write and the job's "done" commit together, so a worker killed mid-write leaves the job to be run
    again whole."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    this_job = ImportJob.objects.filter(pk=job.pk)
    token = claim(this_job, rows_done=0, error="", updated_at=timezone.now())
    if token is None:
        job.refresh_from_db()
        return job
    runner, path, progress = import_runner(job.kind), stash_path(job), Progress(job, token)
    try:
        runner.authorize(job.user, job.params)
        if not path.exists():
            raise DomainError(_("导入文件已失效，请重新上传。"))
        if file_sha256(path) != job.sha256:
            raise DomainError(_("导入文件与预览时不同，请重新上传。"))
        if job.phase == ImportJob.Phase.PREVIEW:
            result, errors = runner.preview(job, path=path, progress=progress)
            _keep_preview(job, token, result, errors)
        else:

            def finish(result: dict) -> None:
                _end(job, token, status=ImportJob.Status.DONE, result={**job.result, "applied": result})

            runner.apply(job, path=path, progress=progress, finish=finish)
            path.unlink(missing_ok=True)
    except Superseded:
        logger.warning("import job %s taken over by another execution; stopping", job.pk)
    except DomainError as exc:
        _end(job, token, status=ImportJob.Status.FAILED, error=exc.message)
    except OperationalError:
        # the database was briefly unavailable: free the job for the task's retry (or the sweeper)
        this_job.filter(claim=token).update(status=ImportJob.Status.PENDING, claim="")
        raise
    except Exception:
        logger.exception("import job %s failed", job.pk)
        _end(job, token, status=ImportJob.Status.FAILED, error=_("处理失败，请稍后重试或联系系统管理员。"))
        raise
    job.refresh_from_db()
    return job


def import_jobs_purge(*, older_than: datetime.timedelta = datetime.timedelta(days=7)) -> int:
    """Forget import jobs ended more than ``older_than`` ago (nightly): their rows, error lists and any
    stashed file left. The files hold firms' data; a job's own page is of no use a week on."""
    cutoff = timezone.now() - older_than
    old = ImportJob.objects.filter(
        status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED], finished_at__lt=cutoff
    )
    count = 0
    for job in old.iterator():
        stash_path(job).unlink(missing_ok=True)
        if job.errors_file:
            job.errors_file.delete(save=False)
        job.delete()
        count += 1
    return count


def import_jobs_for(user, kind: str, limit: int = 10) -> list[ImportJob]:
    """The user's own latest jobs of ``kind``, for the import page to list."""
    return list(ImportJob.objects.filter(user=user, kind=kind).order_by("-created_at")[:limit])
