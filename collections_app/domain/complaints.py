"""When a complaint must be resolved (docs/complaints.md)."""
from __future__ import annotations

import datetime as dt

# Calendar days from the day the complaint was received (in the product's time zone), the same
# for every lender.
DUE_DAYS = 15


def complaint_due_on(received_on: dt.date) -> dt.date:
    return received_on + dt.timedelta(days=DUE_DAYS)


def is_overdue(due_on: dt.date, today: dt.date) -> bool:
    """Overdue from the day after the due date."""
    return today > due_on
