"""Which borrowers a chunk of the nightly run covers, how a run is cut into chunks, and what a chunk
reports. A chunk is a borrower-id range: a case is one borrower's loans with one lender, so a chunk
holds whole cases and chunks never touch the same rows."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min

from collections_app.models import Borrower, Loan

# the loan fields the engine writes
LOAN_FIELDS = (
    "as_of", "dpd", "aging_days", "bucket", "overdue_amount", "paid_total", "outstanding_amount", "overpayment",
    "penalty_accrued", "fees_accrued", "oldest_unpaid_due_date", "settled_on", "next_change_on", "penalty_base",
    "penalty_principal", "status", "needs_recalc",
)


def sql_table(model) -> str:
    """The model's table name, quoted for SQL."""
    return connection.ops.quote_name(model._meta.db_table)


@dataclass
class ChunkResult:
    loans: int = 0
    bucket_changes: int = 0
    cases_opened: int = 0
    cases_closed: int = 0
    actions_created: int = 0
    promises_broken: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def add(self, other: ChunkResult | dict) -> None:
        data = other if isinstance(other, dict) else other.__dict__
        for key, value in data.items():
            setattr(self, key, getattr(self, key) + value)


@dataclass(frozen=True)
class Scope:
    """Which borrowers a chunk covers: an id range [lo, hi] or an explicit list."""

    lo: int | None = None
    hi: int | None = None
    borrower_ids: tuple[int, ...] | None = None

    def loans(self):
        return self.on(Loan.objects.all())

    def on(self, qs, field: str = "borrower_id"):
        """``qs`` restricted to the chunk by its own borrower column (``field``): the column's index,
        not a semi-join with the chunk's loans."""
        if self.borrower_ids is not None:
            return qs.filter(**{f"{field}__in": self.borrower_ids})
        return qs.filter(**{f"{field}__gte": self.lo, f"{field}__lte": self.hi})

    def sql(self, alias: str = "l") -> tuple[str, list]:
        return self.sql_on(f"{alias}.borrower_id")

    def sql_on(self, column: str) -> tuple[str, list]:
        """The chunk as a predicate on a borrower-id column (``l.borrower_id``, ``b.id`` …)."""
        if self.borrower_ids is not None:
            if not self.borrower_ids:
                return "FALSE", []
            return f"{column} = ANY(%s)", [list(self.borrower_ids)]
        return f"{column} BETWEEN %s AND %s", [self.lo, self.hi]


def chunk_bounds(chunk_size: int | None = None) -> list[tuple[int, int]]:
    """Borrower-id ranges of about ``chunk_size`` borrowers each, over borrowers with loans."""
    chunk_size = chunk_size or settings.DELINQUENCY_CHUNK_SIZE
    agg = Borrower.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if agg["lo"] is None:
        return []
    bounds = []
    lo = agg["lo"]
    while lo <= agg["hi"]:
        hi = lo + chunk_size - 1
        bounds.append((lo, min(hi, agg["hi"])))
        lo = hi + 1
    return bounds
