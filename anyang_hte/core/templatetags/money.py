"""Money as officials read it (万元, two decimals) and as finance pays it (exact yuan)."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def wan(value):
    """Yuan -> 万元 with two decimals and thousands separators: 1234567.89 -> '123.46'."""
    if value is None or value == "":
        return "—"
    amount = (Decimal(value) / Decimal("10000")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{amount:,.2f}"


@register.filter
def yuan(value):
    """Exact yuan with two decimals: 300000 -> '300,000.00'."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"
