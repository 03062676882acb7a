"""Celery tasks of the nightly run: thin wrappers over services.delinquency.

``nightly_delinquency_run`` (beat) fans the run out as a chord: one ``delinquency_chunk`` per
borrower-id range, on whatever workers are listening, then ``delinquency_finish`` writes the summary.
"""
from __future__ import annotations

import datetime as dt

from celery import chord, shared_task

from collections_app.services import delinquency as service


@shared_task(name="collections_app.tasks.delinquency_chunk", acks_late=True, reject_on_worker_lost=True)
def delinquency_chunk(run_id: int, as_of: str, lo: int, hi: int) -> dict:
    from collections_app.models import DelinquencyRun

    run = DelinquencyRun.objects.select_related("strategy_version").get(id=run_id)
    result = service.process_scope(service.Scope(lo=lo, hi=hi), dt.date.fromisoformat(as_of), run=run)
    service.record_chunk(run_id, result)
    return result.as_dict()


@shared_task(name="collections_app.tasks.delinquency_finish")
def delinquency_finish(_results, run_id: int) -> int:
    service.finish_run(run_id)
    return run_id


@shared_task(name="collections_app.tasks.nightly_delinquency_run")
def nightly_delinquency_run(as_of: str | None = None, triggered_by: str = "beat") -> int:
    """Start the run for a business date (default: today in TIME_ZONE). Returns the run id."""
    day = dt.date.fromisoformat(as_of) if as_of else service.business_date()
    bounds = service.chunk_bounds()
    run = service.start_run(day, triggered_by=triggered_by, chunks=len(bounds))
    if not bounds:
        service.finish_run(run.id)
        return run.id
    chord(delinquency_chunk.s(run.id, day.isoformat(), lo, hi) for lo, hi in bounds)(
        delinquency_finish.s(run.id))
    return run.id
