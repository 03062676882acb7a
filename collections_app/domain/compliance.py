"""Contact compliance rules (docs/compliance.md) as pure functions: no database, no hidden clock.

The caller gathers the facts (the lender's settings, the borrower's stop flags, recent call
attempts, the last conversation) and asks :func:`check_contact`. The answer says whether a
contact may be made at ``now`` and, when not, which rule forbids it, a translated explanation
and ``allowed_from``: the earliest aware datetime at which *every* rule would let it through if
nothing else happens (``None`` when waiting does not help: stop flags, third-party limits).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from collections_app.domain.buckets import DEFAULT_BUCKETS

# Rule codes (machine-readable; the API's 409 body carries them as "rule")
STOP_FLAG = "stop_flag"
THIRD_PARTY = "third_party_bucket"
CONTACT_HOURS = "contact_hours"
LUNCH_BREAK = "lunch_break"
DAILY_CAP = "daily_cap"
WEEKLY_CAP = "weekly_cap"
QUIET_DAYS = "quiet_days"

PHONE = "phone"
WINDOW = dt.timedelta(days=7)
# the default table's order (callers pass the active strategy version's: selectors.buckets.bucket_order)
DEFAULT_BUCKET_ORDER = tuple(b.code for b in DEFAULT_BUCKETS)


# The borrower's stop flags, and the contact outcome that sets each one (the outcome's code on the
# left, the Borrower field on the right)
STOP_FLAGS = ("cease_contact", "dispute", "deceased", "bankruptcy", "lawyer_represented")
STOP_FLAG_FOR_OUTCOME = {
    "dispute": "dispute",
    "deceased": "deceased",
    "cease_contact": "cease_contact",
    "bankruptcy": "bankruptcy",
    "lawyer": "lawyer_represented",
}


def stop_flag_label(flag: str) -> str:
    labels = {
        "cease_contact": _("cease contact requested"),
        "dispute": _("disputes the debt"),
        "deceased": _("reported deceased"),
        "bankruptcy": _("bankruptcy"),
        "lawyer_represented": _("represented by a lawyer"),
    }
    return str(labels.get(flag, flag))


def rule_label(code: str) -> str:
    """A short translated name for a rule code (the code itself when unknown)."""
    labels = {
        STOP_FLAG: _("Contact stopped"),
        THIRD_PARTY: _("Third party not allowed"),
        CONTACT_HOURS: _("Outside contact hours"),
        LUNCH_BREAK: _("Lunch break"),
        DAILY_CAP: _("Daily call limit"),
        WEEKLY_CAP: _("7-day call limit"),
        QUIET_DAYS: _("Quiet days after a conversation"),
    }
    return str(labels.get(code, code))


def zone(name: str | None, fallback: str = "Asia/Shanghai") -> ZoneInfo:
    """A ZoneInfo for ``name``; an empty or unknown name falls back (bad data never breaks a page)."""
    for candidate in (name, fallback, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


@dataclass(frozen=True)
class ContactRules:
    """One lender's compliance settings, applied in the borrower's local time zone ``tz``."""

    tz: ZoneInfo
    contact_start: dt.time = dt.time(8, 0)
    contact_end: dt.time = dt.time(21, 0)
    lunch_start: dt.time | None = None
    lunch_end: dt.time | None = None
    max_calls_per_day: int = 3
    max_calls_per_7_days: int = 7
    quiet_days_after_conversation: int = 0
    third_party_from_bucket: str | None = "M2"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    rule: str | None = None
    detail: str | None = None
    allowed_from: dt.datetime | None = None

    def as_tuple(self):
        return (self.allowed, self.rule, self.detail, self.allowed_from)


ALLOWED = Verdict(True)


def _local(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(tz)


def _at(day: dt.date, t: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The aware instant of local wall time ``t`` on ``day``; a time skipped by a DST jump maps
    to the first valid instant after it."""
    # fold=0 reads a skipped wall time with the offset before the jump, which lands after the gap
    return dt.datetime.combine(day, t).replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


def bucket_at_or_beyond(bucket: str, threshold: str | None, order: Sequence[str] = DEFAULT_BUCKET_ORDER) -> bool:
    if not threshold:
        return False
    order = list(order)
    if threshold not in order or bucket not in order:
        return False
    return order.index(bucket) >= order.index(threshold)


# --- time-dependent rules: each returns None when satisfied at ``t``, else the earliest instant
# --- (>= t) at which that rule alone would be satisfied.

def _hours_next(rules: ContactRules, t: dt.datetime) -> dt.datetime | None:
    local = _local(t, rules.tz)
    wall = local.time().replace(tzinfo=None)
    if rules.contact_start <= wall < rules.contact_end:
        return None
    if wall < rules.contact_start:
        return _at(local.date(), rules.contact_start, rules.tz)
    return _at(local.date() + dt.timedelta(days=1), rules.contact_start, rules.tz)


def _lunch_next(rules: ContactRules, t: dt.datetime) -> dt.datetime | None:
    if not (rules.lunch_start and rules.lunch_end) or rules.lunch_start >= rules.lunch_end:
        return None
    local = _local(t, rules.tz)
    wall = local.time().replace(tzinfo=None)
    if rules.lunch_start <= wall < rules.lunch_end:
        return _at(local.date(), rules.lunch_end, rules.tz)
    return None


