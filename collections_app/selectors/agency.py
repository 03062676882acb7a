"""Reads about agencies and placements (docs/agency.md).

    active_placement(outer="pk") -> Exists      a case queryset's "placed with an agency now"
    not_placed(qs) -> QuerySet                 the cases of ``qs`` that no agency works now
    placed_with(agency_id, qs) -> QuerySet     the cases of ``qs`` placed with that agency now
    placements_visible_to(user, qs=None) -> QuerySet
    placeable_cases(user, filters) -> QuerySet
    commission_statement(user, agency, month) -> Statement
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from collections_app.domain.agency import CENT, commission, month_bounds
from collections_app.models import (
    Agency,
    AgencyPlacement,
    CaseStatus,
    CollectionCase,
    PlacementPayment,
)
from collections_app.selectors.visibility import cases_visible_to

ZERO = Decimal("0")


def active_placement(outer: str = "pk", agency_id: int | None = None) -> Exists:
    qs = AgencyPlacement.objects.filter(case_id=OuterRef(outer), recalled_on__isnull=True)
    if agency_id is not None:
        qs = qs.filter(agency_id=agency_id)
    return Exists(qs)


def not_placed(qs: QuerySet) -> QuerySet:
    """Cases no agency works now: what the internal queues, allocation and visits work on."""
    return qs.exclude(active_placement())


def placed_with(agency_id: int | None, qs: QuerySet) -> QuerySet:
    """The cases of ``qs`` placed with agency ``agency_id`` now (what its users see)."""
    if agency_id is None:
        return qs.none()
    return qs.filter(active_placement(agency_id=agency_id))


def placements_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Placements of the cases ``user`` may see (an agency user: only its own agency's active ones)."""
    if qs is None:
        qs = AgencyPlacement.objects.all()
    qs = qs.filter(case_id__in=cases_visible_to(user).values("id"))
    if getattr(user, "agency_id", None):
        qs = qs.filter(agency_id=user.agency_id, recalled_on__isnull=True)
    return qs


@dataclass
class PlacementFilters:
    """The selection of a bulk placement. Empty fields select everything."""

    bucket: str = ""
    lender_id: int | None = None
    team_id: int | None = None
    dpd_min: int | None = None
    dpd_max: int | None = None

    def as_payload(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def placeable_cases(user, filters: PlacementFilters) -> QuerySet:
    """Open cases ``user`` may see that match ``filters`` and no agency works now."""
    qs = cases_visible_to(user, CollectionCase.objects.filter(status=CaseStatus.OPEN))
    if filters.bucket:
        qs = qs.filter(bucket=filters.bucket)
    if filters.lender_id:
        qs = qs.filter(lender_id=filters.lender_id)
    if filters.team_id:
        qs = qs.filter(team_id=filters.team_id)
    if filters.dpd_min is not None:
        qs = qs.filter(dpd__gte=filters.dpd_min)
    if filters.dpd_max is not None:
        qs = qs.filter(dpd__lte=filters.dpd_max)
    return not_placed(qs)


def agencies_overview(user) -> list[Agency]:
    """Every agency with ``active`` (cases it works now, among those ``user`` sees) — one query."""
    visible = cases_visible_to(user).values("id")
    return list(
        Agency.objects.prefetch_related("rates").annotate(
            active=Count("placements", filter=Q(placements__recalled_on__isnull=True,
                                                 placements__case_id__in=visible)),
        ).order_by("name")
    )


@dataclass
class StatementLine:
    bucket: str
    rate: Decimal
    payments: int
    collected: Decimal
    commission: Decimal


@dataclass
class Statement:
    agency: Agency
    first: dt.date
    last: dt.date
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def collected(self) -> Decimal:
        return sum((line.collected for line in self.lines), ZERO)

    @property
    def commission(self) -> Decimal:
        return sum((line.commission for line in self.lines), ZERO)

    @property
    def payments(self) -> int:
        return sum(line.payments for line in self.lines)


def commission_statement(user, agency: Agency, month: dt.date) -> Statement:
    """The agency's commission for ``month``: the payments attributed to it that were made in the
    month, grouped by the bucket and rate fixed at placement; each line's commission is its sum ×
    rate rounded half up to the cent, the total the sum of the lines. One aggregate query; only
    the cases ``user`` may see count."""
    first, last = month_bounds(month)
    rows = (
        PlacementPayment.objects.filter(
            placement__agency=agency, payment__paid_on__gte=first, payment__paid_on__lte=last,
            placement__case_id__in=cases_visible_to(user).values("id"),
        )
        .values("placement__bucket", "placement__commission_rate")
        .annotate(n=Count("id"), total=Sum("payment__amount"))
        .order_by("placement__bucket", "placement__commission_rate")
    )
    statement = Statement(agency=agency, first=first, last=last)
    for r in rows:
        collected = Decimal(r["total"] or ZERO).quantize(CENT)
        rate = r["placement__commission_rate"]
        statement.lines.append(StatementLine(r["placement__bucket"], rate, r["n"], collected,
                                             commission(collected, rate)))
    return statement


def statement_table(statement: Statement) -> tuple[list[str], list[list]]:
    """The statement as a table (header, rows) for the CSV/XLSX export, the total last."""
    from django.utils.translation import gettext as _

    header = [_("Bucket at placement"), _("Commission rate"), _("Payments"), _("Collected"), _("Commission")]
    rows = [[line.bucket, line.rate, line.payments, line.collected, line.commission] for line in statement.lines]
    rows.append([_("Total"), "", statement.payments, statement.collected, statement.commission])
    return header, rows


def case_placements(case) -> list[AgencyPlacement]:
    return list(AgencyPlacement.objects.filter(case=case).select_related("agency", "placed_by", "recalled_by")
                .order_by("-placed_on", "-id")[:20])
