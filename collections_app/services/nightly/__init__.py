"""The nightly delinquency run and the real-time reclassification.

Layout, top down (a date goes down these layers and does not come back):

* ``run``: start a run for a date (one running run per date; a second start joins it), its chunks,
  each chunk done and recorded once, finish or fail with the reason.
* ``chunk``: one chunk of borrowers in one transaction, on the backend chosen once for it
  (``backend_for``); also ``recalculate_loans`` after a payment or an import.
* ``python``: the Python backend — the pure engine (``collections_app.domain.delinquency``) over rows
  fetched in bulk, the case lifecycle and the strategy's actions row by row (any database).
* ``postgres``: the PostgreSQL backend — the same, set-based: figures by window functions, loans with
  nothing new advanced by arithmetic, the case lifecycle and actions as a handful of statements.
* ``scope``: which borrowers a chunk covers, how a run is cut into chunks; ``rules``: the strategy
  as a chunk applies it.

The parity tests (tests/engine/test_run.py) hold both backends to the pure engine and to each other.

*Forward* dates (the loan's stored ``as_of`` is not later than the date) update the loan and record
a bucket change from the stored bucket. A loan whose figures did not change is not rewritten (its
``as_of`` stays the first date the figures held): nightly writes are only the loans that moved. This
is exact because every figure is monotone in the date while it stays the same (payments and amounts
due only accumulate; DPD grows daily while a loan is late), so figures equal on two dates are equal
on every date between them, and a re-run for such a date finds nothing to change. *Past* dates
(re-computing history) never touch a loan's current figures: they only rewrite that date's
bucket-history row from the buckets computed for the day before and the day itself, so later dates
are not corrupted.
"""
from .chunk import backend_for, process_scope, recalculate_loans, use_sql_path
from .run import (
    RunStart,
    describe_error,
    fail_run,
    finish_run,
    pending_chunks,
    run_chunk,
    run_delinquency,
    start_run,
)
from .scope import ChunkResult, Scope, chunk_bounds

__all__ = [
    "ChunkResult",
    "RunStart",
    "Scope",
    "backend_for",
    "chunk_bounds",
    "describe_error",
    "fail_run",
    "finish_run",
    "pending_chunks",
    "process_scope",
    "recalculate_loans",
    "run_chunk",
    "run_delinquency",
    "start_run",
    "use_sql_path",
]
