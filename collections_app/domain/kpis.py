"""Every KPI's formula, once (pure; docs/kpis.md). The selectors count; these functions divide.

Rates are kept exact (a Decimal quotient) and rounded once, where they are shown: ``api_rate`` for
the API and exports (a fraction to 4 places), ``percent`` for pages (a percentage to 2 places).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

RATE_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.01")
# Buckets whose loans count as non-performing (不良): those starting at or beyond this many days.
NON_PERFORMING_FROM_DAYS = 90


def ratio(part, whole) -> Decimal | None:
    """part ÷ whole, exact; None when there is nothing to divide by."""
    if not whole:
        return None
    return Decimal(part) / Decimal(whole)


def api_rate(value: Decimal | None) -> Decimal | None:
    """A rate as a fraction to 4 places (rounded once, half up), for the API and exports."""
    if value is None:
        return None
    return Decimal(value).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def percent(value: Decimal | None) -> str:
    """A rate as a percentage to 2 places (rounded once, half up); an em dash when undefined."""
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)}%"


def recovery_rate(recovered, base) -> Decimal | None:
    """回收率: what the period's payments recovered of the amounts overdue at the start of the period
    (or at a loan's entry into collections during it) ÷ those amounts."""
    return ratio(recovered, base)


def target_achieved(collected, target) -> Decimal | None:
    return ratio(collected, target)


def promise_keep_rate(kept: int, due: int) -> Decimal | None:
    """Promises kept ÷ promises falling due in the period (replaced and cancelled ones excluded)."""
    return ratio(kept, due)


def contact_rate(reached: int, attempts: int) -> Decimal | None:
    return ratio(reached, attempts)


def rpc_rate(rpc: int, attempts: int) -> Decimal | None:
    """Right-party contacts (a conversation with the borrower) ÷ call attempts."""
    return ratio(rpc, attempts)


def non_performing_ratio(non_performing_balance, balance) -> Decimal | None:
    """不良率: balance of loans in the non-performing buckets ÷ balance of every loan."""
    return ratio(non_performing_balance, balance)


def cost_per_recovered(cost, recovered) -> Decimal | None:
    """Cost ÷ amount recovered (None without recoveries)."""
    return ratio(cost, recovered)


def change(current, previous) -> Decimal | None:
    """Relative change from ``previous`` to ``current`` (week over week, month over month)."""
    if current is None or previous is None or not previous:
        return None
    return (Decimal(current) - Decimal(previous)) / Decimal(previous)


def non_performing_codes(buckets: Sequence[tuple[str, int]]) -> list[str]:
    """Codes of the buckets (code, first aging day) that hold non-performing loans."""
    return [code for code, min_days in buckets if min_days >= NON_PERFORMING_FROM_DAYS]


def roll_row(start: str, ends: Mapping[str, int], codes: Sequence[str]) -> dict:
    """One row of the roll-rate table: loans that started the period in ``start`` by the bucket they
    ended it in. Roll-forward = ended in a later bucket, improved = an earlier one, cure = ended in the
    first bucket (not defined for the first bucket itself); each ÷ loans that started in ``start``."""
    position = {code: i for i, code in enumerate(codes)}
    last = len(codes)
    total = sum(ends.values())
    p0 = position.get(start, last)
    worse = sum(n for b, n in ends.items() if position.get(b, last) > p0)
    better = sum(n for b, n in ends.items() if position.get(b, last) < p0)
    first = codes[0] if codes else None
    cured = ends.get(first, 0) if start != first else None
    return {
        "from": start,
        "total": total,
        "to": [ends.get(code, 0) for code in codes],
        "stayed": ends.get(start, 0),
        "rolled": worse,
        "roll_forward_rate": ratio(worse, total),
        "improved_rate": ratio(better, total),
        "cured": cured,
        "cure_rate": ratio(cured, total) if cured is not None else None,
    }


def cure_rate(rows: Sequence[dict]) -> Decimal | None:
    """Overall cure rate: loans that started delinquent and ended in the first bucket ÷ loans that
    started delinquent."""
    delinquent = [r for r in rows if r["cured"] is not None]
    return ratio(sum(r["cured"] for r in delinquent), sum(r["total"] for r in delinquent))
