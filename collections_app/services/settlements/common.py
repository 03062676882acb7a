"""What offers and plans share: locking the case, refusing a second negotiation, the approval request."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from collections_app.models import ApprovalKind, CaseStatus, CollectionCase, PaymentPlan, SettlementOffer
from collections_app.models.settlements import OPEN_OFFER, OPEN_PLAN


def lock_open_case(case: CollectionCase) -> CollectionCase:
    """The case's row, locked for the transaction: offers and plans on one case are made one at a time
    (the partial unique indexes one_open_offer_per_case / one_open_plan_per_case refuse the rest)."""
    locked = CollectionCase.objects.select_for_update().select_related("lender").get(pk=case.pk)
    if locked.status == CaseStatus.CLOSED:
        raise ValidationError({"case": _("This case is closed.")})
    if SettlementOffer.objects.filter(case=locked, status__in=OPEN_OFFER).exists():
        raise ValidationError(_("A settlement offer is already open on this case: cancel it or let it end first."))
    if PaymentPlan.objects.filter(case=locked, status__in=OPEN_PLAN).exists():
        raise ValidationError(_("A payment plan is already open on this case: cancel it or let it end first."))
    return locked


def ask_approval(*, case: CollectionCase, user, reason: str, payload: dict):
    from collections_app.services.approvals import request_approval

    requester = user if getattr(user, "is_authenticated", False) else None
    return request_approval(kind=ApprovalKind.SETTLEMENT, case=case, user=requester, reason=reason, payload=payload)
