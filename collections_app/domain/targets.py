"""Recovery targets pro-rated to a reporting period (pure; see docs/targets.md).

A target covers a day, an ISO week (Monday–Sunday) or a calendar month. A report period that
covers only part of a target's period is compared with the matching share of it:
``amount × overlapping days ÷ days in the target's period``, summed over every target that
overlaps, rounded to the cent once at the end (half up).
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DAY, WEEK, MONTH = "day", "week", "month"
PERIODS = (DAY, WEEK, MONTH)
CENT = Decimal("0.01")
# A target starting this many days before a report period can still overlap it (longest period).
LONGEST_PERIOD_DAYS = 31


@dataclass(frozen=True)
class TargetSpan:
    period: str
    period_start: dt.date
    amount: Decimal


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the day / ISO week / calendar month that contains ``day``."""
    if period == DAY:
        return day, day
    if period == WEEK:
        start = day - dt.timedelta(days=day.isoweekday() - 1)
        return start, start + dt.timedelta(days=6)
    if period == MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    raise ValueError(f"unknown target period {period!r}")


def overlap_days(a: tuple[dt.date, dt.date], b: tuple[dt.date, dt.date]) -> int:
    """Days two closed date ranges share (0 when they do not meet)."""
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return max((end - start).days + 1, 0)


def prorated_share(target: TargetSpan, date_from: dt.date, date_to: dt.date) -> Decimal:
    """The unrounded part of one target that falls in [date_from, date_to]."""
    bounds = period_bounds(target.period, target.period_start)
    days = overlap_days(bounds, (date_from, date_to))
    if not days:
        return Decimal(0)
    length = (bounds[1] - bounds[0]).days + 1
    return Decimal(target.amount) * days / length


def prorated_target(targets: Iterable[TargetSpan], date_from: dt.date, date_to: dt.date) -> Decimal:
    """The target for the period [date_from, date_to], to the cent."""
    total = sum((prorated_share(t, date_from, date_to) for t in targets), Decimal(0))
    return total.quantize(CENT, rounding=ROUND_HALF_UP)
