"""The indicator pages' value cells as tags: a dashboard draws a few hundred of them, and a template
``{% include %}`` per cell costs more than the rest of the page (the markup is the partials' it replaces).

- ``{% indicator_value value indicator %}``: a value as its indicator's kind shows it (万元, %, a count),
  "—" when unknown;
- ``{% drill_value cell scope year %}``: a table cell's value linking to the enterprises behind it (a
  share is not a count of enterprises: no link), "—" with the reason as its title when unknown.
"""

import functools
from urllib.parse import quote

from django import template
from django.template.defaultfilters import floatformat
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from anyang_hte.core.money import format_wan

register = template.Library()


@functools.lru_cache(maxsize=64)
def _drilldown_pattern(prefix: str) -> str:
    return reverse("assessment:drilldown", args=["SCOPE", "CODE"])


def _drilldown_url(scope: str, code: str) -> str:
    """``reverse`` once per script prefix, then the scope and the code put in (a few hundred cells)."""
    pattern = _drilldown_pattern(get_script_prefix())
    return pattern.replace("SCOPE", quote(str(scope), safe=""), 1).replace(
        "CODE", quote(str(code), safe=""), 1
    )


@register.simple_tag
def indicator_value(value, indicator):
    if value is None:
        return "—"
    if indicator.kind == "money":
        return format_wan(value)
    if indicator.kind == "share":
        return format_html("{}%", floatformat(value, 2))
    return floatformat(value, "0g")


@register.simple_tag
def drill_value(cell, scope, year):
    value, indicator = cell["value"], cell["indicator"]
    if value is None:
        if cell.get("note"):
            return format_html('<span title="{}">—</span>', cell["note"])
        return mark_safe("<span>—</span>")
    if indicator.kind == "share":
        return indicator_value(value, indicator)
    url = _drilldown_url(scope, cell["code"])
    shown = format_wan(value) if indicator.kind == "money" else floatformat(value, "0g")
    return format_html(
        '<a href="{}?year={}" data-testid="drill-{}-{}">{}</a>', url, year, scope, cell["code"], shown
    )
