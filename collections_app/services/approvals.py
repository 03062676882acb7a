"""Approvals (特别程序需主管批准): a request by one person, a decision by a supervisor or admin who
is not the requester (the database refuses it too). Approving applies the effect where it is simple.

    request_approval(*, kind, case, user, reason="", payload=None) -> ApprovalRequest
    decide(*, approval, user, approve, note="", now=None, agent=None) -> ApprovalRequest

Which requests a user sees is a read: selectors.approvals.approvals_visible_to.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.roles import is_admin, is_supervisor_or_admin, visible_users
from collections_app.models import (
    ActionKind,
    ActionStatus,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    CaseAction,
    CollectionCase,
    FieldVisit,
    Letter,
    LetterStatus,
    Loan,
    LoanStatus,
    PromiseStatus,
    PromiseToPay,
    VisitStatus,
)
from collections_app.selectors.approvals import approvals_visible_to
from collections_app.services.allocation import OPEN_VISIT_STATUSES, VISIT_WITHIN_WORKING_DAYS, add_working_days
from collections_app.services.stop_flags import lift_stop_flag

# Approving these opens the matching action on the case (unless the strategy already made one
# that waited for this approval): the case's bucket/stage stay the engine's.
ACTION_ON_APPROVAL = {ApprovalKind.AGENCY: ActionKind.AGENCY, ApprovalKind.LITIGATION: ActionKind.LITIGATION}


def request_approval(
    *, kind: str, case: CollectionCase | None, user: User, reason: str = "", payload: dict | None = None
) -> ApprovalRequest:
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
        approval.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():  # a concurrent request of the same kind won: the constraint says so
                approval.save()
        except IntegrityError:
            raise ValidationError(_("A request of this kind is already waiting for a decision on this case."))
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


def _check_agent(agent, user):
    """The field agent chosen when approving a visit: an active field agent the decider may direct."""
    if agent is None:
        return
    if agent.role != Role.FIELD_AGENT or not agent.is_active:
        raise ValidationError({"agent": _("Choose an active field agent.")})
    if not is_admin(user) and not visible_users(user).filter(id=agent.id).exists():
        raise PermissionDenied(_("You can only hand visits to field agents of your teams."))


def decide(
    *, approval: ApprovalRequest, user: User, approve: bool, note: str = "", now: dt.datetime | None = None,
    agent: User | None = None,
) -> ApprovalRequest:
    """Approve or reject a pending request. Maker ≠ checker; only supervisors and admins decide,
    and a supervisor only on their teams' requests. Recorded with history.

    Approving a field visit hands it to a field agent: ``agent``, else the one the requester chose;
    with neither the approval is refused (a visit nobody is sent on would never happen)."""
    if not is_supervisor_or_admin(user):
        raise PermissionDenied(_("Only supervisors and admins can decide approval requests."))
    if not approvals_visible_to(user).filter(id=approval.id).exists():
        raise PermissionDenied(_("This request belongs to another team."))
    _check_agent(agent, user)
    now = now or timezone.now()
    with transaction.atomic():
        current = ApprovalRequest.objects.select_for_update().get(id=approval.id)
        if current.status != ApprovalStatus.PENDING:
            raise ValidationError(_("This request has already been decided."))
        if current.requested_by_id == user.id:
            raise ValidationError(_("You cannot decide your own request; another supervisor must."))
        if not approve and not (note or "").strip():
            raise ValidationError({"note": _("Say why the request is rejected.")})
        if current.kind == ApprovalKind.SETTLEMENT:
            from collections_app.services.settlements.decisions import check_decider

            check_decider(approval=current, user=user)
        current.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        current.decided_by = user
        current.decided_at = now
        current.decision_note = note or ""
        current._change_reason = "approved" if approve else "rejected"
        current.save()
        _apply(current, approve, user, now, agent)
    approval.refresh_from_db()
    return approval


def _decide_actions(approval: ApprovalRequest, approve: bool, user, now) -> int:
    """The strategy's actions waiting for this approval: granted, each opens (superseding an open
    action of its kind on the case: one open action of each kind); refused, they are skipped by the
    decider. The cases' next action follows (services.actions)."""
    from collections_app.services import actions as action_service

    waiting = list(CaseAction.objects.filter(approval=approval, status=ActionStatus.AWAITING_APPROVAL)
                   .values_list("id", "case_id", "kind"))
    if not waiting:
        return 0
    if not approve:
        return action_service.end_actions(actions=CaseAction.objects.filter(id__in=[w[0] for w in waiting]),
                                          status=ActionStatus.SKIPPED, by=user, how=_("approval refused"), now=now)
    for action_id, case_id, kind in waiting:  # one action per approval request
        action_service.supersede_open_of_kind(case_id=case_id, kind=kind, now=now, exclude_id=action_id)
    count = CaseAction.objects.filter(id__in=[w[0] for w in waiting], status=ActionStatus.AWAITING_APPROVAL).update(
        status=ActionStatus.OPEN)
    action_service.refresh_next_actions(case_ids={w[1] for w in waiting})
    return count


