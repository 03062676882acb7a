"""The nightly run: start (one running run per date; a second start joins it), chunking, each chunk
done and recorded exactly once, finish or fail with the reason. The Celery tasks
(``collections_app.tasks.delinquency``) and ``run_delinquency`` (in one process) both drive it."""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.models import DelinquencyRun, DelinquencyRunChunk
from collections_app.models.choices import RunStatus
from collections_app.selectors import kpis
from collections_app.selectors.buckets import bucket_ranges
from collections_app.selectors.loan_figures import business_date
from collections_app.services import allocation, daily_figures
from collections_app.services import strategy as strategy_service

from .chunk import process_scope
from .scope import Scope, chunk_bounds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunStart:
    """What ``start_run`` did: started a run, or joined the one already running for the date."""

    run: DelinquencyRun
    joined: bool


def start_run(*, as_of: dt.date, triggered_by: str = "", chunk_size: int | None = None) -> RunStart:
    """The running run for ``as_of``: a new one with its chunks, or — when one is already running for
    that date — that one (``joined``; its chunks keep their ranges). The database keeps one running
    run per date (``one_running_run_per_date``), so of two starts at once exactly one creates it."""
    version = strategy_service.ensure_default_strategy()
    bounds = chunk_bounds(chunk_size)
    for attempt in range(3):
        existing = _running_run(as_of)
        if existing:
            return RunStart(existing, joined=True)
        try:
            with transaction.atomic():
                run = DelinquencyRun.objects.create(as_of=as_of, status=RunStatus.RUNNING, strategy_version=version,
                                                    triggered_by=triggered_by[:50], chunks_total=len(bounds))
                DelinquencyRunChunk.objects.bulk_create(DelinquencyRunChunk(run=run, lo=lo, hi=hi)
                                                        for lo, hi in bounds)
            return RunStart(run, joined=False)
        except IntegrityError:
            # another start created it first: join it — unless it ended in the meantime (try again)
            # or the error was not that constraint (no running run to join after the retries)
            if attempt == 2:
                raise


def _running_run(as_of: dt.date) -> DelinquencyRun | None:
    return (DelinquencyRun.objects.select_related("strategy_version")
            .filter(as_of=as_of, status=RunStatus.RUNNING).first())


def pending_chunks(*, run_id: int) -> list[tuple[int, int]]:
    """The (lo, hi) borrower-id ranges of the run not done yet."""
    return list(DelinquencyRunChunk.objects.filter(run_id=run_id, done_at__isnull=True)
                .order_by("lo").values_list("lo", "hi"))


DEADLOCK_RETRIES = 3
# stale days of daily figures the run rebuilds (docs/kpis.md, "Stored and live days")
STALE_DAYS_BACK = 62
STALE_DAYS_PER_NIGHT = 7


def _deadlocked(exc: BaseException) -> bool:
    return getattr(exc.__cause__, "pgcode", None) == "40P01"  # PostgreSQL's deadlock_detected


