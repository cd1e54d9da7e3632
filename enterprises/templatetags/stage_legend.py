"""``{% stage_legend %}``: what the stage badges and the verdict badges mean, beside the ledger and the
enterprise page. The stage is derived (``services.qualifications.derive_stage``): the furthest stage a
valid qualification reaches, so the legend lists the stages in order with the qualification each needs."""

from django import template

from enterprises.models import QualificationKind, Stage

register = template.Library()


@register.inclusion_tag("enterprises/_stage_legend.html")
def stage_legend(current: str = ""):
    kinds = dict(QualificationKind.choices)
    stages = [(value, label, kinds.get(value)) for value, label in Stage.choices]
    return {"stages": stages, "current": current}