def _daily_next(rules: ContactRules, t: dt.datetime, attempts: Sequence[dt.datetime]) -> dt.datetime | None:
    if rules.max_calls_per_day is None:
        return None
    day = _local(t, rules.tz).date()
    # every attempt of the local day counts, also one stamped later than ``t``: an attempt stored
    # by a request that read its clock after ours is still an attempt of that day
    count = sum(1 for a in attempts if _local(a, rules.tz).date() == day)
    if count < rules.max_calls_per_day:
        return None
    return _at(day + dt.timedelta(days=1), dt.time(0, 0), rules.tz)


def _weekly_next(rules: ContactRules, t: dt.datetime, attempts: Sequence[dt.datetime]) -> dt.datetime | None:
    cap = rules.max_calls_per_7_days
    if cap is None:
        return None
    in_window = sorted(a for a in attempts if t - WINDOW < a)  # no upper bound, as for the daily cap
    if len(in_window) < cap:
        return None
    if cap == 0:
        return None  # never allowed; handled by the caller as "waiting does not help"
    # The window must lose (len - cap + 1) attempts; the k-th oldest leaves at its time + 7 days.
    return in_window[len(in_window) - cap] + WINDOW


def _quiet_next(rules: ContactRules, t: dt.datetime, last_conversation: dt.datetime | None) -> dt.datetime | None:
    days = rules.quiet_days_after_conversation or 0
    if days <= 0 or last_conversation is None:
        return None
    until = last_conversation + dt.timedelta(days=days)
    return until if t < until else None


def _details(rules: ContactRules) -> dict[str, str]:
    return {
        CONTACT_HOURS: _("Contact is allowed only from %(start)s to %(end)s in the borrower's local time.")
        % {"start": rules.contact_start.strftime("%H:%M"), "end": rules.contact_end.strftime("%H:%M")},
        LUNCH_BREAK: _("No calls during the borrower's lunch break (%(start)s–%(end)s local time).")
        % {
            "start": rules.lunch_start.strftime("%H:%M") if rules.lunch_start else "",
            "end": rules.lunch_end.strftime("%H:%M") if rules.lunch_end else "",
        },
        DAILY_CAP: _("The borrower has already had %(n)s call attempts today (local day).")
        % {"n": rules.max_calls_per_day},
        WEEKLY_CAP: _("The borrower has already had %(n)s call attempts in the last 7 days.")
        % {"n": rules.max_calls_per_7_days},
        QUIET_DAYS: _("No calls within %(n)s days after a conversation with the borrower.")
        % {"n": rules.quiet_days_after_conversation},
    }


def check_contact(
    *,
    rules: ContactRules,
    now: dt.datetime,
    channel: str = PHONE,
    stop_flags: Iterable[str] = (),
    third_party: bool = False,
    bucket: str = "",
    bucket_order: Sequence[str] = DEFAULT_BUCKET_ORDER,
    attempts: Sequence[dt.datetime] = (),
    last_conversation: dt.datetime | None = None,
) -> Verdict:
    """May a contact on ``channel`` be made at ``now``?

    ``attempts``: the borrower's earlier call attempts (aware datetimes; at least the last 7 days).
    Non-phone channels obey stop flags, third-party limits and hours, not the call caps.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    flags = [f for f in stop_flags if f]
    if flags:
        return Verdict(
            False,
            STOP_FLAG,
            _("Collection contact is stopped: %(flags)s.") % {"flags": ", ".join(stop_flag_label(f) for f in flags)},
            None,
        )
    if third_party and not bucket_at_or_beyond(bucket, rules.third_party_from_bucket, bucket_order):
        if rules.third_party_from_bucket:
            detail = _("Third parties may be contacted only from bucket %(bucket)s; this case is in %(current)s.") % {
                "bucket": rules.third_party_from_bucket,
                "current": bucket or "-",
            }
        else:
            detail = _("This lender does not allow contacting third parties.")
        return Verdict(False, THIRD_PARTY, detail, None)

    is_phone = channel == PHONE
    attempts = [a for a in attempts if a is not None]
    if is_phone and (rules.max_calls_per_7_days == 0 or rules.max_calls_per_day == 0):
        rule = WEEKLY_CAP if rules.max_calls_per_7_days == 0 else DAILY_CAP
        return Verdict(False, rule, _details(rules)[rule], None)

    checks = [(CONTACT_HOURS, lambda t: _hours_next(rules, t)), (LUNCH_BREAK, lambda t: _lunch_next(rules, t))]
    if is_phone:
        checks += [
            (QUIET_DAYS, lambda t: _quiet_next(rules, t, last_conversation)),
            (DAILY_CAP, lambda t: _daily_next(rules, t, attempts)),
            (WEEKLY_CAP, lambda t: _weekly_next(rules, t, attempts)),
        ]

    first_rule = None
    t = now
    for _i in range(50):  # every step moves t forward to a rule's own next instant; converges fast
        for code, next_ok in checks:
            nxt = next_ok(t)
            if nxt is not None and nxt > t:
                first_rule = first_rule or code
                t = nxt
                break
        else:
            break
    if first_rule is None:
        return ALLOWED
    return Verdict(False, first_rule, _details(rules)[first_rule], t)


def local_day_bounds(now: dt.datetime, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    day = _local(now, tz).date()
    return _at(day, dt.time(0, 0), tz), _at(day + dt.timedelta(days=1), dt.time(0, 0), tz)


def promise_limit_days(max_promise_days: int, reliability) -> int:
    """Furthest promise date (days from today) a collector may accept without approval: half the
    lender's limit for a borrower who keeps less than half of what they promise."""
    limit = int(max_promise_days or 0)
    if reliability is not None and reliability < 0.5:
        limit = max(1, limit // 2)
    return limit
