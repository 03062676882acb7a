"""Logging contacts behind the compliance guard — one service for the page, the API and commands.

INTERFACE (filled in by the collector's-day work):

    class ContactRefused(Exception):
        rule: str            # machine-readable rule code, e.g. "contact_hours", "daily_cap"
        detail: str          # translated human message
        allowed_from: datetime | None   # aware datetime when contact becomes allowed, None = not by waiting

    def log_contact(*, case, user, channel, outcome, contact_point=None, number_used="", note="",
                    promise_amount=None, promise_date=None, callback_at=None, overdue_reason="",
                    borrower_type="", recording=None, recording_ref="", now=None) -> ContactLog
        raises ContactRefused when the compliance rules forbid the attempt (nothing is stored),
        django.core.exceptions.ValidationError for bad input (field -> messages).
"""
