"""What a decision on a settlement approval does to its offer or plan (called by services.approvals)."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.roles import is_admin
from collections_app.models import ApprovalLevel, OfferStatus, PaymentPlan, PlanStatus, SettlementOffer

from .offers import activate_offer
from .plans import activate_plan
from .terms import case_today


def check_decider(*, approval, user) -> None:
    """An offer or plan beyond the supervisor's limit needs an admin."""
    if (approval.payload or {}).get("level") == ApprovalLevel.ADMIN and not is_admin(user):
        raise PermissionDenied(_("This discount is beyond a supervisor's limit: an admin must decide it."))


def apply_decision(*, approval, approve: bool, user) -> bool:
    """Activate (approved) or reject the offer or plan the request is about. False when the request
    is about neither."""
    payload = approval.payload or {}
    offer = SettlementOffer.objects.filter(pk=payload.get("offer_id"), approval=approval).first() \
        if payload.get("offer_id") else None
    plan = PaymentPlan.objects.filter(pk=payload.get("plan_id"), approval=approval).first() \
        if payload.get("plan_id") else None
    if offer is None and plan is None:
        return False
    case = (offer or plan).case
    today = case_today(case)
    if offer is not None and offer.status == OfferStatus.PENDING_APPROVAL:
        if approve:
            activate_offer(offer=offer, today=today)
        else:
            offer.status, offer.ended_on = OfferStatus.REJECTED, today
            offer.save()
    if plan is not None and plan.status == PlanStatus.PENDING_APPROVAL:
        if approve:
            activate_plan(plan=plan, user=user, today=today)
        else:
            plan.status, plan.ended_on = PlanStatus.REJECTED, today
            plan.save()
    return True
