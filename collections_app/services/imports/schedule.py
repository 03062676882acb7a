"""Equal-installment (annuity) schedules, cents exact (pure)."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from .parsing import add_months

CENT = Decimal("0.01")


class ScheduledInstallment(NamedTuple):
    seq: int
    due_date: dt.date
    principal_due: Decimal
    interest_due: Decimal


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def annuity_schedule(
    principal: Decimal, annual_rate: Decimal, term_months: int, first_due_date: dt.date
) -> list[ScheduledInstallment]:
    """Monthly equal payments (等额本息). Interest is the balance × monthly rate rounded to cents;
    the last installment takes the remaining balance, so the principals sum to ``principal``."""
    monthly = Decimal(annual_rate) / 12
    n = term_months
    if monthly == 0:
        payment = _cents(principal / n)
    else:
        factor = (1 + monthly) ** n
        payment = _cents(principal * monthly * factor / (factor - 1))
    balance = principal
    rows = []
    for k in range(n):
        interest = _cents(balance * monthly)
        if k == n - 1:
            part = balance
        else:
            part = min(max(payment - interest, Decimal("0.00")), balance)
        balance -= part
        rows.append(ScheduledInstallment(k + 1, add_months(first_due_date, k), part, interest))
    return rows
