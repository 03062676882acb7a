"""Approvals (特别程序需主管批准): a request by one person, a decision by a supervisor or admin who
is not the requester (the database refuses it too). Approving applies the effect where it is simple.

    request_approval(kind, case, user, reason="", payload=None) -> ApprovalRequest
    decide(approval, user, approve, note="") -> ApprovalRequest
    approvals_visible_to(user, qs=None) -> QuerySet
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import cases_visible_to, is_admin, is_supervisor_or_admin, visible_users
from collections_app.models import (
    ActionKind,
    ActionStatus,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    CaseAction,
    FieldVisit,
    Letter,
    LetterStatus,
    Loan,
    LoanStatus,
    PromiseStatus,
    PromiseToPay,
    VisitStatus,
)

# Approving these opens the matching action on the case (unless the strategy already made one
# that waited for this approval): the case's bucket/stage stay the engine's.
ACTION_ON_APPROVAL = {ApprovalKind.AGENCY: ActionKind.AGENCY, ApprovalKind.LITIGATION: ActionKind.LITIGATION}


def approvals_visible_to(user, qs=None):
    """Admins see every request; a supervisor those on cases they see or made by their teams."""
    if qs is None:
        qs = ApprovalRequest.objects.all()
    if is_admin(user):
        return qs
    if not is_supervisor_or_admin(user):
        return qs.filter(requested_by=user)
    return qs.filter(
        Q(case__in=cases_visible_to(user).values("id")) | Q(requested_by__in=visible_users(user).values("id"))
    )


def request_approval(kind, case, user, reason="", payload=None) -> ApprovalRequest:
    """Ask for a supervisor's approval. One pending request per case and kind."""
    if kind not in ApprovalKind.values:
        raise ValidationError({"kind": _("Unknown approval kind.")})
    payload = dict(payload or {})
    if kind == ApprovalKind.VISIT_EXTENSION:
        if not payload.get("visit_id") or not payload.get("new_due_on"):
            raise ValidationError({"payload": _("A visit extension needs the visit and the new due date.")})
        try:
            dt.date.fromisoformat(str(payload["new_due_on"]))
        except ValueError:
            raise ValidationError({"payload": _("The new due date must be YYYY-MM-DD.")})
    with transaction.atomic():
        if case is not None and ApprovalRequest.objects.filter(
            case=case, kind=kind, status=ApprovalStatus.PENDING
        ).exists():
            raise ValidationError(_("A request of this kind is already waiting for a decision on this case."))
        approval = ApprovalRequest(kind=kind, case=case, requested_by=user, reason=reason or "", payload=payload)
        approval.full_clean()
        approval.save()
        visit_id = payload.get("visit_id")
        if kind == ApprovalKind.LETTER and payload.get("letter_id"):
            Letter.objects.filter(id=payload["letter_id"], case=case).update(
                approval=approval, status=LetterStatus.AWAITING_APPROVAL
            )
        if kind in (ApprovalKind.SETTLEMENT, ApprovalKind.PROMISE_EXTENSION) and payload.get("promise_id"):
            PromiseToPay.objects.filter(id=payload["promise_id"], case=case).update(approval=approval)
        if kind == ApprovalKind.FIELD_VISIT and visit_id:
            FieldVisit.objects.filter(id=visit_id, case=case).update(status=VisitStatus.REQUESTED)
        return approval


def decide(approval, user, approve: bool, note="", now=None) -> ApprovalRequest:
    """Approve or reject a pending request. Maker ≠ checker; only supervisors and admins decide,
    and a supervisor only on their teams' requests. Recorded with history."""
    if not is_supervisor_or_admin(user):
        raise PermissionDenied(_("Only supervisors and admins can decide approval requests."))
    if not approvals_visible_to(user).filter(id=approval.id).exists():
        raise PermissionDenied(_("This request belongs to another team."))
    now = now or timezone.now()
    with transaction.atomic():
        current = ApprovalRequest.objects.select_for_update().get(id=approval.id)
        if current.status != ApprovalStatus.PENDING:
            raise ValidationError(_("This request has already been decided."))
        if current.requested_by_id == user.id:
            raise ValidationError(_("You cannot decide your own request; another supervisor must."))
        if not approve and not (note or "").strip():
            raise ValidationError({"note": _("Say why the request is rejected.")})
        current.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        current.decided_by = user
        current.decided_at = now
        current.decision_note = note or ""
        current._change_reason = "approved" if approve else "rejected"
        current.save()
        _apply(current, approve, user, now)
    approval.refresh_from_db()
    return approval


def _apply(approval: ApprovalRequest, approve: bool, user, now) -> None:
    """The effect of a decision. Saves go through the models so their history records the change."""
    payload = approval.payload or {}
    case = approval.case
    linked_actions = CaseAction.objects.filter(approval=approval, status=ActionStatus.AWAITING_APPROVAL).update(
        status=ActionStatus.OPEN if approve else ActionStatus.CANCELLED
    )
    kind = approval.kind
    if kind in (ApprovalKind.FIELD_VISIT, ApprovalKind.VISIT_EXTENSION) and payload.get("visit_id"):
        visit = FieldVisit.objects.filter(id=payload["visit_id"]).first()
        if visit is None:
            return
        if kind == ApprovalKind.FIELD_VISIT:
            if approve and visit.status == VisitStatus.REQUESTED:
                from collections_app.services.allocation import VISIT_WITHIN_WORKING_DAYS, add_working_days

                today = timezone.localdate(now)
                visit.status = VisitStatus.APPROVED
                visit.handed_over_on = visit.handed_over_on or today
                visit.due_on = visit.due_on or add_working_days(today, VISIT_WITHIN_WORKING_DAYS)
                visit.save()
            elif not approve and visit.status == VisitStatus.REQUESTED:
                visit.status = VisitStatus.CANCELLED
                visit.save()
        elif approve:
            visit.due_on = dt.date.fromisoformat(str(payload["new_due_on"]))
            visit.save()
        return
    if kind == ApprovalKind.LETTER:
        for letter in Letter.objects.filter(approval=approval, status=LetterStatus.AWAITING_APPROVAL):
            letter.status = LetterStatus.DRAFT if approve else LetterStatus.CANCELLED
            letter.save()
        return
    if kind in (ApprovalKind.SETTLEMENT, ApprovalKind.PROMISE_EXTENSION):
        if not approve:
            for promise in PromiseToPay.objects.filter(approval=approval, status=PromiseStatus.PENDING):
                promise.status = PromiseStatus.CANCELLED
                promise.resolved_on = timezone.localdate(now)
                promise.save()
        return
    if not approve or case is None:
        return
    if kind in ACTION_ON_APPROVAL:
        if not linked_actions:
            CaseAction.objects.get_or_create(
                case=case,
                rule_code="approval",
                occurrence_key=f"approval-{approval.id}",
                defaults={"kind": ACTION_ON_APPROVAL[kind], "due_on": timezone.localdate(now), "approval": approval,
                          "status": ActionStatus.OPEN, "note": (approval.reason or "")[:300]},
            )
    elif kind == ApprovalKind.WRITE_OFF:
        # 账销案存: written off in the books, still pursued — the case stays open.
        case.written_off = True
        case.save()
        for loan in Loan.objects.filter(case=case, status=LoanStatus.OPEN):
            loan.status = LoanStatus.WRITTEN_OFF
            loan.save()
