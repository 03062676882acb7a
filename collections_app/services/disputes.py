"""Disputes of the debt (docs/disputes.md) — one service for the case page and the API.

    open_dispute(*, case, user, reason, details="", now=None) -> Dispute
        One open dispute per case (a partial unique index; a second is refused). The case is
        suspended: out of the queue and of the strategy's actions, and the compliance guard refuses
        collection contact with the rule "dispute" until it is resolved. The answer is due
        ``lender.dispute_response_days`` after the lender's business date.
    resolve_dispute(*, dispute, user, outcome, note, adjustment=None, loan=None, close_case=False, now=None) -> Dispute
        A supervisor or an admin answers it, with a note. Upheld: either the debt is corrected by
        ``adjustment`` (a non-cash credit on one of the case's loans that the engine applies like a
        payment) or the case is closed ("dispute upheld"). Rejected: the borrower is told by letter
        (a letter contact on the timeline) and collection resumes. Either way a suspended case with no
        stop flag left goes back to the queue.
    resume_case(*, case, reason) -> bool
        Reopen a suspended case when nothing holds it any more (no stop flag, no open dispute).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_supervisor_or_admin
from collections_app.domain.actions import CASE_CLOSED
from collections_app.models import (
    ActionStatus,
    Borrower,
    CaseCloseReason,
    CaseStatus,
    Channel,
    CollectionCase,
    ContactLog,
    Dispute,
    DisputeOutcome,
    DisputeStatus,
    Loan,
    Outcome,
    Payment,
)
from collections_app.selectors.visibility import cases_visible_to
from collections_app.services import limitation
from collections_app.services.inputs import MONEY_LIMIT

REASON_MAX = 300
DETAILS_MAX = 10000


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _business_date(case, now: dt.datetime) -> dt.date:
    from collections_app.selectors.contact_verdicts import lender_zone

    return now.astimezone(lender_zone(case.lender)).date()


def open_dispute(*, case: CollectionCase, user, reason: str, details: str = "", now: dt.datetime | None = None) -> Dispute:
    now = now or timezone.now()
    reason, details = (reason or "").strip(), (details or "").strip()
    errors: dict[str, list] = {}
    if not reason:
        errors["reason"] = [_("Say what the borrower disputes.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("At most %(n)s characters.") % {"n": REASON_MAX}]
    if len(details) > DETAILS_MAX:
        errors["details"] = [_("At most %(n)s characters.") % {"n": DETAILS_MAX}]
    if case.status == CaseStatus.CLOSED:
        errors.setdefault("__all__", []).append(_("This case is closed."))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            locked = CollectionCase.objects.select_for_update().select_related("lender").get(pk=case.pk)
            if Dispute.objects.filter(case=locked, status=DisputeStatus.OPEN).exists():
                raise ValidationError({"__all__": [_("This case already has an open dispute.")]})
            respond_by = _business_date(locked, now) + dt.timedelta(days=locked.lender.dispute_response_days or 30)
            dispute = Dispute.objects.create(case=locked, reason=reason, details=details, opened_by=_user(user),
                                             opened_at=now, respond_by=respond_by)
            if locked.status == CaseStatus.OPEN:
                locked.status = CaseStatus.SUSPENDED
                locked._change_reason = "dispute opened"
                locked.save(update_fields=["status", "updated_at"])
    except IntegrityError as exc:  # a second request opened one at the same time
        raise ValidationError({"__all__": [_("This case already has an open dispute.")]}) from exc
    case.status = locked.status
    return dispute


def resume_case(*, case: CollectionCase, reason: str) -> bool:
    """Suspended → open when no stop flag is set on the borrower and no dispute is open."""
    if case.status != CaseStatus.SUSPENDED:
        return False
    if Borrower.objects.get(pk=case.borrower_id).stop_flags:
        return False
    if Dispute.objects.filter(case_id=case.pk, status=DisputeStatus.OPEN).exists():
        return False
    case.status = CaseStatus.OPEN
    case._change_reason = reason[:100]
    case.save(update_fields=["status", "updated_at"])
    return True


def _amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"adjustment": [_("Enter an amount such as 1500.00.")]})
    if not amount.is_finite() or amount <= 0 or amount >= MONEY_LIMIT:
        raise ValidationError({"adjustment": [_("The correction must be an amount greater than zero.")]})
    return amount.quantize(Decimal("0.01"))


def _check_resolution(*, dispute, user, outcome, note, adjustment, loan, close_case) -> Decimal | None:
    if not is_supervisor_or_admin(user):
        raise PermissionDenied(_("Only a supervisor or an admin answers a dispute."))
    if not cases_visible_to(user, CollectionCase.objects.filter(pk=dispute.case_id)).exists():
        raise PermissionDenied(_("This case belongs to another team."))
    errors: dict[str, list] = {}
    if outcome not in DisputeOutcome.values:
        errors["outcome"] = [_("Choose upheld or rejected.")]
    if not (note or "").strip():
        errors["note"] = [_("Say how the dispute was answered.")]
    amount = _amount(adjustment)
    if outcome == DisputeOutcome.UPHELD and (amount is None) == (not close_case):
        errors["adjustment"] = [_("An upheld dispute either corrects the debt by an amount or closes the case.")]
    if outcome == DisputeOutcome.REJECTED and (amount is not None or close_case):
        errors["outcome"] = [_("A rejected dispute changes neither the debt nor the case.")]
    if loan is not None and loan.case_id != dispute.case_id:
        errors["loan"] = [_("This loan belongs to another case.")]
    if errors:
        raise ValidationError(errors)
    return amount


def resolve_dispute(*, dispute: Dispute, user, outcome: str, note: str, adjustment=None, loan: Loan | None = None,
                    close_case: bool = False, now: dt.datetime | None = None) -> Dispute:
    now = now or timezone.now()
    amount = _check_resolution(dispute=dispute, user=user, outcome=outcome, note=note, adjustment=adjustment,
                               loan=loan, close_case=close_case)
    note = note.strip()
    with transaction.atomic():
        current = Dispute.objects.select_for_update().select_related("case__lender", "case__borrower").get(pk=dispute.pk)
        if current.status != DisputeStatus.OPEN:
            raise ValidationError({"__all__": [_("This dispute has already been answered.")]})
        case = current.case
        current.status = DisputeStatus.UPHELD if outcome == DisputeOutcome.UPHELD else DisputeStatus.REJECTED
        current.resolved_at, current.resolved_by, current.resolution_note = now, user, note[:DETAILS_MAX]
        current.adjustment, current.closed_case = amount, bool(close_case and outcome == DisputeOutcome.UPHELD)
        current._change_reason = f"dispute {current.status}"
        current.save()
        if amount is not None:
            _apply_adjustment(dispute=current, case=case, loan=loan, amount=amount, user=user, now=now)
        if current.closed_case:
            _close_case(case=case, now=now)
        else:
            case.refresh_from_db(fields=["status"])
            resume_case(case=case, reason=f"dispute {current.status}")
        if current.status == DisputeStatus.REJECTED:
            _letter_to_borrower(dispute=current, case=case, user=user, now=now)
    dispute.__dict__.update({k: getattr(current, k) for k in ("status", "resolved_at", "resolved_by_id",
                                                              "resolution_note", "adjustment", "closed_case")})
    return current


def _apply_adjustment(*, dispute, case, loan, amount, user, now) -> Payment:
    from collections_app.selectors.payoff import case_payoff_amount
    from collections_app.services.payments import record_payment

    today = _business_date(case, now)
    if amount > case_payoff_amount(case, today):
        raise ValidationError({"adjustment": [_("The correction is larger than what pays off the case today.")]})
    if loan is None:
        loan = Loan.objects.filter(case=case).order_by("-overdue_amount", "id").first()
        if loan is None:
            raise ValidationError({"loan": [_("This case has no loan to correct.")]})
    return record_payment(loan=loan, external_id=f"dispute-{dispute.pk}", paid_on=today, amount=amount,
                          channel="adjustment", note=_("Dispute #%(id)s upheld") % {"id": dispute.pk},
                          source=Payment.Source.ADJUSTMENT, user=user, as_of=today)


def _close_case(*, case, now) -> None:
    case.refresh_from_db(fields=["status"])
    if case.status == CaseStatus.CLOSED:
        return
    case.status, case.close_reason, case.closed_at = CaseStatus.CLOSED, CaseCloseReason.DISPUTE_UPHELD, now
    case._change_reason = "dispute upheld: case closed"
    case.save(update_fields=["status", "close_reason", "closed_at", "updated_at"])
    from collections_app.services.actions import end_case_actions

    end_case_actions(case_ids=[case.pk], status=ActionStatus.SUPERSEDED, how=CASE_CLOSED, now=now, awaiting_too=True)


def _letter_to_borrower(*, dispute, case, user, now) -> ContactLog:
    """The answer to the borrower, recorded as a letter on the timeline (not a collection contact: the
    guard does not apply; it is a demand for the limitation period)."""
    log = ContactLog.objects.create(
        case=case, borrower=case.borrower, user=_user(user), channel=Channel.LETTER, outcome=Outcome.SENT,
        number_used=(case.borrower.address or "")[:300], is_attempt=False, is_conversation=False,
        note=_("Dispute answered: rejected. %(note)s") % {"note": dispute.resolution_note}, occurred_at=now,
    )
    limitation.refresh_limitation_dates(case_ids=[case.pk])
    return log
