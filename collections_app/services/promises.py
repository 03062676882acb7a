"""Promises to pay: taking one (the one rule for contact logging, the API and the case page) and
judging them by payments (docs/architecture.md).

    def take_promise(*, case, borrower, user, amount, date, contact=None, now=None) -> PromiseToPay
        raises django ValidationError (field -> messages): amount > 0, date not before the lender's
        business date, case not closed. A date beyond the borrower's promise limit is stored with an
        ApprovalRequest for a supervisor. The borrower's promises_made grows by one and the case's
        next action is a call the day after the promised date.

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
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from collections_app.domain import compliance as rules_mod
from collections_app.formats import format_money
from collections_app.models import ApprovalRequest, Borrower, CollectionCase, Payment, PromiseToPay

if TYPE_CHECKING:  # the nightly run imports this module
    from collections_app.services.nightly.scope import Scope
from collections_app.models.choices import ActionKind, ApprovalKind, ApprovalStatus, CaseStatus, PromiseStatus
from collections_app.selectors.payoff import case_payoff_amount
from collections_app.services.daily_figures import mark_changed

ZERO = Decimal("0")


def _lender_zone(lender):
    return rules_mod.zone(lender.timezone, fallback=settings.TIME_ZONE)


def promise_limit(*, case: CollectionCase, borrower: Borrower) -> int:
    """Furthest promise date, in days from today, a collector may accept without approval."""
    return rules_mod.promise_limit_days(case.lender.max_promise_days, borrower.promise_reliability)


def promise_errors(*, case, amount: Decimal | None, date: dt.date | None, today: dt.date) -> dict[str, list]:
    """What is wrong with a promise of ``amount`` on ``date`` (field -> messages; empty when nothing).
    A missing value is not judged here: each caller says in its own words that it is required.
    A promise is capped at what pays off the case today."""
    errors: dict[str, list] = {}
    if amount is not None and (not amount.is_finite() or amount <= 0):
        errors.setdefault("amount", []).append(_("The promised amount must be greater than zero."))
    elif amount is not None:
        cap = case_payoff_amount(case, today)
        if amount > cap:
            errors.setdefault("amount", []).append(
                _("A promise cannot be more than the amount that pays off the case today (%(cap)s).")
                % {"cap": format_money(cap)}
            )
    if date is not None and date < today:
        errors.setdefault("promised_date", []).append(_("The promised date cannot be in the past."))
    return errors


def take_promise(*, case, borrower, user, amount: Decimal, date: dt.date, contact=None,
                 now: dt.datetime | None = None) -> PromiseToPay:
    """Store a promise to pay on ``case`` (see the module's docstring). ``contact``: the contact it
    was taken in, if any. Runs in one transaction holding the borrower's row lock."""
    now = now or timezone.now()
    ltz = _lender_zone(case.lender)
    today = now.astimezone(ltz).date()
    errors: dict[str, list] = {}
    if case.status == CaseStatus.CLOSED:
        errors.setdefault("case", []).append(_("This case is closed."))
    if amount is None:
        errors.setdefault("amount", []).append(_("The promised amount must be greater than zero."))
    for field, messages in promise_errors(case=case, amount=amount, date=date, today=today).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    requested_by = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        # the borrower's lock serialises promises on the case: one of them replaces the other
        borrower = Borrower.objects.select_for_update().get(pk=borrower.pk)
        replaced = _replace_pending(case, today)
        limit = promise_limit(case=case, borrower=borrower)
        approval = None
        if date > today + dt.timedelta(days=limit):
            payload = {"amount": str(amount), "promised_date": date.isoformat(), "limit_days": limit}
            if contact is not None:
                payload["contact"] = contact.pk
            approval = ApprovalRequest.objects.create(
                kind=ApprovalKind.PROMISE_EXTENSION,
                case=case,
                requested_by=requested_by,
                reason=_("Promise dated %(date)s is beyond the %(days)s-day limit.") % {"date": date, "days": limit},
                payload=payload,
            )
        promise = PromiseToPay.objects.create(
            case=case, borrower=borrower, contact=contact, amount=amount, promised_date=date, approval=approval,
            created_by=requested_by,
        )
        if not replaced:  # a replacement is the same promise renewed, not one more made
            Borrower.objects.filter(pk=borrower.pk).update(promises_made=F("promises_made") + 1)
        # the next call is the day after the promised date, at the start of contact hours
        due = dt.datetime.combine(date + dt.timedelta(days=1), case.lender.contact_start, tzinfo=ltz)
        changes = {"next_action_at": due, "next_action": ActionKind.CALL, "updated_at": now}
        CollectionCase.objects.filter(pk=case.pk).update(**changes)
        for field, value in changes.items():
            setattr(case, field, value)
        # a promise acknowledges the debt: the limitation period starts again (docs/disputes.md)
        from collections_app.services.limitation import refresh_limitation_dates

        refresh_limitation_dates(case_ids=[case.pk])
    return promise


def _replace_pending(case, today: dt.date) -> list[PromiseToPay]:
    """Mark the case's pending promise (at most one) replaced; its pending extension request, if
    any, is cancelled: there is nothing left to approve."""
    pending = list(PromiseToPay.objects.select_for_update().filter(case=case, status=PromiseStatus.PENDING))
    for old in pending:
        old.status, old.resolved_on = PromiseStatus.REPLACED, today
        old.save(update_fields=["status", "resolved_on"])
        if old.approval_id:
            for approval in ApprovalRequest.objects.filter(pk=old.approval_id, status=ApprovalStatus.PENDING):
                approval.status = ApprovalStatus.CANCELLED
                approval.save(update_fields=["status"])
    return pending


def judge(amount: Decimal, paid: Decimal, promised_date: dt.date, as_of: dt.date, *, case_closed: bool = False) -> str:
    """Pure: the status of a promise on ``as_of`` given what was paid towards it. A promise still
    open when its case closes (cured or settled before the date) is settled with the case:
    cancelled, neither kept nor broken."""
    if paid >= amount:
        return PromiseStatus.KEPT
    if promised_date >= as_of:
        return PromiseStatus.CANCELLED if case_closed else PromiseStatus.PENDING
    return PromiseStatus.PARTIALLY_KEPT if paid > 0 else PromiseStatus.BROKEN


def judge_promises(*, scope: Scope, as_of: dt.date) -> int:
    """Judge the chunk's pending promises. Returns how many were broken. It runs after the chunk's
    cases are synced (both backends), so a case closed tonight settles its pending promise here."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    pending = list(PromiseToPay.objects.filter(status=PromiseStatus.PENDING,
                                               borrower_id__in=scope.loans().values("borrower_id"))
                   .select_related("case"))
    if not pending:
        return 0
    start = min(p.created_at.astimezone(tz).date() for p in pending)
    paid = defaultdict(list)
    for row in Payment.objects.filter(loan__borrower_id__in={p.borrower_id for p in pending}, paid_on__gte=start,
                                      paid_on__lte=as_of).exclude(source=Payment.Source.ADJUSTMENT).values("loan__borrower_id", "lender_id", "paid_on", "amount"):
        paid[(row["loan__borrower_id"], row["lender_id"])].append((row["paid_on"], row["amount"]))
    changed, counters = [], defaultdict(lambda: [0, 0, ZERO, ZERO])
    broken = 0
    for promise in pending:
        since = promise.created_at.astimezone(tz).date()
        until = min(promise.promised_date, as_of)
        total = sum((amt for day, amt in paid[(promise.borrower_id, promise.case.lender_id)] if since <= day <= until),
                    ZERO)
        status = judge(promise.amount, total, promise.promised_date, as_of,
                       case_closed=promise.case.status == CaseStatus.CLOSED)
        if status == PromiseStatus.PENDING and total == promise.paid_amount:
            continue
        promise.paid_amount = total
        if status == PromiseStatus.CANCELLED:  # settled with its closed case: not in the record
            promise.status, promise.resolved_on = status, as_of
        elif status != PromiseStatus.PENDING:
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
        # a judged promise changes the figures of the day it fell due (docs/kpis.md, "Stored and live days")
        mark_changed({p.promised_date for p in changed if p.status != PromiseStatus.PENDING})
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
