"""Money in one place: exact yuan (what finance pays) and 万元 (what officials read).

Amounts are ``Decimal`` yuan with two places everywhere in the database and the services. Officials
type and read 万元: a form or an import turns 万元 into yuan with :func:`wan_to_yuan` (exact, or refused),
an export shows yuan as 万元 with :func:`yuan_to_wan` (exact), a page or a message shows
:func:`format_wan` (rounded to two decimals, as officials expect). Never a float.
"""

from decimal import ROUND_HALF_UP, Decimal

YUAN_PER_WAN = Decimal(10000)
CENT = Decimal("0.01")


class NotExactToTheFen(ValueError):
    """A 万元 amount with more than six decimals: it is not a whole number of fen."""


def yuan_to_wan(yuan: Decimal | int | None) -> Decimal | None:
    """Exact 万元 of a yuan amount, with at least two decimals: 1234567.89 -> 123.456789, 300000 -> 30.00."""
    if yuan is None:
        return None
    wan = Decimal(yuan).scaleb(-4)
    cents = wan.quantize(CENT)
    return cents if cents == wan else wan.normalize()


def wan_to_yuan(wan: Decimal | int | None) -> Decimal | None:
    """Exact yuan of a 万元 amount: 123.456789 -> 1234567.89. Finer than a fen raises NotExactToTheFen."""
    if wan is None:
        return None
    yuan = Decimal(wan) * YUAN_PER_WAN
    cents = yuan.quantize(CENT)
    if cents != yuan:
        raise NotExactToTheFen(str(wan))
    return cents


def wan_rounded(yuan: Decimal | int, *, rounding: str = ROUND_HALF_UP) -> Decimal:
    """万元 with two decimals (a gap to close is rounded up with ``rounding=ROUND_CEILING``)."""
    return (Decimal(yuan) / YUAN_PER_WAN).quantize(CENT, rounding=rounding)


def format_wan(yuan: Decimal | int | str | None, *, empty: str = "—") -> str:
    """As a page shows it: 1234567.89 -> '123.46' (thousands separated); nothing -> ``empty``."""
    if yuan is None or yuan == "":
        return empty
    return f"{wan_rounded(Decimal(yuan)):,.2f}"


def format_yuan(yuan: Decimal | int | str | None, *, empty: str = "—") -> str:
    """Exact yuan as finance reads it: 300000 -> '300,000.00'."""
    if yuan is None or yuan == "":
        return empty
    return f"{Decimal(yuan):,.2f}"