def run_chunk(*, run_id: int, lo: int, hi: int, buckets=None) -> dict:
    """:func:`_run_chunk_once`, again when PostgreSQL chose the chunk's transaction as the victim of a
    deadlock with a user's request (a contact logged on a case of the chunk): the transaction was
    rolled back whole, so the chunk is simply done again."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return _run_chunk_once(run_id=run_id, lo=lo, hi=hi, buckets=buckets,
                                   last=attempt == DEADLOCK_RETRIES - 1)
        except _Retry:
            time.sleep(0.2 * (attempt + 1))
    return {}  # not reached: the last attempt fails the run instead of retrying


class _Retry(Exception):
    pass


def _run_chunk_once(*, run_id: int, lo: int, hi: int, buckets=None, last: bool = True) -> dict:
    """One chunk of a run, exactly once: under the chunk row's lock, its work, its ``done_at`` and the
    run's totals commit together. A chunk already done (a redelivered task, a joined run) or of a run
    no longer running is skipped. A chunk that raises fails the run with the reason."""
    try:
        with transaction.atomic():
            chunk = (DelinquencyRunChunk.objects.select_for_update(of=("self",))
                     .select_related("run__strategy_version").get(run_id=run_id, lo=lo, hi=hi))
            run = chunk.run
            if chunk.done_at is not None:
                return {"skipped": "done"}
            if run.status != RunStatus.RUNNING:
                return {"skipped": run.status}
            result = process_scope(scope=Scope(lo=lo, hi=hi), as_of=run.as_of, run=run, buckets=buckets).as_dict()
            chunk.done_at = timezone.now()
            chunk.summary = result
            chunk.save(update_fields=["done_at", "summary"])
            DelinquencyRun.objects.filter(id=run_id).update(
                chunks_done=F("chunks_done") + 1,
                loans_processed=F("loans_processed") + result["loans"],
                bucket_changes=F("bucket_changes") + result["bucket_changes"],
                cases_opened=F("cases_opened") + result["cases_opened"],
                cases_closed=F("cases_closed") + result["cases_closed"],
                actions_created=F("actions_created") + result["actions_created"],
                promises_broken=F("promises_broken") + result["promises_broken"],
            )
            return result
    except Exception as exc:
        if not last and _deadlocked(exc):
            raise _Retry from exc
        fail_run(run_id=run_id, reason=_("Chunk of borrowers %(lo)s–%(hi)s failed: %(error)s")
                 % {"lo": lo, "hi": hi, "error": describe_error(exc)})
        raise


def describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def fail_run(*, run_id: int, reason: str) -> bool:
    """Mark a running run failed with the reason (compare-and-set: the first reason stays). Returns
    whether this call failed it."""
    return bool(DelinquencyRun.objects.filter(id=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, message=str(reason)[:2000], finished_at=timezone.now()))


def finish_run(*, run_id: int) -> DelinquencyRun:
    """Allocate the new cases and mark the run done — once every chunk is done. A run that failed,
    already finished, or still has chunks to do is returned as it is."""
    run = DelinquencyRun.objects.get(id=run_id)
    if run.status != RunStatus.RUNNING or run.chunk_rows.filter(done_at__isnull=True).exists():
        return run
    allocation.auto_allocate()
    from collections_app.services.actions import settle_actions

    from .rules import COLLECTOR_TIME_ACTIONS, reminder_only_buckets

    # both backends: superseded (no longer applies) and expired actions, set-based over the book
    settle_actions(today=run.as_of, now=timezone.now(),
                   reminder_only=reminder_only_buckets(bucket_ranges(run.strategy_version)),
                   collector_time=COLLECTOR_TIME_ACTIONS)
    from collections_app.services.blacklist import apply_blacklist_rules

    apply_blacklist_rules(today=run.as_of)
    finished = timezone.now()
    marked = DelinquencyRun.objects.filter(id=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.DONE, finished_at=finished, duration_seconds=(finished - run.started_at).total_seconds())
    run.refresh_from_db()
    if marked:
        _build_daily_figures(run.as_of)
    return run


def _build_daily_figures(as_of: dt.date) -> None:
    """The day before the run's date: the last whole day (the run starts early on its date; its
    promises were judged tonight). The run's date itself is built by the next night's run, once it is
    over — built now it would hold an hour of it and be replaced anyway. Then the days of the last
    STALE_DAYS_BACK that later writes made stale (a payment file for an earlier date, a promise
    judged tonight), the most recent first, at most STALE_DAYS_PER_NIGHT: until rebuilt the dashboard
    reads them raw (docs/kpis.md, "Stored and live days"). A failure here does not undo the run: it is
    logged and ``build_daily_figures`` rebuilds the day. Each day is replaced in its own transaction."""
    yesterday = as_of - dt.timedelta(days=1)
    days = [yesterday] + [d for d in kpis.stale_days(since=as_of - dt.timedelta(days=STALE_DAYS_BACK),
                                                                  until=yesterday - dt.timedelta(days=1))
                          ][:STALE_DAYS_PER_NIGHT]
    for day in days:
        try:
            daily_figures.rebuild_day(day=day)
        except Exception:
            logger.exception("Daily figures for %s were not built", day)


def run_delinquency(*, as_of: dt.date | None = None, triggered_by: str = "", chunk_size: int | None = None
                    ) -> DelinquencyRun:
    """The whole nightly run in this process, chunk after chunk (tests, seed_demo, eager mode). When a
    run for the date is already running (another process, or one that died midway), this joins it:
    does its chunks not done yet and finishes it."""
    as_of = as_of or business_date()
    started = time.monotonic()
    start = start_run(as_of=as_of, triggered_by=triggered_by, chunk_size=chunk_size)
    run = start.run
    buckets = bucket_ranges(run.strategy_version)
    for lo, hi in pending_chunks(run_id=run.id):
        run_chunk(run_id=run.id, lo=lo, hi=hi, buckets=buckets)
    try:
        run = finish_run(run_id=run.id)
    except Exception as exc:
        fail_run(run_id=run.id, reason=_("Finishing the run failed: %(error)s") % {"error": describe_error(exc)})
        raise
    if not start.joined and run.status == RunStatus.DONE:
        run.duration_seconds = time.monotonic() - started
        run.save(update_fields=["duration_seconds"])
    return run
