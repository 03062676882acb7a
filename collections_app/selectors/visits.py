"""The field agent's visit cards: each visit with its loans, the borrower's phone (masked for roles
that may not see it in full; a full view is recorded), a map link for the address, and whether the
visit is overdue or planned after its due date. A fixed number of queries for any number of visits.

    agent_visits(user, *, today=None) -> QuerySet[FieldVisit]
    visit_cards(user, *, today) -> list[FieldVisit]   (each with ``phone_shown``: the view records it)
    pending_extension(visit) -> bool
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from accounts.roles import can_see_full_pii, is_admin, mask_phone
from collections_app.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    ContactKind,
    ContactPoint,
    ContactStatus,
    FieldVisit,
    Loan,
    Relation,
    VisitStatus,
)

# Amap (高德) search by default: it works in mainland China; override with settings.MAP_SEARCH_URL
MAP_SEARCH_URL = "https://uri.amap.com/search?keyword={query}"
OPEN = (VisitStatus.APPROVED, VisitStatus.PLANNED)
UNUSABLE = (ContactStatus.WRONG, ContactStatus.DISCONNECTED)
LIMIT = 200


def map_url(address: str) -> str:
    address = (address or "").strip()
    if not address:
        return ""
    template = getattr(settings, "MAP_SEARCH_URL", "") or MAP_SEARCH_URL
    return template.format(query=quote(address, safe=""))


def _phones(borrower_ids) -> dict[int, str]:
    """The borrower's own best phone: primary first, unusable numbers never."""
    out: dict[int, str] = {}
    rows = (
        ContactPoint.objects.filter(borrower_id__in=borrower_ids, kind=ContactKind.PHONE, relation=Relation.SELF)
        .exclude(status__in=UNUSABLE)
        .order_by("borrower_id", "-is_primary", "id")
        .values_list("borrower_id", "value")
    )
    for borrower_id, value in rows:
        out.setdefault(borrower_id, value)
    return out


def agent_visits(user, *, today=None):
    """The field agent's list: approved and planned visits (overdue first), then recent results."""
    today = today or timezone.localdate()
    qs = FieldVisit.objects.select_related("case", "case__borrower", "case__lender")
    if not is_admin(user):
        qs = qs.filter(agent=user)
    return (
        qs.filter(Q(status__in=(VisitStatus.APPROVED, VisitStatus.PLANNED)) | Q(status=VisitStatus.DONE, visited_at__date__gte=today - dt.timedelta(days=14)))
        .annotate(
            overdue_rank=Case(
                When(Q(status__in=(VisitStatus.APPROVED, VisitStatus.PLANNED)) & Q(due_on__lt=today), then=Value(0)),
                When(status__in=(VisitStatus.APPROVED, VisitStatus.PLANNED), then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("overdue_rank", "due_on", "id")
    )


def visit_cards(user, *, today) -> list:
    visits = list(agent_visits(user, today=today)[:LIMIT])
    case_ids = {v.case_id for v in visits}
    loans_by_case: dict[int, list] = {}
    for loan in Loan.objects.filter(case_id__in=case_ids).order_by("-dpd", "external_id"):
        loans_by_case.setdefault(loan.case_id, []).append(loan)
    full = can_see_full_pii(user)
    phones = _phones({v.case.borrower_id for v in visits})
    for v in visits:
        v.is_open = v.status in OPEN
        v.is_overdue = v.is_open and v.due_on is not None and v.due_on < today
        v.planned_late = v.is_open and bool(v.planned_for and v.due_on and v.planned_for > v.due_on)
        v.loans = loans_by_case.get(v.case_id, [])
        phone = phones.get(v.case.borrower_id, "")
        v.phone_display = phone if full else mask_phone(phone)
        v.phone_dial = phone if full else ""
        v.phone_shown = bool(full and phone and v.is_open)  # the view records it (services.personal_data)
        v.address_display = v.address or v.case.borrower.address or ""
        v.map_url = map_url(v.address_display)
    return visits


def pending_extension(visit) -> bool:
    return ApprovalRequest.objects.filter(
        kind=ApprovalKind.VISIT_EXTENSION, status=ApprovalStatus.PENDING, payload__visit_id=visit.pk
    ).exists()
