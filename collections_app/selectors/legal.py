"""Reads about litigation and recoveries after write-off (docs/litigation.md).

    case_legal_cases(case) -> list[LegalCase]
    open_legal_cases(user) -> list[LegalCase]
    legal_costs_by_lender_month(user, first, last) -> list[dict]
    write_off_recoveries(user, first, last) -> list[dict]
    after_write_off(payments) -> QuerySet
    escalation_timeline(case) -> list[tuple]
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DateField, F, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, TruncDate, TruncMonth

from collections_app.domain.agency import CENT
from collections_app.models import (
    AgencyPlacement,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    LegalCase,
    LegalCost,
    LegalStage,
    LegalStageChange,
    Payment,
)
from collections_app.selectors.visibility import cases_visible_to


def _cents(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def case_legal_cases(case) -> list[LegalCase]:
    """The case's legal cases with their stage changes, costs and documents (four queries)."""
    return list(
        LegalCase.objects.filter(case=case).prefetch_related(
            Prefetch("stage_changes", queryset=LegalStageChange.objects.select_related("by").order_by("at", "id")),
            Prefetch("costs", queryset=LegalCost.objects.order_by("incurred_on", "id")),
            "documents",
        ).order_by("-opened_on", "-id")[:10]
    )


def open_legal_cases(user) -> list[LegalCase]:
    visible = cases_visible_to(user).values("id")
    return list(
        LegalCase.objects.filter(case_id__in=visible).exclude(stage=LegalStage.CLOSED)
        .select_related("case__borrower", "case__lender").annotate(cost=Sum("costs__amount"))
        .order_by("opened_on", "id")[:500]
    )


def legal_costs_by_lender_month(user, first: dt.date, last: dt.date) -> list[dict]:
    """Legal costs incurred between ``first`` and ``last`` on the cases ``user`` sees, per lender
    and month: {lender, month, costs, total} — one aggregate query."""
    visible = cases_visible_to(user).values("id")
    rows = (
        LegalCost.objects.filter(legal_case__case_id__in=visible, incurred_on__gte=first, incurred_on__lte=last)
        .annotate(month=Cast(TruncMonth("incurred_on"), DateField()))
        .values("legal_case__case__lender__name", "month")
        .annotate(costs=Count("id"), total=Sum("amount"))
        .order_by("legal_case__case__lender__name", "month")
    )
    return [{"lender": r["legal_case__case__lender__name"], "month": r["month"], "costs": r["costs"],
             "total": _cents(r["total"])} for r in rows]


def after_write_off(payments: QuerySet) -> QuerySet:
    """Those of ``payments`` made on a written-off case on or after the day its write-off was
    approved (the first approved write-off), each with that day as ``written_off_on``."""
    written_off_on = Subquery(
        ApprovalRequest.objects.filter(case_id=OuterRef("loan__case_id"), kind=ApprovalKind.WRITE_OFF,
                                       status=ApprovalStatus.APPROVED)
        .order_by("decided_at").values("decided_at")[:1]
    )
    return (payments.filter(loan__case__written_off=True).annotate(written_off_on=TruncDate(written_off_on))
            .filter(written_off_on__isnull=False, paid_on__gte=F("written_off_on")))


def write_off_recoveries(user, first: dt.date, last: dt.date) -> list[dict]:
    """Payments made between ``first`` and ``last`` on written-off cases ``user`` sees, on or
    after the day the write-off was approved, per lender and month: {lender, month, payments,
    total} — one aggregate query. These recoveries are reported apart from the ordinary
    collections (账销案存)."""
    visible = cases_visible_to(user).values("id")
    rows = (
        after_write_off(Payment.objects.filter(loan__case_id__in=visible, paid_on__gte=first, paid_on__lte=last))
        .annotate(month=Cast(TruncMonth("paid_on"), DateField()))
        .values("lender__name", "month")
        .annotate(payments=Count("id"), total=Sum("amount"))
        .order_by("lender__name", "month")
    )
    return [{"lender": r["lender__name"], "month": r["month"], "payments": r["payments"],
             "total": _cents(r["total"])} for r in rows]


def escalation_timeline(case) -> list[tuple]:
    """(at, kind, label, text, who) for the case page's timeline: placements, recalls and legal
    stage changes (two queries)."""
    from django.utils.translation import gettext as _

    from collections_app.selectors.case_page import _start_of, _who

    items = []
    for p in AgencyPlacement.objects.filter(case=case).select_related("agency", "placed_by", "recalled_by")[:50]:
        items.append((_start_of(p.placed_on), "placement", _("Placed with %(agency)s") % {"agency": p.agency.name},
                      _("bucket %(bucket)s, rate %(rate)s, recall by %(day)s")
                      % {"bucket": p.bucket, "rate": p.commission_rate, "day": p.recall_on}, _who(p.placed_by)))
        if p.recalled_on:
            items.append((_start_of(p.recalled_on), "placement",
                          _("Recalled from %(agency)s") % {"agency": p.agency.name}, p.get_recall_reason_display(),
                          _who(p.recalled_by)))
    for ch in LegalStageChange.objects.filter(legal_case__case=case).select_related("by", "legal_case")[:100]:
        items.append((_start_of(ch.on), "legal", _("Litigation: %(stage)s") % {"stage": ch.get_to_stage_display()},
                      " ".join(x for x in (ch.legal_case.case_number, ch.note) if x), _who(ch.by)))
    return items
