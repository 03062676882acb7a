"""Closing a case settled with a discount: its loans stop owing (status ``discounted``, figures at
nothing owed), the forgiven amount is recorded on the offer, the case closes with that reason."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from collections_app.domain.actions import CASE_CLOSED
from collections_app.models import (
    ActionStatus,
    BucketHistory,
    CaseCloseReason,
    CaseStatus,
    Installment,
    Loan,
    LoanRecalc,
    LoanStatus,
    OfferStatus,
    PaymentPlan,
    PlanStatus,
    SettlementOffer,
)
from collections_app.models.settlements import OPEN_PLAN
from collections_app.selectors.buckets import bucket_ranges
from collections_app.selectors.loan_figures import payoff_quote

ZERO = Decimal("0")


def settle_with_discount(*, offer: SettlementOffer, paid_on: dt.date, paid: Decimal, as_of: dt.date, run=None) -> None:
    first = min(bucket_ranges(), key=lambda b: b.min_dpd).code
    loans = list(Loan.objects.filter(case_id=offer.case_id, status__in=(LoanStatus.OPEN, LoanStatus.WRITTEN_OFF))
                 .select_related("product", "lender")
                 .prefetch_related(Prefetch("installments", queryset=Installment.objects.order_by("due_date", "seq")),
                                   "payments"))
    forgiven = {}
    for loan in loans:
        owed = payoff_quote(loan, paid_on)["total"]
        forgiven[loan.external_id] = str(owed)
        if loan.bucket != first:
            BucketHistory.objects.update_or_create(
                loan=loan, on_date=as_of,
                defaults={"lender_id": loan.lender_id, "from_bucket": loan.bucket, "to_bucket": first, "dpd": 0,
                          "overdue_amount": ZERO, "run": run})
        loan.status, loan.settled_on, loan.as_of = LoanStatus.DISCOUNTED, paid_on, as_of
        loan.dpd = loan.aging_days = 0
        loan.bucket, loan.oldest_unpaid_due_date, loan.needs_recalc = first, None, False
        loan.overdue_amount = loan.outstanding_amount = loan.penalty_accrued = loan.fees_accrued = ZERO
        loan._change_reason = f"settlement offer {offer.id}"
        loan.save()
        LoanRecalc.objects.filter(loan_id=loan.pk).delete()  # settled for good: no payment flag to keep
    offer.status, offer.ended_on, offer.paid_amount = OfferStatus.PAID, paid_on, paid
    offer.forgiven_by_loan = forgiven
    offer.forgiven_amount = sum((Decimal(v) for v in forgiven.values()), ZERO)
    offer.save()
    case = offer.case
    case.status, case.close_reason, case.closed_at = CaseStatus.CLOSED, CaseCloseReason.DISCOUNTED, timezone.now()
    case.dpd, case.overdue_amount, case.outstanding_amount, case.bucket = 0, ZERO, ZERO, first
    case._change_reason = f"settlement offer {offer.id} paid"
    # only what closing changes: an allocation committed meanwhile keeps its collector (services.allocation)
    case.save(update_fields=["status", "close_reason", "closed_at", "dpd", "overdue_amount", "outstanding_amount",
                             "bucket", "updated_at"])
    from collections_app.services.actions import end_case_actions

    end_case_actions(case_ids=[case.id], status=ActionStatus.SUPERSEDED, how=CASE_CLOSED, now=case.closed_at)
    for plan in PaymentPlan.objects.filter(case_id=case.id, status__in=OPEN_PLAN):
        plan.status, plan.ended_on = PlanStatus.CANCELLED, paid_on
        plan.save()
