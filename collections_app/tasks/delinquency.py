"""Celery tasks of the nightly run: thin wrappers over services.nightly.

``nightly_delinquency_run`` (beat) fans the run out as a chord: one ``delinquency_chunk`` per
borrower-id range not done yet, on whatever workers are listening, then ``delinquency_finish``
allocates and writes the summary. A chunk that fails (it raised, or passed its hard time limit and was
killed) fails the run through the chord's error callback ``delinquency_failed``. Every task is safe to
deliver twice: a chunk already done is skipped, finishing a finished run does nothing, and a second
start for a date joins the run already running for it.
"""
from __future__ import annotations

import datetime as dt
import logging

from celery import chord, shared_task
from django.conf import settings
from django.utils.translation import gettext as _

from collections_app.selectors.loan_figures import business_date
from collections_app.services import nightly as service

logger = logging.getLogger(__name__)


def _limits() -> dict:
    return {"soft_time_limit": settings.DELINQUENCY_TASK_SOFT_TIME_LIMIT,
            "time_limit": settings.DELINQUENCY_TASK_TIME_LIMIT}


@shared_task(name="collections_app.tasks.delinquency_chunk", acks_late=True, reject_on_worker_lost=True)
def delinquency_chunk(run_id: int, as_of: str, lo: int, hi: int) -> dict:
    """``as_of`` is the run's date, kept in the message for the logs (the run row is the authority)."""
    return service.run_chunk(run_id=run_id, lo=lo, hi=hi)


@shared_task(name="collections_app.tasks.delinquency_finish", **_limits())
def delinquency_finish(_results, run_id: int) -> int:
    service.finish_run(run_id=run_id)
    return run_id


@shared_task(name="collections_app.tasks.delinquency_failed")
def delinquency_failed(request, exc, traceback, run_id: int) -> None:
    """The chord's error callback (called with the failed request and its exception)."""
    service.fail_run(run_id=run_id, reason=_("A chunk of the run failed: %(error)s") % {"error": service.describe_error(exc)})


@shared_task(name="collections_app.tasks.nightly_delinquency_run", **_limits())
def nightly_delinquency_run(as_of: str | None = None, triggered_by: str = "beat") -> int:
    """Start the run for a business date (default: today in TIME_ZONE), or join the one running for
    it, and queue its chunks not done yet. Returns the run id."""
    day = dt.date.fromisoformat(as_of) if as_of else business_date()
    start = service.start_run(as_of=day, triggered_by=triggered_by)
    pending = service.pending_chunks(run_id=start.run.id)
    if start.joined:
        logger.info("Run %s for %s is already running: joined it, %s chunks queued again",
                    start.run.id, day, len(pending))
    if not pending:
        service.finish_run(run_id=start.run.id)
        return start.run.id
    limits = _limits()
    header = [delinquency_chunk.s(start.run.id, day.isoformat(), lo, hi).set(**limits) for lo, hi in pending]
    chord(header)(delinquency_finish.s(start.run.id).on_error(delinquency_failed.s(start.run.id)))
    return start.run.id
