"""Field visits (外访, docs/supervisor.md): requested by a phone collector, approved by a supervisor,
handed to a field agent who visits within 2 working days, plans, files the result, and may ask
for an extension.

    request_visit(*, case, user, agent=None, reason="", today=None) -> FieldVisit
    plan_visit(*, visit, user, planned_for, today=None) -> FieldVisit
    record_visit_result(*, visit, user, met_whom, place, agreement="", signed_acknowledgement=False,
                        cash_collected=0, loan=None, recording=None, recording_ref="",
                        safety_incident="", promise_amount=None, promise_date=None, now=None) -> FieldVisit
        an agreement with an amount and a date becomes a promise to pay (services.promises.take_promise,
        the same rules as a promise taken on the phone), linked to the visit
    request_visit_extension(*, visit, user, new_due_on, reason) -> ApprovalRequest

The field agent's list and whether a visit waits for an extension are reads: selectors.visits.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.roles import is_admin, is_supervisor_or_admin
from collections_app.models import (
    ApprovalKind,
    CaseStatus,
    CollectionCase,
    FieldVisit,
    Loan,
    Payment,
    VisitStatus,
)
from collections_app.services import promises
from collections_app.services.allocation import VISIT_WITHIN_WORKING_DAYS, add_working_days
from collections_app.services.approvals import request_approval
from collections_app.services.inputs import MONEY_LIMIT, text_errors
from collections_app.services.payments import record_payment
from collections_app.services.recordings import recording_errors

OPEN_VISIT_STATUSES = (VisitStatus.REQUESTED, VisitStatus.APPROVED, VisitStatus.PLANNED)
AGENT_VISIBLE_STATUSES = (VisitStatus.APPROVED, VisitStatus.PLANNED, VisitStatus.DONE)


def request_visit(*, case, user, agent=None, reason="", today=None) -> FieldVisit:
    """A collector asks for a field visit (handed to ``agent`` if given). A supervisor's or
    admin's request is approved at once; a collector's waits for approval (ApprovalRequest)."""
    today = today or timezone.localdate()
    if agent is not None and (agent.role != Role.FIELD_AGENT or not agent.is_active):
        raise ValidationError({"agent": _("Choose an active field agent.")})
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(_("This case is closed."))
    from collections_app.models import AgencyPlacement

    if AgencyPlacement.objects.filter(case_id=case.pk, recalled_on__isnull=True).exists():
        raise ValidationError(_("This case is with an outside agency: recall it before asking for a visit."))
    approved = is_supervisor_or_admin(user)
    with transaction.atomic():
        locked = CollectionCase.objects.select_for_update().get(pk=case.pk)
        if FieldVisit.objects.filter(case=locked, status__in=OPEN_VISIT_STATUSES).exists():
            raise ValidationError(_("This case already has an open field visit."))
        visit = FieldVisit.objects.create(
            case=locked,
            requested_by=user,
            agent=agent,
            status=VisitStatus.APPROVED if approved else VisitStatus.REQUESTED,
            address=(locked.borrower.address or "")[:300],
            reason=(reason or "")[:300],
            handed_over_on=today if agent is not None else None,
            due_on=add_working_days(today, VISIT_WITHIN_WORKING_DAYS) if agent is not None else None,
        )
        if agent is not None:
            CollectionCase.objects.filter(pk=locked.pk).update(field_agent=agent)
        if not approved:
            request_approval(kind=ApprovalKind.FIELD_VISIT, case=locked, user=user, reason=reason, payload={"visit_id": visit.pk})
    return visit


def _own_visit(visit, user):
    if not (is_admin(user) or visit.agent_id == user.pk or is_supervisor_or_admin(user)):
        raise PermissionDenied(_("This visit is not yours."))


def plan_visit(*, visit, user, planned_for, today=None) -> FieldVisit:
    _own_visit(visit, user)
    today = today or timezone.localdate()
    if isinstance(planned_for, str):
        try:
            planned_for = dt.date.fromisoformat(planned_for.strip())
        except ValueError:
            raise ValidationError({"planned_for": _("Enter a date as YYYY-MM-DD.")})
    if planned_for is None:
        raise ValidationError({"planned_for": _("Enter a date as YYYY-MM-DD.")})
    if planned_for < today:
        raise ValidationError({"planned_for": _("The planned date cannot be in the past.")})
    if visit.status not in (VisitStatus.APPROVED, VisitStatus.PLANNED):
        raise ValidationError(_("Only an approved visit can be planned."))
    visit.planned_for = planned_for
    visit.status = VisitStatus.PLANNED
    visit.save(update_fields=["planned_for", "status"])
    return visit


def _amount(value) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"cash_collected": _("Enter an amount such as 1500.00.")})
    if not amount.is_finite() or amount < 0:
        raise ValidationError({"cash_collected": _("The amount cannot be negative.")})
    if amount >= MONEY_LIMIT:
        raise ValidationError({"cash_collected": _("The amount is too large.")})
    return amount.quantize(Decimal("0.01"))


def record_visit_result(
    *,
    visit,
    user,
    met_whom,
    place,
    agreement="",
    signed_acknowledgement=False,
    cash_collected=0,
    loan=None,
    recording=None,
    recording_ref="",
    safety_incident="",
    promise_amount=None,
    promise_date=None,
    now=None,
) -> FieldVisit:
    """File the result; cash collected is recorded as a payment (source: field visit); an agreement
    with an amount and a date is taken as a promise to pay."""
    _own_visit(visit, user)
    now = now or timezone.now()
    errors = {}
    if not (met_whom or "").strip():
        errors["met_whom"] = [_("Say whom you met (or “nobody”).")]
    if not (place or "").strip():
        errors["place"] = [_("Say where the visit took place.")]
    if visit.status not in (VisitStatus.APPROVED, VisitStatus.PLANNED):
        errors["__all__"] = [_("This visit is not open.")]
    if recording and (problems := recording_errors(upload=recording)):
        errors["recording"] = problems
    errors.update(text_errors({"met_whom": (met_whom, 200), "place": (place, 300), "agreement": (agreement, None),
                               "recording_ref": (recording_ref, 200), "safety_incident": (safety_incident, None)}))
    amount, pdate = _promise_input(promise_amount, promise_date, errors)
    if errors:
        raise ValidationError(errors)
    cash = _amount(cash_collected)
    case = visit.case
    if cash > 0:
        if loan is None:
            loan = Loan.objects.filter(case=case).order_by("-dpd", "id").first()
        if loan is None or loan.case_id != case.pk:
            raise ValidationError({"loan": _("Choose the loan the cash was paid towards.")})
    with transaction.atomic():
        visit.met_whom = met_whom.strip()[:200]
        visit.place = place.strip()[:300]
        visit.agreement = agreement or ""
        visit.signed_acknowledgement = bool(signed_acknowledgement)
        visit.cash_collected = cash
        visit.recording_ref = (recording_ref or "")[:200]
        visit.safety_incident = safety_incident or ""
        if recording:
            visit.recording = recording
        visit.visited_at = now
        visit.status = VisitStatus.DONE
        if amount is not None:
            try:
                visit.promise = promises.take_promise(case=case, borrower=case.borrower, user=user, amount=amount,
                                                      date=pdate, now=now)
            except ValidationError as exc:
                raise ValidationError({PROMISE_FIELDS.get(k, k): v for k, v in exc.message_dict.items()})
        visit.save()
        if cash > 0:
            record_payment(
                loan=loan,
                external_id=f"VISIT-{visit.pk}",
                paid_on=timezone.localdate(now),
                amount=cash,
                channel="cash",
                note=_("Cash collected on field visit #%(id)s") % {"id": visit.pk},
                source=Payment.Source.FIELD,
                user=user,
            )
    if visit.signed_acknowledgement:  # an acknowledgement restarts the limitation period (docs/disputes.md)
        from collections_app.services.limitation import refresh_limitation_dates

        refresh_limitation_dates(case_ids=[visit.case_id])
    return visit


PROMISE_FIELDS = {"amount": "promise_amount", "promised_date": "promise_date", "case": "__all__"}


def _promise_input(amount, date, errors):
    """(amount, date) of the promise agreed at the visit, (None, None) when none; both are needed."""
    if amount in (None, "") and date in (None, ""):
        return None, None
    value = None
    if amount in (None, ""):
        errors["promise_amount"] = [_("A promise needs an amount.")]
    else:
        try:
            value = Decimal(str(amount).replace(",", "").strip())
        except (InvalidOperation, ValueError):
            errors["promise_amount"] = [_("Enter an amount such as 1500.00.")]
        else:
            if not value.is_finite() or value <= 0:
                errors["promise_amount"] = [_("The promised amount must be greater than zero.")]
                value = None
            else:
                value = value.quantize(Decimal("0.01"))
    day = None
    if date in (None, ""):
        errors["promise_date"] = [_("A promise needs a date.")]
    elif isinstance(date, dt.date):
        day = date
    else:
        try:
            day = dt.date.fromisoformat(str(date).strip())
        except ValueError:
            errors["promise_date"] = [_("Enter a date as YYYY-MM-DD.")]
    return value, day


def request_visit_extension(*, visit, user, new_due_on, reason):
    _own_visit(visit, user)
    if isinstance(new_due_on, str):
        try:
            new_due_on = dt.date.fromisoformat(new_due_on.strip())
        except ValueError:
            raise ValidationError({"new_due_on": _("Enter a date as YYYY-MM-DD.")})
    if new_due_on is None or (visit.due_on and new_due_on <= visit.due_on):
        raise ValidationError({"new_due_on": _("The new date must be after the current due date.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the visit needs more time.")})
    if visit.status not in (VisitStatus.APPROVED, VisitStatus.PLANNED):
        raise ValidationError(_("Only an open visit can be extended."))
    return request_approval(
        kind=ApprovalKind.VISIT_EXTENSION,
        case=visit.case,
        user=user,
        reason=reason.strip(),
        payload={"visit_id": visit.pk, "new_due_on": new_due_on.isoformat()},
    )
