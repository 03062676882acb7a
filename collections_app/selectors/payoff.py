"""What settles a case today: the sum of its loans' payoff quotes (the case page's "to pay off
today", and the cap of a promise to pay)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Prefetch

from collections_app.models import Installment, Loan, LoanStatus, OfferStatus, SettlementOffer
from collections_app.selectors.loan_figures import payoff_quote

ZERO = Decimal("0")


def loan_payoff(loan: Loan, today: dt.date) -> dict | None:
    """The loan's payoff quote on ``today`` (``selectors.loan_figures.payoff_quote``), or None when the
    engine cannot price it or the loan was settled with a discount (it owes nothing)."""
    if loan.status == LoanStatus.DISCOUNTED:
        return None
    try:
        return payoff_quote(loan, today)
    except NotImplementedError:
        return None


def loan_payoff_total(loan: Loan, quote: dict | None) -> Decimal:
    """The quote's total, or the loan's stored figures when there is no quote."""
    if loan.status == LoanStatus.DISCOUNTED:
        return ZERO
    if quote is not None:
        return quote["total"]
    return loan.outstanding_amount + loan.penalty_accrued + loan.fees_accrued - loan.overpayment


def active_offer(case) -> SettlementOffer | None:
    """The case's accepted (active) settlement offer, if any (one query)."""
    return SettlementOffer.objects.filter(case=case, status=OfferStatus.ACTIVE).first()


def offer_payoff(total: Decimal, offer: SettlementOffer | None, today: dt.date) -> Decimal:
    """What pays off the case when an accepted offer holds today: what is left of the offer's amount
    (never more than the full payoff amount)."""
    if offer is None or offer.valid_until < today:
        return total
    return min(total, max(ZERO, offer.amount - offer.paid_amount))


def case_payoff_amount(case, today: dt.date, *, with_offer: bool = True) -> Decimal:
    """What pays off the case on ``today``: the sum of its loans' payoff quotes (4 queries), or what is
    left of an accepted settlement offer (one more; docs/settlements.md). A case without loan rows (only
    made by hand) is worth its stored outstanding balance."""
    total = _loans_payoff(case, today)
    return offer_payoff(total, active_offer(case), today) if with_offer else total


def _loans_payoff(case, today: dt.date) -> Decimal:
    loans = list(
        Loan.objects.filter(case=case)
        .select_related("product")
        .prefetch_related(Prefetch("installments", queryset=Installment.objects.order_by("due_date", "seq")), "payments")
    )
    if not loans:
        return case.outstanding_amount
    return sum((loan_payoff_total(loan, loan_payoff(loan, today)) for loan in loans), ZERO)
