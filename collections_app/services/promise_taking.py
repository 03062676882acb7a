"""Taking a promise to pay outside a logged contact (``POST /api/promises/``).

Same rules as a promise taken while logging a contact (services.contacts.log_contact): amount > 0,
date not in the past (lender's business date), case not closed; a date beyond the borrower's
promise limit (services.contacts.promise_limit) is stored with an ApprovalRequest for a supervisor.

    def take_promise(*, case, user, amount, promised_date, now=None) -> PromiseToPay
        raises django ValidationError (field -> messages).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.models import ApprovalRequest, Borrower, CaseStatus, PromiseToPay
from collections_app.models.cases import CollectionCase
from collections_app.models.choices import ActionKind, ApprovalKind


def take_promise(*, case, user, amount: Decimal, promised_date: dt.date, now=None) -> PromiseToPay:
    from collections_app.services.contacts import lender_zone, promise_limit

    now = now or timezone.now()
    ltz = lender_zone(case.lender)
    today = now.astimezone(ltz).date()
    errors: dict[str, list] = {}
    if case.status == CaseStatus.CLOSED:
        errors.setdefault("case", []).append(_("This case is closed."))
    if amount is None or not amount.is_finite() or amount <= 0:
        errors.setdefault("amount", []).append(_("The promised amount must be greater than zero."))
    if promised_date < today:
        errors.setdefault("promised_date", []).append(_("The promised date cannot be in the past."))
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        borrower = Borrower.objects.select_for_update().get(pk=case.borrower_id)
        limit = promise_limit(case, borrower)
        approval = None
        if promised_date > today + dt.timedelta(days=limit):
            approval = ApprovalRequest.objects.create(
                kind=ApprovalKind.PROMISE_EXTENSION,
                case=case,
                requested_by=user,
                reason=_("Promise dated %(date)s is beyond the %(days)s-day limit.") % {"date": promised_date, "days": limit},
                payload={"amount": str(amount), "promised_date": promised_date.isoformat(), "limit_days": limit},
            )
        promise = PromiseToPay.objects.create(
            case=case, borrower=borrower, amount=amount, promised_date=promised_date, approval=approval,
            created_by=user,
        )
        Borrower.objects.filter(pk=borrower.pk).update(promises_made=F("promises_made") + 1)
        due = dt.datetime.combine(promised_date + dt.timedelta(days=1), case.lender.contact_start, tzinfo=ltz)
        CollectionCase.objects.filter(pk=case.pk).update(next_action_at=due, next_action=ActionKind.CALL, updated_at=now)
    return promise
