"""Money as officials read it (万元, two decimals) and as finance pays it (exact yuan)."""

from django import template

from anyang_hte.core.money import format_wan, format_yuan

register = template.Library()


@register.filter
def wan(value):
    """Yuan -> 万元 with two decimals and thousands separators: 1234567.89 -> '123.46'."""
    return format_wan(value)


@register.filter
def yuan(value):
    """Exact yuan with two decimals: 300000 -> '300,000.00'."""
    return format_yuan(value)
