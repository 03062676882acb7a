"""Judging offers and plans by payments, for one chunk of borrowers on a date. The delinquency run's
chunk (``services.nightly.chunk.process_scope``) calls it before the loans' figures, so a plan broken
today ends its pause in time for today's aging, and a case settled today is closed before its loans
would be evaluated; a payment or an import reaches it through the same function.

A fixed number of queries for the chunk, plus writes for the offers and plans that changed."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Prefetch

from collections_app.domain import settlements as rules
from collections_app.models import (
    ApprovalRequest,
    ApprovalStatus,
    OfferStatus,
    Payment,
    PaymentPlan,
    PlanInstallment,
    PlanStatus,
    SettlementOffer,
)
from collections_app.models.settlements import OPEN_OFFER

from .closing import settle_with_discount
from .plans import end_pauses


def _payments(keys: set[tuple[int, int]], since: dt.date, as_of: dt.date) -> dict:
    paid = defaultdict(list)
    if not keys:
        return paid
    for row in Payment.objects.filter(loan__borrower_id__in={k[0] for k in keys}, paid_on__gte=since,
                                      paid_on__lte=as_of).values("loan__borrower_id", "lender_id", "paid_on", "amount"):
        paid[(row["loan__borrower_id"], row["lender_id"])].append(rules.Paid(row["paid_on"], row["amount"]))
    return paid


def judge_settlements(*, scope, as_of: dt.date, run=None) -> int:
    """Offers paid (the case closes), lapsed or still running; plans kept, broken or still running.
    Returns how many offers and plans changed status."""
    borrowers = scope.loans().values("borrower_id")
    return _judge_offers(borrowers, as_of, run) + _judge_plans(borrowers, as_of)


def _judge_offers(borrowers, as_of: dt.date, run) -> int:
    offers = list(SettlementOffer.objects.filter(status__in=OPEN_OFFER, case__borrower_id__in=borrowers)
                  .select_related("case"))
    if not offers:
        return 0
    paid = _payments({(o.case.borrower_id, o.case.lender_id) for o in offers}, min(o.offered_on for o in offers), as_of)
    changed = 0
    for offer in offers:
        if offer.status == OfferStatus.PENDING_APPROVAL:
            if as_of > offer.valid_until:  # nobody decided in time: nothing left to approve
                offer.status, offer.ended_on = OfferStatus.LAPSED, offer.valid_until + rules.DAY
                offer.save()
                for approval in ApprovalRequest.objects.filter(pk=offer.approval_id, status=ApprovalStatus.PENDING):
                    approval.status = ApprovalStatus.CANCELLED
                    approval.save(update_fields=["status"])
                changed += 1
            continue
        counted = [p for p in paid[(offer.case.borrower_id, offer.case.lender_id)] if p.paid_on >= offer.offered_on]
        outcome = rules.offer_outcome(offer.amount, offer.valid_until, counted, as_of)
        if outcome.status == "paid":
            settle_with_discount(offer=offer, paid_on=outcome.on, paid=outcome.paid, as_of=as_of, run=run)
            changed += 1
        elif outcome.status == "lapsed":
            offer.status, offer.ended_on, offer.paid_amount = OfferStatus.LAPSED, outcome.on, outcome.paid
            offer.save()
            changed += 1
        elif outcome.paid != offer.paid_amount:
            offer.paid_amount = outcome.paid
            offer.save(update_fields=["paid_amount"])
    return changed


def _judge_plans(borrowers, as_of: dt.date) -> int:
    plans = list(PaymentPlan.objects.filter(status=PlanStatus.ACTIVE, case__borrower_id__in=borrowers)
                 .select_related("case")
                 .prefetch_related(Prefetch("installments", queryset=PlanInstallment.objects.order_by("seq")), "pauses"))
    if not plans:
        return 0
    paid = _payments({(p.case.borrower_id, p.case.lender_id) for p in plans}, min(p.proposed_on for p in plans), as_of)
    changed, lines = 0, []
    for plan in plans:
        counted = [p for p in paid[(plan.case.borrower_id, plan.case.lender_id)] if p.paid_on >= plan.proposed_on]
        rows = list(plan.installments.all())
        progress = rules.plan_progress([rules.PlanLine(r.seq, r.due_date, r.amount) for r in rows], counted, as_of,
                                       plan.grace_days)
        state = {s.seq: s for s in progress.lines}
        for r in rows:
            s = state[r.seq]
            if (r.paid_amount, r.paid_on) != (s.paid, s.paid_on):
                r.paid_amount, r.paid_on = s.paid, s.paid_on
                lines.append(r)
        if progress.status == rules.ACTIVE:
            continue
        plan.status = PlanStatus.KEPT if progress.status == rules.KEPT else PlanStatus.BROKEN
        plan.ended_on = progress.on
        plan.save()
        end_pauses(plan=plan, span=rules.plan_pause(plan.activated_on, progress))
        changed += 1
    if lines:
        PlanInstallment.objects.bulk_update(lines, ["paid_amount", "paid_on"])
    return changed
