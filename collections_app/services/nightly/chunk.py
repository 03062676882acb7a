"""One chunk of borrowers brought to a date, on the backend chosen once for it: loan figures, bucket
history, cases, promises and the strategy's actions in one transaction. A worker killed midway leaves
nothing half-written, and re-running the chunk (or the whole date) gives the state of an
uninterrupted run. The same function reclassifies loans at once after a payment or an import."""
from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from collections_app.models import DelinquencyRun, Loan
from collections_app.selectors.buckets import active_version, bucket_ranges
from collections_app.selectors.loan_figures import business_date
from collections_app.services import limitation as limitation_service
from collections_app.services import promises as promise_service
from collections_app.services.settlements.judge import judge_settlements

from .postgres import PostgresBackend
from .python import PythonBackend
from .rules import strategy_rules
from .scope import ChunkResult, Scope


def use_sql_path() -> bool:
    return connection.vendor == "postgresql"


def backend_for(*, force_python: bool = False) -> PostgresBackend | PythonBackend:
    """Set-based SQL on PostgreSQL, the pure engine over bulk-fetched rows elsewhere (or when asked:
    the parity tests run both on one database)."""
    return PostgresBackend() if use_sql_path() and not force_python else PythonBackend()


def process_scope(*, scope: Scope, as_of: dt.date, run: DelinquencyRun | None = None, buckets=None,
                  force_python: bool = False) -> ChunkResult:
    """Everything the run does for one chunk of borrowers, in one transaction."""
    backend = backend_for(force_python=force_python)
    version = run.strategy_version if run and run.strategy_version_id else active_version()
    buckets = buckets or bucket_ranges(run.strategy_version if run else None)
    rules = strategy_rules(version)
    result = ChunkResult()
    with transaction.atomic():
        backend.prepare()
        # offers and plans first: a plan kept or broken today sets its pause's end before today's aging
        judge_settlements(scope=scope, as_of=as_of, run=run)
        result.loans, result.bucket_changes = backend.write_loans(scope=scope, as_of=as_of, buckets=buckets, run=run)
        result.cases_opened, result.cases_closed = backend.sync_cases(scope=scope, as_of=as_of, buckets=buckets)
        result.promises_broken = promise_service.judge_promises(scope=scope, as_of=as_of)
        limitation_service.refresh_for_scope(scope, run=run)  # before the strategy: a lapsed claim is not litigated
        if rules is not None:
            result.actions_created = backend.apply_strategy(scope=scope, as_of=as_of, run=run, rules=rules, buckets=buckets)
    return result


def recalculate_loans(*, loan_ids, as_of: dt.date | None = None) -> ChunkResult:
    """Reclassify these loans now (after a payment, an import or a schedule change) by the same
    engine as the nightly run, and sync their cases."""
    loan_ids = list(loan_ids)
    if not loan_ids:
        return ChunkResult()
    borrower_ids = tuple(sorted(set(Loan.objects.filter(id__in=loan_ids).values_list("borrower_id", flat=True))))
    as_of = as_of or business_date()
    return process_scope(scope=Scope(borrower_ids=borrower_ids), as_of=as_of)
