"""The PostgreSQL backend of a chunk: set-based statements over the whole chunk, no row fetched into
Python — loans with nothing new advanced by arithmetic, the others evaluated in full (``loans``,
``figures``), then the case lifecycle and the strategy's actions (``cases``). Held to the Python
backend and to the pure engine by the parity tests in tests/engine/test_run.py."""
from __future__ import annotations

from ..rules import APPROVAL_FOR_ACTION
from . import cases, loans


class PostgresBackend:
    name = "postgres"

    def prepare(self) -> None:
        loans.tune_session()

    def write_loans(self, *, scope, as_of, buckets, run) -> tuple[int, int]:
        return loans.write_loans(scope=scope, as_of=as_of, buckets=buckets, run=run)

    def sync_cases(self, *, scope, as_of, buckets) -> tuple[int, int]:
        return cases.sync_cases(scope=scope, as_of=as_of, buckets=buckets)

    def apply_strategy(self, *, scope, as_of, run, rules, buckets) -> int:
        return cases.apply_strategy(scope=scope, as_of=as_of, run=run, rules=rules, approval_for_action=APPROVAL_FOR_ACTION,
                                    buckets=buckets)
