"""How the readiness pages show head counts and verdicts."""

from django import template

from enterprises.readiness.common import people as _people

register = template.Library()


@register.filter
def people(value):
    """A yearly average head count: 95.5, 100; nothing -> '—'."""
    return "—" if value is None or value == "" else _people(value)
