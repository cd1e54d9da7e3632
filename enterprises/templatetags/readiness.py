"""How the readiness pages show head counts and verdicts."""

from django import template
from django.utils.html import format_html

from enterprises.readiness.common import FAIL, MISSING, PASS, VERDICT_LABELS, status_of
from enterprises.readiness.common import people as _people

register = template.Library()

BADGE_CLASSES = {PASS: "text-bg-success", FAIL: "text-bg-danger", MISSING: "text-bg-secondary"}


@register.filter
def people(value):
    """A yearly average head count: 95.5, 100; nothing -> '—'."""
    return "—" if value is None or value == "" else _people(value)


@register.filter
def verdict_badge(status: str, extra: str = ""):
    """A verdict (``pass`` / ``fail`` / ``missing``) as its badge: 符合 / 不符合 / 待补充, the same words and
    colours on every page and list. ``extra``: more CSS classes (``"fs-6"``)."""
    status = status if status in VERDICT_LABELS else MISSING
    css = f"badge {BADGE_CLASSES[status]} {extra}".strip()
    return format_html('<span class="{}">{}</span>', css, VERDICT_LABELS[status])


@register.filter
def flag_badge(flag: bool | None, extra: str = ""):
    """The stored verdict (``hte_ready``: True, False, None) as its badge."""
    return verdict_badge(status_of(flag), extra)
