"""Agency placement arithmetic, without a database (docs/agency.md).

    rate_for_bucket(bucket, rates, default) -> Decimal
    commission(amount, rate) -> Decimal
    in_placement(paid_on, placed_on, recalled_on) -> bool
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def rate_for_bucket(bucket: str, rates: dict[str, Decimal], default: Decimal) -> Decimal:
    """The agency's rate for a case in ``bucket``: its own rate for that bucket, else the default."""
    return rates.get(bucket, default)


def commission(amount: Decimal, rate: Decimal) -> Decimal:
    """Commission on ``amount`` collected at ``rate``, rounded half up to the cent once."""
    return (Decimal(amount) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def in_placement(paid_on: dt.date, placed_on: dt.date, recalled_on: dt.date | None) -> bool:
    """A payment belongs to the agency when made from the placement day up to the day before the
    recall (a payment on the recall day is the lender's own again)."""
    return placed_on <= paid_on and (recalled_on is None or paid_on < recalled_on)


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of ``month``'s month."""
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)
