"""A large official list (a province's list can run to thousands of rows) is previewed and imported by a
Celery job (:mod:`anyang_hte.core.import_jobs`), with the same services as the page: the preview's
``digest`` is what the confirmation must reproduce, else nothing is written."""

import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from anyang_hte.core.guards import CITY_LEVEL, guard
from anyang_hte.core.money import format_wan
from anyang_hte.core.roles import Right
from enterprises.import_jobs import count_rows

from . import services
from .forms import OfficialListForm


def kind_label(kind: str) -> str:
    return str(dict(OfficialListForm.base_fields["kind"].choices).get(kind, kind))


class OfficialListImportJob:
    """The runner of "incentives.official_list" jobs (settings.IMPORT_JOBS)."""

    kind = "incentives.official_list"
    result_template = "incentives/official_list_job_result.html"
    upload_url = reverse_lazy("incentives:official_list_upload")

    def authorize(self, user, params: dict) -> None:
        guard(
            user,
            Right.OFFICIAL_LIST_IMPORT,
            jurisdiction_id=CITY_LEVEL,
            reason=_("您没有导入认定名单的权限。"),
        )

    def crumbs(self, job) -> list:
        return [
            (_("奖励兑现"), reverse("incentives:reward_list")),
            (_("认定名单"), reverse("incentives:official_list_upload")),
            (_("导入任务"), None),
        ]

    @staticmethod
    def _arguments(job, path: Path, progress) -> dict:
        progress.total(count_rows(path, job.filename) or None)
        return {
            "filename": job.filename,
            "kind": job.params["kind"],
            "granted_on": datetime.date.fromisoformat(job.params["granted_on"]),
            "title": job.params.get("title", ""),
            "by": job.user,
            "progress": progress,
        }

    def preview(self, job, *, path: Path, progress) -> tuple[dict, list[dict]]:
        with open(path, "rb") as fh:
            plan = services.official_list_preview(fileobj=fh, **self._arguments(job, path, progress))
        keep = settings.IMPORT_JOB_KEEP_ROWS
        done = plan.already_imported
        result = {
            "kind": kind_label(plan.kind),
            "granted_on": plan.granted_on.isoformat(),
            "title": plan.title,
            "new": plan.new,
            "recorded": plan.recorded,
            "unmatched": plan.unmatched,
            "rewards": len(plan.rewards),
            "amount": format_wan(plan.amount),
            "city_amount": format_wan(plan.city_amount),
            "county_amount": format_wan(plan.county_amount),
            "already_imported": {"pk": done.pk, "at": done.uploaded_at.date().isoformat()} if done else None,
            "warnings": plan.warnings[:keep],
            "warnings_count": len(plan.warnings),
            "rows_count": len(plan.rows),
            "rows": [
                {
                    "number": r.number,
                    "name": r.row.name,
                    "typed_code": r.row.typed_code,
                    "outcome": r.outcome,
                    "enterprise": r.enterprise.name if r.enterprise else "",
                    "enterprise_pk": r.enterprise.pk if r.enterprise else None,
                    "jurisdiction": r.enterprise.jurisdiction.name if r.enterprise else "",
                    "matched_by": r.matched_by,
                    "rewards": [
                        {"rule": p.rule.display_name, "amount": format_wan(p.amount)} for p in r.rewards
                    ],
                    "warning": r.warning,
                    "note": r.note,
                }
                for r in plan.rows[:keep]
            ],
            "digest": plan.digest,
            "can_apply": done is None,
        }
        return result, []

    def apply(self, job, *, path: Path, progress, finish) -> None:
        with open(path, "rb") as fh, transaction.atomic():
            result = services.official_list_import(
                fileobj=fh, expected_digest=job.result["digest"], **self._arguments(job, path, progress)
            )
            finish(
                {
                    "list_pk": result.list.pk,
                    "matched": result.matched,
                    "unmatched": result.unmatched,
                    "new_qualifications": result.new_qualifications,
                    "new_rewards": result.new_rewards,
                }
            )
