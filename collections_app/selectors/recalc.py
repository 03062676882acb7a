"""Which loans need a full evaluation — the one definition every reader uses: the loan's
``needs_recalc`` column (loan imports, schedule and pause edits, product terms: rare, or they write
the loan row anyway) OR a ``LoanRecalc`` row (a payment import: one narrow row per loan instead of a
rewrite of the wide loan row and its indexes; docs/imports.md). The writes: ``services.recalc``."""
from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from collections_app.models import Loan, LoanRecalc


def needs_recalc_sql(alias: str = "l", flags: str | None = None) -> str:
    """SQL: the loan aliased ``alias`` needs a full evaluation. ``flags`` names a table holding
    ``loan_id`` to read the flags from instead of ``LoanRecalc`` (a chunk's snapshot of them)."""
    table = flags or connection.ops.quote_name(LoanRecalc._meta.db_table)
    return f"({alias}.needs_recalc OR EXISTS (SELECT 1 FROM {table} rf WHERE rf.loan_id = {alias}.id))"


def needs_recalc_q(prefix: str = "") -> Q:
    """The same as a ``Q`` on ``Loan`` (or on a model reaching the loan through ``prefix``, e.g. ``"loan__"``)."""
    pk = f"{prefix}pk" if prefix else "pk"
    return Q(**{f"{prefix}needs_recalc": True}) | Q(Exists(LoanRecalc.objects.filter(loan_id=OuterRef(pk))))


def is_flagged(loan: Loan) -> bool:
    """One loan: the combined truth (the admin, tests)."""
    return loan.needs_recalc or LoanRecalc.objects.filter(loan_id=loan.pk).exists()


def flag_snapshot(loans) -> dict[int, object]:
    """The flags of these loans (a ``Loan`` queryset) as read before their payments are: loan id → flagged_at."""
    return dict(LoanRecalc.objects.filter(loan__in=loans).values_list("loan_id", "flagged_at"))