def _apply(approval: ApprovalRequest, approve: bool, user, now, agent=None) -> None:
    """The effect of a decision. Saves go through the models so their history records the change."""
    payload = approval.payload or {}
    case = approval.case
    linked_actions = _decide_actions(approval, approve, user, now)
    kind = approval.kind
    if kind == ApprovalKind.FIELD_VISIT:
        _apply_field_visit(approval, approve, now, agent)
        return
    if kind == ApprovalKind.STOP_FLAG:
        # approved: the stop stays; rejected: the flag is lifted, the note saying why
        flag = payload.get("flag")
        if not approve and case is not None and flag and getattr(case.borrower, flag, False):
            lift_stop_flag(borrower=case.borrower, flag=flag, user=user, reason=approval.decision_note, now=now)
        return
    if kind == ApprovalKind.VISIT_EXTENSION and payload.get("visit_id"):
        visit = FieldVisit.objects.filter(id=payload["visit_id"]).first()
        if visit is not None and approve:
            visit.due_on = dt.date.fromisoformat(str(payload["new_due_on"]))
            visit.save()
        return
    if kind == ApprovalKind.LETTER:
        for letter in Letter.objects.filter(approval=approval, status=LetterStatus.AWAITING_APPROVAL):
            letter.status = LetterStatus.DRAFT if approve else LetterStatus.CANCELLED
            letter.save()
        return
    if kind == ApprovalKind.SETTLEMENT:
        from collections_app.services.settlements.decisions import apply_decision

        if apply_decision(approval=approval, approve=approve, user=user):  # an offer or a payment plan (docs/settlements.md)
            return
    if kind in (ApprovalKind.SETTLEMENT, ApprovalKind.PROMISE_EXTENSION):
        if not approve:
            for promise in PromiseToPay.objects.filter(approval=approval, status=PromiseStatus.PENDING):
                promise.status = PromiseStatus.CANCELLED
                promise.resolved_on = timezone.localdate(now)
                promise.save()
        return
    if kind == ApprovalKind.AGENCY and payload.get("agency_id"):
        # a placement request (one case or a bulk selection): the cases go to the agency
        if approve:
            from collections_app.services.agency import apply_placement

            apply_placement(approval=approval, user=user)  # on the business date
        return
    if not approve or case is None:
        return
    if kind == ApprovalKind.LITIGATION:
        from collections_app.services.legal import open_legal_case

        open_legal_case(approval=approval)  # on the business date
    if kind in ACTION_ON_APPROVAL:
        if not linked_actions:
            from collections_app.services.actions import refresh_next_actions, supersede_open_of_kind

            supersede_open_of_kind(case_id=case.pk, kind=ACTION_ON_APPROVAL[kind], now=now)
            CaseAction.objects.get_or_create(
                case=case,
                rule_code="approval",
                occurrence_key=f"approval-{approval.id}",
                defaults={"kind": ACTION_ON_APPROVAL[kind], "due_on": timezone.localdate(now), "approval": approval,
                          "status": ActionStatus.OPEN, "note": (approval.reason or "")[:300]},
            )
            refresh_next_actions(case_ids=[case.pk])
    elif kind == ApprovalKind.WRITE_OFF:
        # 账销案存: written off in the books, still pursued — the case stays open.
        case.written_off = True
        case.save(update_fields=["written_off", "updated_at"])
        for loan in Loan.objects.filter(case=case, status=LoanStatus.OPEN):
            loan.status = LoanStatus.WRITTEN_OFF
            loan.save()


def _apply_field_visit(approval: ApprovalRequest, approve: bool, now, agent) -> None:
    """Approved: the visit (the requested one, or a new one for a strategy's proposal) goes to the
    agent, due within 2 working days, and the case's field agent is set so the agent sees it.
    Rejected: the requested visit is cancelled."""
    case = approval.case
    visit_id = (approval.payload or {}).get("visit_id")
    visit = FieldVisit.objects.filter(id=visit_id).first() if visit_id else None
    if visit is None and case is not None:
        visit = FieldVisit.objects.filter(case=case, status__in=OPEN_VISIT_STATUSES).order_by("id").first()
    if not approve:
        if visit is not None and visit_id and visit.status == VisitStatus.REQUESTED:
            visit.status = VisitStatus.CANCELLED
            visit.save()
        return
    chosen = agent or (visit.agent if visit is not None else None)
    if chosen is None:
        raise ValidationError({"agent": _("Choose the field agent who makes the visit.")})
    today = timezone.localdate(now)
    if visit is None:
        if case is None:
            return
        visit = FieldVisit(case=case, requested_by=approval.requested_by, address=(case.borrower.address or "")[:300],
                           reason=(approval.reason or "")[:300])
    if visit.status not in (VisitStatus.REQUESTED, VisitStatus.APPROVED, VisitStatus.PLANNED):
        return
    if visit.status == VisitStatus.REQUESTED:
        visit.status = VisitStatus.APPROVED
    if visit.agent_id != chosen.id:
        visit.agent = chosen
        visit.handed_over_on = today
        visit.due_on = add_working_days(today, VISIT_WITHIN_WORKING_DAYS)
    visit.handed_over_on = visit.handed_over_on or today
    visit.due_on = visit.due_on or add_working_days(today, VISIT_WITHIN_WORKING_DAYS)
    visit.save()
    CollectionCase.objects.filter(pk=visit.case_id).exclude(field_agent=chosen).update(field_agent=chosen)
