"""Call verdicts read from the stored history: may this case's borrower (or one of their numbers) be
contacted now, and if not, which rule says no and when it may be. One place builds a verdict from the
database (``_verdict`` over ``_history``); the pure rules are in ``domain/compliance.py``. The contact
service (``services.contacts.log_contact``) asks ``contact_verdict`` under the borrower's lock; the
case page's verdict and number picker and the queue ask the same functions for display.

    contact_verdict(case, *, now=None, contact_point=None, channel="phone", third_party=None) -> Verdict
    contact_allowed(case, *, now=None, contact_point=None, channel="phone") -> (allowed, rule, detail, allowed_from)
    number_verdicts(case, points, *, now=None, channel="phone") -> {contact point id: Verdict}
    verdicts_for_cases(cases, *, now=None, channel="phone") -> {case id: Verdict}
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from collections_app.domain import compliance as rules_mod
from collections_app.domain.compliance import ContactRules, Verdict
from collections_app.models import Borrower, Channel, ContactLog, Outcome
from collections_app.selectors.buckets import bucket_order


def borrower_zone(borrower: Borrower, lender=None):
    lender = lender or borrower.lender
    return rules_mod.zone(borrower.timezone or lender.timezone, fallback=settings.TIME_ZONE)


def lender_zone(lender):
    return rules_mod.zone(lender.timezone, fallback=settings.TIME_ZONE)


def rules_for(lender, borrower: Borrower) -> ContactRules:
    return ContactRules(
        tz=borrower_zone(borrower, lender),
        contact_start=lender.contact_start,
        contact_end=lender.contact_end,
        lunch_start=lender.lunch_start,
        lunch_end=lender.lunch_end,
        max_calls_per_day=lender.max_calls_per_day,
        max_calls_per_7_days=lender.max_calls_per_7_days,
        quiet_days_after_conversation=lender.quiet_days_after_conversation,
        third_party_from_bucket=lender.third_party_from_bucket or None,
    )


def _lookback(lenders, now: dt.datetime) -> dt.datetime:
    days = max([8] + [(lender.quiet_days_after_conversation or 0) + 1 for lender in lenders])
    return now - dt.timedelta(days=days)


def _history(borrower_ids, since: dt.datetime) -> tuple[dict, dict]:
    """Call attempts and last conversation per borrower since ``since``: ONE query for any number."""
    attempts: dict[int, list] = defaultdict(list)
    last_conv: dict[int, dt.datetime] = {}
    rows = ContactLog.objects.filter(
        Q(is_attempt=True) | Q(is_conversation=True), borrower_id__in=list(borrower_ids), occurred_at__gte=since
    ).values_list("borrower_id", "occurred_at", "is_attempt", "is_conversation")
    for borrower_id, at, is_attempt, is_conversation in rows:
        if is_attempt:
            attempts[borrower_id].append(at)
        if is_conversation and (borrower_id not in last_conv or at > last_conv[borrower_id]):
            last_conv[borrower_id] = at
    return attempts, last_conv


def is_third_party_contact(contact_point, outcome="") -> bool:
    """A stored number is a third party's by its relation; a number typed by hand is when the
    outcome says a third party was reached."""
    if contact_point is not None:
        return bool(contact_point.is_third_party)
    return outcome == Outcome.THIRD_PARTY


def _verdict(case, *, now, channel, contact_point, attempts, last_conversation, order, third_party=None) -> Verdict:
    borrower = case.borrower
    if third_party is None:
        third_party = is_third_party_contact(contact_point)
    return rules_mod.check_contact(
        rules=rules_for(case.lender, borrower),
        now=now,
        channel=channel,
        stop_flags=borrower.stop_flags,
        third_party=third_party,
        bucket=case.bucket,
        bucket_order=order,
        attempts=attempts,
        last_conversation=last_conversation,
    )


def contact_verdict(case, *, now=None, contact_point=None, channel=Channel.PHONE, third_party=None) -> Verdict:
    now = now or timezone.now()
    if third_party is None:
        third_party = is_third_party_contact(contact_point)
    attempts, last_conv = _history([case.borrower_id], _lookback([case.lender], now))
    return _verdict(
        case,
        now=now,
        channel=channel,
        contact_point=contact_point,
        attempts=attempts.get(case.borrower_id, []),
        last_conversation=last_conv.get(case.borrower_id),
        order=bucket_order() if third_party else rules_mod.DEFAULT_BUCKET_ORDER,
        third_party=third_party,
    )


def number_verdicts(case, points, *, now=None, channel=Channel.PHONE) -> dict[int, Verdict]:
    """The verdict for each of ``points`` (the borrower's contact points) with ONE query for the
    call history: what the number picker needs to disable the numbers that may not be called."""
    now = now or timezone.now()
    points = list(points)
    if not points:
        return {}
    attempts, last_conv = _history([case.borrower_id], _lookback([case.lender], now))
    order = bucket_order() if any(cp.is_third_party for cp in points) else rules_mod.DEFAULT_BUCKET_ORDER
    return {
        cp.pk: _verdict(
            case, now=now, channel=channel, contact_point=cp, attempts=attempts.get(case.borrower_id, []),
            last_conversation=last_conv.get(case.borrower_id), order=order,
        )
        for cp in points
    }


def contact_allowed(case, *, now=None, contact_point=None, channel="phone"):
    """(allowed, rule, detail, allowed_from) for a contact with this case's borrower (or the
    given contact point) at ``now``."""
    return contact_verdict(case, now=now, contact_point=contact_point, channel=channel).as_tuple()


def verdicts_for_cases(cases, *, now=None, channel=Channel.PHONE) -> dict[int, Verdict]:
    """Call verdicts for many cases (borrower's own numbers) with ONE query for their history.
    ``cases`` must have ``borrower`` and ``lender`` loaded (select_related)."""
    now = now or timezone.now()
    cases = list(cases)
    if not cases:
        return {}
    attempts, last_conv = _history({c.borrower_id for c in cases}, _lookback({c.lender for c in cases}, now))
    return {
        c.pk: _verdict(
            c,
            now=now,
            channel=channel,
            contact_point=None,
            attempts=attempts.get(c.borrower_id, []),
            last_conversation=last_conv.get(c.borrower_id),
            order=rules_mod.DEFAULT_BUCKET_ORDER,
        )
        for c in cases
    }
