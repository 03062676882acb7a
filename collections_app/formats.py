"""How money is written for people: 2 decimals, in the active language's number format.

Decimals read back from SQLite through a subquery or an aggregate keep the float's digits
(``439.830000000000``); pages (the ``money`` template filter) and messages format through here,
whatever the database."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import number_format

CENT = Decimal("0.01")


def format_money(value) -> str:
    """``value`` with exactly 2 decimals (half up); "" for None; anything not a number unchanged."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    return number_format(amount, decimal_pos=2, use_l10n=True)
