"""The Python backend of a chunk (any database; SQLite runs it): the pure engine over rows fetched in
bulk (``loans``), then the case lifecycle and the strategy's actions row by row (``cases``). Held to
the PostgreSQL backend and to the pure engine by the parity tests in tests/engine/test_run.py."""
from __future__ import annotations

from . import cases, loans


class PythonBackend:
    name = "python"

    def prepare(self) -> None:
        pass

    def write_loans(self, *, scope, as_of, buckets, run) -> tuple[int, int]:
        return loans.write_loans(scope=scope, as_of=as_of, buckets=buckets, run=run)

    def sync_cases(self, *, scope, as_of, buckets) -> tuple[int, int]:
        return cases.sync_cases(scope=scope, as_of=as_of, buckets=buckets)

    def apply_strategy(self, *, scope, as_of, run, rules, buckets) -> int:
        return cases.apply_strategy(scope=scope, as_of=as_of, run=run, rules=rules, buckets=buckets)
