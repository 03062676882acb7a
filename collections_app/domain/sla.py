"""The first-contact SLA (a new case is worked within 2 hours of assignment), counted only in time
the borrower may be contacted: inside the lender's contact hours in the borrower's local time,
outside the lunch break when one is set. Pure: no database, no clock.

A case assigned at 03:44 with contact hours 08:00–21:00 is due by 10:00, not 05:44; one assigned
at 20:30 has 30 minutes that evening and is due by 09:30 the next morning.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

FIRST_CONTACT_WITHIN = dt.timedelta(hours=2)
_MAX_DAYS = 400  # far beyond any real deadline; only guards against an impossible window


def _at(day: dt.date, t: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The instant (in UTC, so that arithmetic is real elapsed time) of wall time ``t`` on ``day`` in
    ``tz``; a wall time skipped by a DST jump maps to the first valid instant after the gap (the same
    reading as the compliance rules)."""
    return dt.datetime.combine(day, t).replace(tzinfo=tz).astimezone(dt.UTC)


def contact_intervals(day: dt.date, *, tz: ZoneInfo, contact_start: dt.time, contact_end: dt.time,
                      lunch_start: dt.time | None = None, lunch_end: dt.time | None = None
                      ) -> list[tuple[dt.datetime, dt.datetime]]:
    """The half-open intervals [from, until) of local ``day`` in which contact is allowed (UTC)."""
    if contact_start >= contact_end:
        return []
    start, end = _at(day, contact_start, tz), _at(day, contact_end, tz)
    if not (lunch_start and lunch_end) or lunch_start >= lunch_end:
        return [(start, end)] if start < end else []
    l_start, l_end = _at(day, lunch_start, tz), _at(day, lunch_end, tz)
    out = [(start, min(end, l_start)), (max(start, l_end), end)]
    return [(a, b) for a, b in out if a < b]


def first_contact_due(
    assigned_at: dt.datetime,
    *,
    tz: ZoneInfo,
    contact_start: dt.time,
    contact_end: dt.time,
    lunch_start: dt.time | None = None,
    lunch_end: dt.time | None = None,
    within: dt.timedelta = FIRST_CONTACT_WITHIN,
) -> dt.datetime:
    """The instant by which ``within`` of contactable time has passed since ``assigned_at``.

    Elapsed time is real time (a DST night does not add or remove an hour of the window's length
    beyond what the clock change itself does). A window with no contactable time at all (start not
    before end, or a lunch break covering it) cannot be met by this rule: the plain clock is used.
    """
    if assigned_at.tzinfo is None:
        raise ValueError("assigned_at must be an aware datetime")
    remaining = within
    start_at = assigned_at.astimezone(dt.UTC)
    if remaining <= dt.timedelta(0):
        return assigned_at
    window = {"tz": tz, "contact_start": contact_start, "contact_end": contact_end,
              "lunch_start": lunch_start, "lunch_end": lunch_end}
    day = assigned_at.astimezone(tz).date() - dt.timedelta(days=1)  # a DST edge may pull the day back
    for _ in range(_MAX_DAYS):
        for a, b in contact_intervals(day, **window):
            if b <= start_at:
                continue
            a = max(a, start_at)
            if b - a >= remaining:
                return (a + remaining).astimezone(tz)
            remaining -= b - a
        day += dt.timedelta(days=1)
    return assigned_at + within
