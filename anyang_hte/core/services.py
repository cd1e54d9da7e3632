"""Writes of the portal's own records (export jobs)."""

import datetime
import logging
import tempfile

from django.conf import settings
from django.core.files import File
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .errors import DomainError
from .exporters import export_filename, iter_csv, write_xlsx
from .health import HEARTBEAT_NAME
from .jobs import Superseded, claim, enqueue, heartbeat, mark_refused
from .models import ExportJob, WorkerHeartbeat

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 1000


def export_builder(kind: str):
    """The function that builds an exporter for ``kind`` from (user, params); see settings.EXPORT_BUILDERS."""
    try:
        return import_string(settings.EXPORT_BUILDERS[kind])
    except KeyError:
        raise DomainError(_("未知的导出类型。")) from None


def export_job_create(*, by, kind: str, fmt: str, params: QueryDict) -> ExportJob:
    """Queue a large export for ``by``; the exporter's builder checks ``by``'s right and scope.

    Raises :class:`~anyang_hte.core.jobs.BrokerUnavailable` (the job failed with that message) when the
    broker cannot take the job."""
    if fmt not in ("xlsx", "csv"):
        raise DomainError(_("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
    exporter = export_builder(kind)(by, params)
    job = ExportJob.objects.create(
        user=by,
        kind=kind,
        fmt=fmt,
        params={k: params.getlist(k) for k in params},
        title=exporter.title,
        heartbeat_at=timezone.now(),
    )
    from .tasks import run_export  # tasks import this module

    enqueue(run_export, str(job.pk), on_refused=mark_refused(ExportJob, job.pk))
    return job


class _Progress:
    """Wraps an exporter so that every PROGRESS_EVERY rows the job's progress and heartbeat are saved;
    it stops (:class:`Superseded`) once another execution has taken the job over."""

    def __init__(self, exporter, job, token):
        self._exporter, self._job, self._token = exporter, job, token

    def __getattr__(self, name):
        return getattr(self._exporter, name)

    def iter_rows(self):
        done = 0
        for row in self._exporter.iter_rows():
            yield row
            done += 1
            if done % PROGRESS_EVERY == 0:
                self._beat(done)
        self._beat(done)

    def _beat(self, done: int) -> None:
        if not heartbeat(ExportJob.objects.filter(pk=self._job.pk), self._token, rows_done=done):
            raise Superseded


def export_job_run(*, job_id) -> ExportJob:
    """Write the job's file. Safe to run again (a retried or requeued task starts over and replaces the
    file); a delivery while another execution holds the job (its heartbeat is fresh) does nothing."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    this_job = ExportJob.objects.filter(pk=job.pk)
    token = claim(this_job, also=Q(status=ExportJob.Status.FAILED), rows_done=0, error="", finished_at=None)
    if token is None:
        job.refresh_from_db()
        return job
    mine = this_job.filter(claim=token)
    params = QueryDict(mutable=True)
    for key, values in job.params.items():
        params.setlist(key, values)
    try:
        exporter = export_builder(job.kind)(job.user, params)
    except DomainError as exc:  # the user lost the right since the job was queued: no file
        mine.update(status=ExportJob.Status.FAILED, error=exc.message, finished_at=timezone.now())
        job.refresh_from_db()
        return job
    total = exporter.count() if hasattr(exporter, "count") else None
    mine.update(rows_total=total)
    filename = export_filename(exporter, job.fmt)
    try:
        with tempfile.TemporaryFile() as handle:
            if job.fmt == "xlsx":
                write_xlsx(_Progress(exporter, job, token), handle)
            else:
                wrapped = _Progress(exporter, job, token)
                for chunk in iter_csv(wrapped):
                    handle.write(chunk)
            handle.seek(0)
            job.file.save(filename, File(handle), save=False)
    except Superseded:
        logger.warning("export %s taken over by another execution; stopping", job.pk)
        job.refresh_from_db()
        return job
    except Exception as exc:
        logger.exception("export %s failed", job.pk)
        mine.update(status=ExportJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    if not mine.update(
        status=ExportJob.Status.DONE, file=job.file.name, filename=filename, finished_at=timezone.now()
    ):
        job.file.delete(save=False)  # another execution took the job over; its file is the one kept
    job.refresh_from_db()
    return job


def export_jobs_purge(*, older_than: datetime.timedelta = datetime.timedelta(days=7)) -> int:
    """Delete finished export files after a week; the spreadsheet holds personal and bank data."""
    cutoff = timezone.now() - older_than
    jobs = list(ExportJob.objects.filter(created_at__lt=cutoff))
    for job in jobs:
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return len(jobs)


def worker_heartbeat_record(*, worker: str = "") -> None:
    """A worker ran the heartbeat task now (``/healthz`` reports the age). The system's own write: no user."""
    WorkerHeartbeat.objects.update_or_create(
        name=HEARTBEAT_NAME, defaults={"beat_at": timezone.now(), "worker": worker[:200]}
    )
