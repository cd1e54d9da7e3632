"""Scoring the innovation capability (创新能力评价) of an application year.

The points are whole numbers the assessor chooses inside the band the rules give for the facts as they
are now (``readiness.innovation.innovation_bands``); a point outside its band is refused with the band
and the reason. Scoring again replaces the points; the field history keeps the earlier ones.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anyang_hte.core.audit import audit_log
from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import Right, person

from ..models import INNOVATION_POLICY, Enterprise, InnovationAssessment
from ..readiness import FIRST_APPLICATION_YEAR, default_application_date, facts_for
from ..readiness.innovation import POINT_FIELDS, innovation_bands, points_of, score_of
from ._common import guarded_enterprise, save_with_history
from .figures import enterprise_refresh_readiness

OTHER_FIELDS = ("standard_bonus", "ip_self_developed", "note")


@transaction.atomic
def innovation_assessment_save(
    *, enterprise: Enterprise, application_year: int, by, **points
) -> InnovationAssessment:
    """Score (again) the innovation capability of ``enterprise``'s application in ``application_year``."""
    unknown = set(points) - set(POINT_FIELDS) - set(OTHER_FIELDS)
    if unknown:
        raise TypeError(f"unknown innovation fields: {sorted(unknown)}")
    enterprise = guarded_enterprise(enterprise, by, Right.LEDGER_EDIT)
    last = today().year + 1
    if not FIRST_APPLICATION_YEAR <= application_year <= last:
        raise DomainError(
            _("申报年度应在%(first)s年到%(last)s年之间。") % {"first": FIRST_APPLICATION_YEAR, "last": last},
            field="application_year",
        )
    facts = facts_for(enterprise)
    on = default_application_date(application_year, today())
    bands = innovation_bands(
        facts, year=application_year, on=on, self_developed=points.get("ip_self_developed")
    )
    errors = bands.errors(points)
    if errors:
        raise DomainError(
            _("有%(n)s项得分不符合评分档次，未保存。") % {"n": len(errors)},
            errors={name: [reason] for name, reason in errors.items()},
        )
    assessment = (
        InnovationAssessment.objects.select_for_update()
        .filter(enterprise=enterprise, application_year=application_year)
        .first()
    )
    created = assessment is None
    if created:
        assessment = InnovationAssessment(enterprise=enterprise, application_year=application_year)
    for name in (*POINT_FIELDS, *OTHER_FIELDS):
        if name in points:
            setattr(assessment, name, points[name] if name != "note" else (points[name] or "").strip())
    assessment.scored_by = person(by)
    assessment.scored_at = timezone.now()
    assessment.policy = INNOVATION_POLICY
    save_with_history(assessment, by)
    score = score_of(points_of(assessment))
    audit_log(
        assessment,
        "enterprises.innovation.scored" if created else "enterprises.innovation.rescored",
        by=by,
        data={
            "enterprise": enterprise.pk,
            "application_year": application_year,
            "points": {name: getattr(assessment, name) for name in POINT_FIELDS},
            "standard_bonus": assessment.standard_bonus,
            "total": score.total,
            "policy": INNOVATION_POLICY,
        },
    )
    enterprise_refresh_readiness(enterprise=enterprise)
    return assessment
