"""Offers and plans as the case page, the API and the queue read them (docs/settlements.md).

    case_settlements(case, today) -> dict          the Settlements card: offers, plans with instalments
    queue_hold() / broken_plan_followup()          the queue's expressions (selectors/queue.py)
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q

from collections_app.models import OfferStatus, PaymentPlan, PlanInstallment, PlanStatus, SettlementOffer
from collections_app.models.settlements import OPEN_OFFER, OPEN_PLAN

HISTORY_LIMIT = 20


def case_settlements(case, today: dt.date) -> dict:
    """The case's offers and plans, newest first, with each plan's instalments (3 queries)."""
    offers = list(SettlementOffer.objects.filter(case=case).select_related("approval", "requested_by")[:HISTORY_LIMIT])
    plans = list(PaymentPlan.objects.filter(case=case).select_related("approval", "requested_by")
                 .prefetch_related(Prefetch("installments", queryset=PlanInstallment.objects.order_by("seq")))
                 [:HISTORY_LIMIT])
    for plan in plans:
        plan.lines = list(plan.installments.all())
    return {
        "offers": offers,
        "plans": plans,
        "open_offer": next((o for o in offers if o.status in OPEN_OFFER), None),
        "open_plan": next((p for p in plans if p.status in OPEN_PLAN), None),
        "active_offer": next((o for o in offers if o.status == OfferStatus.ACTIVE), None),
        "today": today,
    }


def queue_hold(today: dt.date):
    """True for a case the queue leaves out today: an active plan with no reminder due (a plan
    instalment still unpaid whose reminder days have begun)."""
    active = PaymentPlan.objects.filter(case=OuterRef("pk"), status=PlanStatus.ACTIVE)
    reminder = PlanInstallment.objects.filter(plan__case=OuterRef("pk"), plan__status=PlanStatus.ACTIVE,
                                              paid_on__isnull=True, remind_from__lte=today)
    return Q(Exists(active)) & ~Q(Exists(reminder))


def broken_plan_followup():
    """True for a case whose plan broke and nobody has spoken to since: back at the top of the queue."""
    broken = PaymentPlan.objects.filter(case=OuterRef("pk"), status=PlanStatus.BROKEN)
    return (Q(last_contact_at__isnull=True) & Exists(broken)) | (
        Q(last_contact_at__isnull=False) & Exists(broken.filter(ended_on__gte=OuterRef("last_contact_day"))))
