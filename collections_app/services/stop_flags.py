"""The borrower's stop flags (cease contact, dispute, deceased, bankruptcy, lawyer): set by a
contact's outcome, lifted by a supervisor — both recorded (docs/collector.md, "Stop flags").

    set_stop_flag(*, case, borrower, flag, user, reason, contact=None, now=None) -> ApprovalRequest | None
        The flag is set (history row with the reason), the borrower's working cases are suspended
        (the compliance guard refuses collection contact with rule "stop_flag"; the queue lists them
        under "Suspended", not callable) and a supervisor gets a review request in the approvals
        inbox (kind stop_flag). Called by services.contacts.write_contact inside its transaction.
    lift_stop_flag(*, borrower, flag, user, reason, now=None) -> None
        A supervisor or admin clears the flag, saying why (history row with the reason and who);
        with no flag left the suspended cases resume. Rejecting the review request does the same.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_supervisor_or_admin
from collections_app.domain.compliance import STOP_FLAGS, stop_flag_label
from collections_app.models import ApprovalKind, ApprovalRequest, ApprovalStatus, Borrower, CaseStatus, CollectionCase
from collections_app.selectors.visibility import cases_visible_to

REASON_MAX = 1000


def _user_or_none(user):
    return user if getattr(user, "is_authenticated", False) else None


def set_stop_flag(*, case, borrower, flag, user, reason, contact=None, now=None) -> ApprovalRequest | None:
    """Set ``flag`` on ``borrower`` (row locked by the caller), suspend its working cases and ask
    a supervisor to review it. Returns the review request (None when an equal one is pending)."""
    if flag not in STOP_FLAGS:
        raise ValueError(f"unknown stop flag {flag!r}")
    now = now or timezone.now()
    reason = (reason or "").strip()[:REASON_MAX] or stop_flag_label(flag)
    by = _user_or_none(user)
    if not getattr(borrower, flag):
        setattr(borrower, flag, True)
        borrower._change_reason = f"{flag}: {reason}"[:100]
        borrower._history_user = by
        borrower.save(update_fields=[flag, "updated_at"])
    for working in CollectionCase.objects.filter(borrower=borrower, status=CaseStatus.OPEN):
        working.status = CaseStatus.SUSPENDED
        working._change_reason = f"stop flag {flag}"
        working.save(update_fields=["status", "updated_at"])
        if working.pk == case.pk:
            case.status = CaseStatus.SUSPENDED
    if ApprovalRequest.objects.filter(
        case=case, kind=ApprovalKind.STOP_FLAG, status=ApprovalStatus.PENDING, payload__flag=flag
    ).exists():
        return None
    return ApprovalRequest.objects.create(
        kind=ApprovalKind.STOP_FLAG, case=case, requested_by=by, reason=reason,
        payload={"flag": flag, "contact_id": contact.pk if contact is not None else None,
                 "outcome": contact.outcome if contact is not None else ""},
    )


def lift_stop_flag(*, borrower, flag, user, reason, now=None) -> None:
    """Clear ``flag`` (supervisor or admin of a team that sees the borrower's case; a reason is
    required). Pending review requests of that flag are closed as decided by this lift."""
    if not is_supervisor_or_admin(user):
        raise PermissionDenied(_("Only a supervisor or an admin can lift a stop flag."))
    if not cases_visible_to(user, CollectionCase.objects.filter(borrower_id=borrower.pk)).exists():
        raise PermissionDenied(_("This borrower's case belongs to another team."))
    if flag not in STOP_FLAGS:
        raise ValidationError({"flag": _("Choose a stop flag.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the stop flag is lifted.")})
    now = now or timezone.now()
    with transaction.atomic():
        current = Borrower.objects.select_for_update().get(pk=borrower.pk)
        if not getattr(current, flag):
            raise ValidationError({"flag": _("This stop flag is not set.")})
        setattr(current, flag, False)
        current._change_reason = f"lifted {flag}: {reason}"[:100]
        current._history_user = user
        current.save(update_fields=[flag, "updated_at"])
        setattr(borrower, flag, False)
        if not current.stop_flags:
            for suspended in CollectionCase.objects.filter(borrower=current, status=CaseStatus.SUSPENDED):
                suspended.status = CaseStatus.OPEN
                suspended._change_reason = f"stop flag {flag} lifted"
                suspended.save(update_fields=["status", "updated_at"])
        for pending in ApprovalRequest.objects.select_for_update().filter(
            case__borrower=current, kind=ApprovalKind.STOP_FLAG, status=ApprovalStatus.PENDING, payload__flag=flag
        ):
            pending.status = ApprovalStatus.REJECTED if pending.requested_by_id != user.pk else ApprovalStatus.CANCELLED
            pending.decided_by = user if pending.requested_by_id != user.pk else None
            pending.decided_at = now
            pending.decision_note = reason[:REASON_MAX]
            pending._change_reason = "stop flag lifted"
            pending.save()
