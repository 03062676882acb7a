"""The statute of limitations (诉讼时效) of a case as pure functions (docs/disputes.md, "Limitation").

The period runs from the latest of: the day the debt fell overdue (the oldest unpaid due date), each
demand (a letter sent, a conversation with the borrower in which payment was asked for) and each
acknowledgement (a promise to pay, a partial payment, a signed acknowledgement at a field visit).
Every such event restarts it. ``limitation_date`` is the last day of the period: the claim lapses
the day after.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

WARN_DAYS = (90, 30)


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` years on; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def period_start(*, overdue_since: dt.date | None, events: Iterable[dt.date | None]) -> dt.date | None:
    """The day the current period started: the latest of the overdue date and the events."""
    days = [d for d in (overdue_since, *events) if d is not None]
    return max(days) if days else None


def limitation_date(*, overdue_since: dt.date | None, events: Iterable[dt.date | None], years: int) -> dt.date | None:
    """The last day of the limitation period, or None when nothing has started it."""
    if years < 1:
        raise ValueError("the limitation period is at least a year")
    start = period_start(overdue_since=overdue_since, events=events)
    return None if start is None else add_years(start, years)


def is_lapsed(limitation: dt.date | None, today: dt.date) -> bool:
    return limitation is not None and today > limitation


def warning_level(limitation: dt.date | None, today: dt.date) -> int | None:
    """``0`` when lapsed, ``30`` or ``90`` when it lapses within that many days, else None."""
    if limitation is None:
        return None
    if is_lapsed(limitation, today):
        return 0
    left = (limitation - today).days
    for days in sorted(WARN_DAYS):
        if left <= days:
            return days
    return None
