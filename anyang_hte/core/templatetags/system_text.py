"""``{{ row.comment|system_text }}``: a comment the portal wrote, in the reader's language."""

from django import template

from anyang_hte.core.system_text import shown

register = template.Library()


@register.filter(name="system_text")
def system_text(value):
    return shown(value or "")
