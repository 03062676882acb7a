"""Recording payments outside imports (API, collector, field visit). The loan is reclassified at
once by the same engine as the nightly run (docs/delinquency.md: the nightly run is the sweep, not the
only path)."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from collections_app.models import Loan, Payment
from collections_app.selectors.loan_figures import business_date

from .agency import attribute_payments
from .nightly import recalculate_loans


def record_payment(*, loan: Loan, external_id: str, paid_on: dt.date, amount: Decimal, channel: str = "",
                   note: str = "", source: str, user=None, as_of: dt.date | None = None) -> Payment:
    """Store a payment. Identity (lender, external_id): repeating it with the same data is a
    no-op that returns the stored payment; a repeat with different data is refused."""
    amount = Decimal(amount)
    errors = {}
    if amount <= 0:
        errors["amount"] = _("The amount must be greater than zero.")
    if not external_id:
        errors["external_id"] = _("A payment id is required.")
    if as_of is None:
        try:
            as_of = business_date(loan.lender.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # a lender's bad time zone never breaks a payment
            as_of = business_date()
    if paid_on > as_of:
        errors["paid_on"] = _("A payment cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    existing = Payment.objects.filter(lender_id=loan.lender_id, external_id=external_id).first()
    if existing:
        if (existing.loan_id, existing.paid_on, existing.amount) == (loan.id, paid_on, amount):
            return existing
        raise ValidationError({"external_id": _("Payment %(id)s is already recorded with different details.")
                               % {"id": external_id}})
    try:
        with transaction.atomic():
            payment = Payment.objects.create(lender_id=loan.lender_id, loan=loan, external_id=external_id,
                                             paid_on=paid_on, amount=amount, channel=channel[:50], note=note[:500],
                                             source=source, recorded_by=user)
    except IntegrityError as exc:  # the same id recorded concurrently
        raise ValidationError({"external_id": _("Payment %(id)s is already recorded.") % {"id": external_id}}) from exc
    recalculate_loans(loan_ids=[loan.id], as_of=as_of)
    attribute_payments(loan_ids=[loan.id])  # made while the case is with an agency: the agency's
    return payment
