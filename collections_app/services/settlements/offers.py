"""Settlement offers (减免 / 一次性结清): a sum below the payoff amount, valid until a date.

    propose_offer(*, case, user, amount, valid_until, note="") -> SettlementOffer
    cancel_offer(*, offer, user) -> SettlementOffer
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from collections_app.domain import settlements as rules
from collections_app.formats import format_money
from collections_app.models import (
    ApprovalLevel,
    ApprovalRequest,
    ApprovalStatus,
    CollectionCase,
    OfferStatus,
    SettlementOffer,
)
from collections_app.selectors.payoff import case_payoff_amount

from .common import ask_approval, lock_open_case
from .terms import case_today, terms_for

MAX_VALID_DAYS = 90


def offer_errors(*, amount: Decimal | None, valid_until: dt.date | None, payoff: Decimal, today: dt.date) -> dict:
    errors: dict[str, list] = {}
    if amount is None or not amount.is_finite() or amount <= 0:
        errors.setdefault("amount", []).append(_("The amount must be greater than zero."))
    elif amount >= payoff:
        errors.setdefault("amount", []).append(
            _("An offer is a sum below what pays off the case today (%(payoff)s); for the full amount take a "
              "promise to pay.") % {"payoff": format_money(payoff)})
    if valid_until is None:
        errors.setdefault("valid_until", []).append(_("Say until when the offer holds."))
    elif valid_until < today:
        errors.setdefault("valid_until", []).append(_("The offer cannot end in the past."))
    elif valid_until > today + dt.timedelta(days=MAX_VALID_DAYS):
        errors.setdefault("valid_until", []).append(
            _("An offer holds at most %(days)s days.") % {"days": MAX_VALID_DAYS})
    return errors


def propose_offer(*, case: CollectionCase, user, amount: Decimal, valid_until: dt.date, note: str = "") -> SettlementOffer:
    """Within the collector's discount limit the offer is active at once; above it, it waits for a
    supervisor's approval, above the supervisor's limit for an admin's."""
    today = case_today(case)
    with transaction.atomic():
        case = lock_open_case(case)
        payoff = case_payoff_amount(case, today, with_offer=False)
        errors = offer_errors(amount=amount, valid_until=valid_until, payoff=payoff, today=today)
        if errors:
            raise ValidationError(errors)
        terms = terms_for(case)
        percent = rules.discount_percent(payoff, amount)
        level = rules.approval_level(percent, terms.collector_max, terms.supervisor_max)
        offer = SettlementOffer(
            case=case, amount=amount, payoff_amount=payoff, discount_percent=percent, offered_on=today,
            valid_until=valid_until, level=level, note=(note or "")[:300],
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            status=OfferStatus.ACTIVE if level == ApprovalLevel.COLLECTOR else OfferStatus.PENDING_APPROVAL,
        )
        try:
            with transaction.atomic():
                offer.save()
        except IntegrityError as exc:
            raise ValidationError(_("A settlement offer is already open on this case.")) from exc
        if offer.status == OfferStatus.PENDING_APPROVAL:
            offer.approval = ask_approval(
                case=case, user=user,
                reason=_("Settlement of %(amount)s (%(percent)s%% off %(payoff)s) until %(date)s") % {
                    "amount": format_money(amount), "percent": percent, "payoff": format_money(payoff),
                    "date": valid_until.isoformat()},
                payload={"offer_id": offer.id, "amount": str(amount), "level": level,
                         "valid_until": valid_until.isoformat()},
            )
            offer.save(update_fields=["approval"])
    if offer.status == OfferStatus.ACTIVE:
        _judge_now(case, today)
        offer.refresh_from_db()
    return offer


def _judge_now(case: CollectionCase, today: dt.date) -> None:
    """Money paid since the offer was made may already cover it."""
    from collections_app.services.nightly import recalculate_loans

    recalculate_loans(loan_ids=list(case.loans.values_list("id", flat=True)), as_of=today)


def activate_offer(*, offer: SettlementOffer, today: dt.date) -> None:
    """An approved offer: active while its date holds, else lapsed."""
    if offer.status != OfferStatus.PENDING_APPROVAL:
        return
    if offer.valid_until < today:
        offer.status, offer.ended_on = OfferStatus.LAPSED, offer.valid_until + dt.timedelta(days=1)
        offer.save()
        return
    offer.status = OfferStatus.ACTIVE
    offer.save()
    _judge_now(offer.case, today)


def cancel_offer(*, offer: SettlementOffer, user) -> SettlementOffer:
    today = case_today(offer.case)
    with transaction.atomic():
        offer = SettlementOffer.objects.select_for_update().get(pk=offer.pk)
        if offer.status not in (OfferStatus.PENDING_APPROVAL, OfferStatus.ACTIVE):
            raise ValidationError(_("Only an open offer can be cancelled."))
        offer.status, offer.ended_on = OfferStatus.CANCELLED, today
        offer.save()
        for approval in ApprovalRequest.objects.filter(pk=offer.approval_id, status=ApprovalStatus.PENDING):
            approval.status = ApprovalStatus.CANCELLED
            approval.save(update_fields=["status"])
    return offer
