"""What a supervisor needs to decide a request, read in a fixed number of queries: the amount of a
promise or settlement, the visit and the field agents to choose from (suggested first).

    approvals_visible_to(user, qs=None) -> QuerySet[ApprovalRequest]
    pending_with_details(user, visible) -> list[ApprovalRequest]
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db.models import Q

from accounts.roles import is_admin, is_supervisor_or_admin, visible_users
from collections_app.domain.compliance import stop_flag_label
from collections_app.models import ApprovalKind, ApprovalRequest, ApprovalStatus, FieldVisit, PromiseToPay
from collections_app.selectors.visibility import cases_visible_to
from collections_app.selectors.workload import field_agents_with_load, suggest_agents

RELATED = ("case__borrower", "case__lender", "case__assigned_to", "requested_by", "decided_by")
MONEY_KINDS = (ApprovalKind.SETTLEMENT, ApprovalKind.PROMISE_EXTENSION)
VISIT_KINDS = (ApprovalKind.FIELD_VISIT, ApprovalKind.VISIT_EXTENSION)


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


def _decimal(value) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() else None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def pending_with_details(user, visible) -> list:
    """The pending requests of ``visible`` (already limited to what ``user`` may decide), oldest
    first, each with ``amount`` / ``promised_date`` (promises and settlements), ``visit`` and, for
    a field visit, ``agent_choices`` (best first) and ``agent_choice_id`` (the visit's agent, else
    the suggestion)."""
    rows = list(visible.filter(status=ApprovalStatus.PENDING).select_related(*RELATED).order_by("created_at", "id"))
    money_ids = [a.id for a in rows if a.kind in MONEY_KINDS]
    promises = {}
    if money_ids:
        for p in PromiseToPay.objects.filter(approval_id__in=money_ids).order_by("id"):
            promises.setdefault(p.approval_id, p)
    visit_ids = {int(a.payload["visit_id"]) for a in rows
                 if a.kind in VISIT_KINDS and str((a.payload or {}).get("visit_id", "")).isdigit()}
    visits = FieldVisit.objects.select_related("agent").in_bulk(visit_ids) if visit_ids else {}
    agents = field_agents_with_load(user) if any(a.kind == ApprovalKind.FIELD_VISIT for a in rows) else []
    for a in rows:
        payload = a.payload or {}
        promise = promises.get(a.id)
        a.amount = promise.amount if promise else _decimal(payload.get("amount")) if a.kind in MONEY_KINDS else None
        a.promised_date = promise.promised_date if promise else _date(payload.get("promised_date"))
        vid = payload.get("visit_id")
        a.visit = visits.get(int(vid)) if str(vid or "").isdigit() else None
        a.flag_label = stop_flag_label(payload["flag"]) if a.kind == ApprovalKind.STOP_FLAG and payload.get("flag") else ""
        a.agent_choices, a.agent_choice_id = [], None
        if a.kind == ApprovalKind.FIELD_VISIT:
            region = a.case.borrower.region if a.case else ""
            a.agent_choices = suggest_agents(region, agents)
            if a.visit is not None and a.visit.agent_id:
                a.agent_choice_id = a.visit.agent_id
            elif a.agent_choices:
                a.agent_choice_id = a.agent_choices[0].agent.id
    return rows
