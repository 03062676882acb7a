"""Promises to pay judged by payments (docs/collector.md): kept, partially kept or broken.

A promise counts the payments the borrower made to that lender's loans from the day the promise
was taken to its promised date. Enough by then: kept (also before the date). After the date,
something but not enough: partially kept; nothing: broken. Each judgement adds to the borrower's
record (promise reliability = amount kept ÷ amount promised), which the queue uses.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from simple_history.utils import bulk_update_with_history

from collections_app.models import Borrower, Payment, PromiseToPay
from collections_app.models.choices import PromiseStatus

ZERO = Decimal("0")


def judge(amount: Decimal, paid: Decimal, promised_date: dt.date, as_of: dt.date) -> str:
    """Pure: the status of a promise on ``as_of`` given what was paid towards it."""
    if paid >= amount:
        return PromiseStatus.KEPT
    if promised_date >= as_of:
        return PromiseStatus.PENDING
    return PromiseStatus.PARTIALLY_KEPT if paid > 0 else PromiseStatus.BROKEN


def judge_promises(scope, as_of: dt.date) -> int:
    """Judge the chunk's pending promises. Returns how many were broken."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    pending = list(PromiseToPay.objects.filter(status=PromiseStatus.PENDING,
                                               borrower_id__in=scope.loans().values("borrower_id"))
                   .select_related("case"))
    if not pending:
        return 0
    start = min(p.created_at.astimezone(tz).date() for p in pending)
    paid = defaultdict(list)
    for row in Payment.objects.filter(loan__borrower_id__in={p.borrower_id for p in pending}, paid_on__gte=start,
                                      paid_on__lte=as_of).values("loan__borrower_id", "lender_id", "paid_on", "amount"):
        paid[(row["loan__borrower_id"], row["lender_id"])].append((row["paid_on"], row["amount"]))
    changed, counters = [], defaultdict(lambda: [0, 0, ZERO, ZERO])
    broken = 0
    for promise in pending:
        since = promise.created_at.astimezone(tz).date()
        until = min(promise.promised_date, as_of)
        total = sum((amt for day, amt in paid[(promise.borrower_id, promise.case.lender_id)] if since <= day <= until),
                    ZERO)
        status = judge(promise.amount, total, promise.promised_date, as_of)
        if status == PromiseStatus.PENDING and total == promise.paid_amount:
            continue
        promise.paid_amount = total
        if status != PromiseStatus.PENDING:
            promise.status = status
            promise.resolved_on = until
            c = counters[promise.borrower_id]
            c[0] += status == PromiseStatus.KEPT
            c[1] += status != PromiseStatus.KEPT
            c[2] += promise.amount
            c[3] += min(total, promise.amount)
            broken += status == PromiseStatus.BROKEN
        changed.append(promise)
    if changed:
        bulk_update_with_history(changed, PromiseToPay, ["paid_amount", "status", "resolved_on"], batch_size=1000)
    if counters:
        borrowers = list(Borrower.objects.filter(id__in=counters.keys()).only(
            "id", "promises_kept", "promises_broken", "promised_amount_total", "kept_amount_total"))
        for b in borrowers:
            kept, missed, promised, kept_amount = counters[b.id]
            b.promises_kept += kept
            b.promises_broken += missed
            b.promised_amount_total += promised
            b.kept_amount_total += kept_amount
        Borrower.objects.bulk_update(borrowers, ["promises_kept", "promises_broken", "promised_amount_total",
                                                 "kept_amount_total"])
    return broken
