"""Agency placement (委外): placing cases with an outside agency through approval, recalling them,
and attributing the payments made meanwhile to the agency (docs/agency.md).

    request_placement(*, user, agency, case=None, filters=None, recall_on=None, reason="") -> ApprovalRequest
    apply_placement(*, approval, user, today=None) -> int        (approvals.decide, on approval)
    recall_placement(*, placement, user, today=None) -> AgencyPlacement
    recall_due(*, today=None) -> dict                            (the daily beat task)
    attribute_payments(*, loan_ids=None) -> int
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.roles import can_assign, is_agency_user, is_supervisor_or_admin
from collections_app.domain.actions import PLACED, system_how
from collections_app.domain.agency import rate_for_bucket
from collections_app.models import (
    ActionKind,
    ActionStatus,
    Agency,
    AgencyPlacement,
    ApprovalKind,
    ApprovalRequest,
    CaseAction,
    CaseStatus,
    CollectionCase,
    FieldVisit,
    Payment,
    PlacementPayment,
    RecallReason,
    VisitStatus,
)
from collections_app.selectors.agency import PlacementFilters, placeable_cases
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.visibility import cases_visible_to

OPEN_VISITS = (VisitStatus.REQUESTED, VisitStatus.APPROVED, VisitStatus.PLANNED)
MAX_BULK = 20000


def check_agency_open(agency: Agency, on: dt.date) -> None:
    """An agency takes cases only while active and under contract on ``on``."""
    if not agency.is_active:
        raise ValidationError({"agency": _("%(name)s is not active.") % {"name": agency.name}})
    if on < agency.contract_start or (agency.contract_end is not None and on > agency.contract_end):
        raise ValidationError({"agency": _("%(name)s has no contract in force on %(day)s.")
                               % {"name": agency.name, "day": on.isoformat()}})


def _recall_date(agency: Agency, placed_on: dt.date, wanted: dt.date | None) -> dt.date:
    if wanted is not None and wanted > placed_on:
        return wanted
    return placed_on + dt.timedelta(days=agency.placement_days)


def request_placement(*, user, agency: Agency, case: CollectionCase | None = None,
                      filters: PlacementFilters | None = None, recall_on: dt.date | None = None,
                      reason: str = "") -> ApprovalRequest:
    """Ask for one case (``case``) or every case matching ``filters`` (supervisors and admins) to
    be placed with ``agency``. One approval covers the whole selection, fixed now; the placement
    happens when a supervisor or admin other than ``user`` approves it."""
    from collections_app.services.approvals import request_approval

    if is_agency_user(user):
        raise PermissionDenied(_("Agency users cannot place cases."))
    today = business_date()
    check_agency_open(agency, today)
    if recall_on is not None and recall_on <= today:
        raise ValidationError({"recall_on": _("The recall date must be after today.")})
    if case is not None:
        ids = list(placeable_cases(user, PlacementFilters()).filter(pk=case.pk).values_list("id", flat=True))
        if not ids:
            raise ValidationError(_("This case is not open or is already placed with an agency."))
        selection = {}
    else:
        if not can_assign(user):
            raise PermissionDenied(_("Only supervisors and admins place cases in bulk."))
        filters = filters or PlacementFilters()
        ids = list(placeable_cases(user, filters).order_by("id").values_list("id", flat=True)[:MAX_BULK + 1])
        if not ids:
            raise ValidationError(_("No open case that is not placed already matches this selection."))
        if len(ids) > MAX_BULK:
            raise ValidationError(_("Select at most %(n)s cases at once.") % {"n": MAX_BULK})
        selection = filters.as_payload()
    payload = {"agency_id": agency.id, "agency": agency.name, "case_ids": ids, "filters": selection,
               "recall_on": recall_on.isoformat() if recall_on else ""}
    return request_approval(kind=ApprovalKind.AGENCY, case=case, user=user, reason=reason, payload=payload)


def apply_placement(*, approval: ApprovalRequest, user, today: dt.date | None = None) -> int:
    """The approved placement: each case of the request still open and not placed goes to the
    agency today at the rate for the bucket it is in now; its open field visits are cancelled and
    the strategy's open agency proposal is done. Set-based: a handful of statements however many
    cases. Returns the number placed."""
    payload = approval.payload or {}
    agency = Agency.objects.filter(pk=payload.get("agency_id")).prefetch_related("rates").first()
    if agency is None:
        raise ValidationError({"agency": _("The agency of this request no longer exists.")})
    today = today or business_date()
    check_agency_open(agency, today)
    wanted = dt.date.fromisoformat(payload["recall_on"]) if payload.get("recall_on") else None
    recall_on = _recall_date(agency, today, wanted)
    rates = {r.bucket: r.rate for r in agency.rates.all()}
    locked = list(
        CollectionCase.objects.filter(id__in=[int(i) for i in payload.get("case_ids", [])], status=CaseStatus.OPEN)
        .select_for_update(of=("self",)).order_by("id").values_list("id", "bucket")
    )
    # read after the case rows are locked: a placement another approval committed meanwhile is seen
    already = set(AgencyPlacement.objects.filter(case_id__in=[cid for cid, _b in locked], recalled_on__isnull=True)
                  .values_list("case_id", flat=True))
    cases = [(cid, bucket) for cid, bucket in locked if cid not in already]
    if not cases:
        return 0
    rows = [
        AgencyPlacement(case_id=case_id, agency=agency, bucket=bucket,
                        commission_rate=rate_for_bucket(bucket, rates, agency.default_rate),
                        placed_on=today, recall_on=recall_on, approval=approval,
                        placed_by=approval.requested_by or user)
        for case_id, bucket in cases
    ]
    bulk_create_with_history(rows, AgencyPlacement, batch_size=1000, default_change_reason="placed")
    ids = [case_id for case_id, _bucket in cases]
    visits = list(FieldVisit.objects.filter(case_id__in=ids, status__in=OPEN_VISITS))
    for visit in visits:
        visit.status = VisitStatus.CANCELLED
    if visits:
        bulk_update_with_history(visits, FieldVisit, ["status"], batch_size=1000,
                                 default_change_reason="placed with an agency")
    from collections_app.services.actions import end_actions

    now = timezone.now()
    end_actions(actions=CaseAction.objects.filter(case_id__in=ids, kind=ActionKind.AGENCY, status=ActionStatus.OPEN),
                status=ActionStatus.DONE, by=user, how=_("placed with an agency"), now=now)
    # the agency works the case now: the strategy's other open actions no longer apply (docs/agency.md)
    end_actions(actions=CaseAction.objects.filter(case_id__in=ids, status=ActionStatus.OPEN),
                status=ActionStatus.SUPERSEDED, how=system_how(PLACED), now=now)
    return len(rows)


def recall_placement(*, placement: AgencyPlacement, user, today: dt.date | None = None) -> AgencyPlacement:
    """Recall a case from its agency by hand (a supervisor or admin who sees the case). The case
    returns to the internal queues at once."""
    if not is_supervisor_or_admin(user):
        raise PermissionDenied(_("Only supervisors and admins recall cases."))
    if not cases_visible_to(user).filter(pk=placement.case_id).exists():
        raise PermissionDenied(_("This case belongs to another team."))
    today = today or business_date()
    with transaction.atomic():
        current = AgencyPlacement.objects.select_for_update().get(pk=placement.pk)
        if current.recalled_on is not None:
            raise ValidationError(_("This case was already recalled."))
        attribute_payments(case_ids=[current.case_id])
        current.recalled_on = max(today, current.placed_on)
        current.recall_reason = RecallReason.BY_HAND
        current.recalled_by = user
        current._change_reason = "recalled by hand"
        current.save()
    return current


def recall_due(*, today: dt.date | None = None) -> dict:
    """The daily sweep (beat): attribute payments not attributed yet, then recall every placement
    whose planned recall date has come (recalled on that date) and every placement whose case has
    closed (recalled today). Safe to run twice and to kill midway: it only acts on placements not
    recalled yet, in one transaction."""
    today = today or business_date()
    with transaction.atomic():
        attributed = attribute_payments()
        due = list(
            AgencyPlacement.objects.filter(recalled_on__isnull=True)
            .filter(Q(recall_on__lte=today) | Q(case__status=CaseStatus.CLOSED))
            .select_for_update(of=("self",)).select_related("case")
        )
        for p in due:
            if p.recall_on <= today:
                p.recalled_on, p.recall_reason = p.recall_on, RecallReason.RECALL_DATE
            else:
                p.recalled_on, p.recall_reason = max(today, p.placed_on), RecallReason.CASE_CLOSED
        if due:
            bulk_update_with_history(due, AgencyPlacement, ["recalled_on", "recall_reason"], batch_size=1000,
                                     default_change_reason="recalled")
    return {"attributed": attributed, "recalled": len(due)}


def attribute_payments(*, loan_ids=None, case_ids=None) -> int:
    """Link each payment not yet attributed to the placement its borrower's case with that lender
    was in on the day it was paid (domain.agency.in_placement). One read and one bulk insert;
    repeating it links nothing twice (a payment has at most one link)."""
    window = AgencyPlacement.objects.filter(
        case__borrower_id=OuterRef("loan__borrower_id"), case__lender_id=OuterRef("lender_id"),
        placed_on__lte=OuterRef("paid_on"),
    ).filter(Q(recalled_on__isnull=True) | Q(recalled_on__gt=OuterRef("paid_on"))).order_by("-placed_on", "-id")
    earliest = AgencyPlacement.objects.order_by("placed_on").values_list("placed_on", flat=True).first()
    if earliest is None:
        return 0
    qs = Payment.objects.filter(paid_on__gte=earliest, placement_link__isnull=True)
    if loan_ids is not None:
        qs = qs.filter(loan_id__in=list(loan_ids))
    if case_ids is not None:
        qs = qs.filter(loan__case_id__in=list(case_ids))
    rows = list(qs.annotate(pid=Subquery(window.values("id")[:1])).filter(pid__isnull=False)
                .values_list("id", "pid"))
    links = PlacementPayment.objects.bulk_create(
        [PlacementPayment(payment_id=pay, placement_id=pid) for pay, pid in rows], batch_size=2000,
        ignore_conflicts=True,
    )
    return len(links)
