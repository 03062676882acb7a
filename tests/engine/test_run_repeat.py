"""The nightly run is safe to repeat: a chunk delivered twice counts once, one running run per date
(a second start joins it), a chunk that fails fails the run with the reason, a failed run can be run
again, and an error while finishing is not swallowed."""
import datetime as dt
import random
import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from collections_app.models import DelinquencyRun, DelinquencyRunChunk, Loan
from collections_app.models.choices import RunStatus
from collections_app.services import nightly as service
from collections_app.tasks import delinquency_chunk, delinquency_finish, nightly_delinquency_run

from .test_run import assert_matches_pure, make_loan, random_book

D = dt.date
DAY = D(2026, 2, 1)
pytestmark = pytest.mark.django_db


def three_borrowers(lender):
    return [make_loan(lender) for _ in range(3)]


def test_a_redelivered_chunk_counts_once(lender):
    loans = three_borrowers(lender)
    run = service.start_run(as_of=DAY, triggered_by="test", chunk_size=2).run
    chunks = service.pending_chunks(run_id=run.id)
    assert len(chunks) == 2 and run.chunks_total == 2
    lo, hi = chunks[0]
    first = delinquency_chunk(run.id, DAY.isoformat(), lo, hi)
    again = delinquency_chunk(run.id, DAY.isoformat(), lo, hi)  # the broker delivers it again
    assert first["loans"] == 2 and again == {"skipped": "done"}
    run.refresh_from_db()
    assert run.chunks_done == 1 and run.loans_processed == 2 and run.bucket_changes == 2
    assert delinquency_finish(None, run.id) == run.id
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING, "a run with a chunk to do is not finished"
    delinquency_chunk(run.id, DAY.isoformat(), *chunks[1])
    delinquency_finish(None, run.id)
    delinquency_finish(None, run.id)  # the finish delivered twice too
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.chunks_done == 2 and run.loans_processed == 3
    assert run.bucket_changes == 3 and run.cases_opened == 3
    assert_matches_pure(loans, DAY)


def test_one_running_run_per_date_is_a_database_rule(lender):
    DelinquencyRun.objects.create(as_of=DAY, status=RunStatus.RUNNING)
    DelinquencyRun.objects.create(as_of=DAY, status=RunStatus.FAILED)
    DelinquencyRun.objects.create(as_of=DAY + dt.timedelta(days=1), status=RunStatus.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        DelinquencyRun.objects.create(as_of=DAY, status=RunStatus.RUNNING)


def test_a_second_start_for_the_date_joins_the_running_run(lender):
    three_borrowers(lender)
    first = service.start_run(as_of=DAY, triggered_by="beat", chunk_size=2)
    second = service.start_run(as_of=DAY, triggered_by="command", chunk_size=1)
    assert not first.joined and second.joined and second.run.id == first.run.id
    assert DelinquencyRun.objects.count() == 1 and DelinquencyRunChunk.objects.count() == 2


def test_a_run_left_running_midway_is_joined_and_finished_once(lender, capsys):
    loans = three_borrowers(lender)
    run = service.start_run(as_of=DAY, triggered_by="beat", chunk_size=2).run
    lo, hi = service.pending_chunks(run_id=run.id)[0]
    service.run_chunk(run_id=run.id, lo=lo, hi=hi)  # then its worker died
    call_command("advance_delinquency", "--as-of", DAY.isoformat())
    out = capsys.readouterr().out
    assert f"A run for {DAY} is already running (run {run.id}, 1 of 2 chunks done): joining it" in out
    assert "3 loans processed, 3 bucket changes" in out
    run = DelinquencyRun.objects.get()
    assert run.status == RunStatus.DONE and run.chunks_done == 2 and run.loans_processed == 3
    assert_matches_pure(loans, DAY)


def test_the_task_joins_a_running_run_and_queues_only_its_chunks_left(lender):
    three_borrowers(lender)
    run = service.start_run(as_of=DAY, triggered_by="beat", chunk_size=2).run
    lo, hi = service.pending_chunks(run_id=run.id)[0]
    service.run_chunk(run_id=run.id, lo=lo, hi=hi)
    assert nightly_delinquency_run.delay(DAY.isoformat(), "command").get() == run.id
    run.refresh_from_db()
    assert DelinquencyRun.objects.count() == 1
    assert run.status == RunStatus.DONE and run.chunks_done == 2 and run.loans_processed == 3


def boom_on_second_chunk(monkeypatch):
    from collections_app.services.nightly import run as nightly_run

    real = nightly_run.process_scope
    calls = []

    def process_scope(scope, as_of, **kw):
        calls.append(scope)
        if len(calls) == 2:
            raise RuntimeError("the chunk's database went away")
        return real(scope=scope, as_of=as_of, **kw)

    monkeypatch.setattr(nightly_run, "process_scope", process_scope)


def test_a_chunk_that_raises_fails_the_run_with_the_reason_eager(lender, monkeypatch, settings):
    settings.DELINQUENCY_CHUNK_SIZE = 1
    three_borrowers(lender)
    boom_on_second_chunk(monkeypatch)
    with pytest.raises(RuntimeError):
        nightly_delinquency_run.delay(DAY.isoformat(), "test").get()
    run = DelinquencyRun.objects.get()
    assert run.status == RunStatus.FAILED and run.finished_at is not None
    lo, hi = service.pending_chunks(run_id=run.id)[0]
    assert run.message == (f"Chunk of borrowers {lo}–{hi} failed: RuntimeError: the chunk's database went away")
    # the failed run's chunks left are skipped if they arrive; the date can be run again
    assert delinquency_chunk(run.id, DAY.isoformat(), lo, hi) == {"skipped": "failed"}
    monkeypatch.undo()
    again = service.run_delinquency(as_of=DAY, triggered_by="retry")
    assert again.id != run.id and again.status == RunStatus.DONE and again.loans_processed == 3
    assert DelinquencyRun.objects.get(id=run.id).status == RunStatus.FAILED


def test_a_chunk_that_raises_fails_the_in_process_run(lender, monkeypatch):
    three_borrowers(lender)
    boom_on_second_chunk(monkeypatch)
    with pytest.raises(RuntimeError):
        service.run_delinquency(as_of=DAY, chunk_size=1)
    run = DelinquencyRun.objects.get()
    assert run.status == RunStatus.FAILED and "the chunk's database went away" in run.message
    assert run.chunks_done == 1


def test_an_error_while_finishing_is_not_swallowed(lender, monkeypatch):
    """Allocation raising (whatever the exception) fails the run; it used to be marked done."""
    from collections_app.services import allocation

    three_borrowers(lender)

    def broken(**kw):
        raise AttributeError("'NoneType' object has no attribute 'region'")

    monkeypatch.setattr(allocation, "auto_allocate", broken)
    with pytest.raises(AttributeError):
        service.run_delinquency(as_of=DAY)
    run = DelinquencyRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert run.message == "Finishing the run failed: AttributeError: 'NoneType' object has no attribute 'region'"


def test_the_errback_fails_the_run_with_the_reason(lender):
    from celery.exceptions import ChordError

    from collections_app.tasks import delinquency_failed

    run = service.start_run(as_of=DAY).run
    delinquency_failed(None, ChordError("Dependency 1f raised TimeLimitExceeded(2)"), None, run.id)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.message == "A chunk of the run failed: ChordError: Dependency 1f raised TimeLimitExceeded(2)"


def test_the_chunks_carry_the_configured_time_limits(lender, settings, monkeypatch):
    from collections_app.tasks import delinquency as tasks

    settings.DELINQUENCY_TASK_SOFT_TIME_LIMIT, settings.DELINQUENCY_TASK_TIME_LIMIT = 30, 40
    sent = []
    monkeypatch.setattr(tasks, "chord", lambda header: sent.extend(header) or (lambda body: sent.append(body)))
    three_borrowers(lender)
    tasks.nightly_delinquency_run(DAY.isoformat())
    *chunks, body = sent
    assert chunks and all((c.options["soft_time_limit"], c.options["time_limit"]) == (30, 40) for c in chunks)
    assert body.options["link_error"][0]["task"] == "collections_app.tasks.delinquency_failed"
    assert tasks.delinquency_chunk.acks_late
    for task in (tasks.nightly_delinquency_run, tasks.delinquency_finish):  # limits from the settings at start
        assert task.soft_time_limit and task.time_limit > task.soft_time_limit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_for_one_date_make_one_run(lender):
    random_book(lender, random.Random(3), n_loans=12)
    n = 6
    barrier = threading.Barrier(n)
    starts, errors = [], []

    def start():
        try:
            barrier.wait()
            starts.append(service.start_run(as_of=DAY, triggered_by="thread", chunk_size=4))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert DelinquencyRun.objects.count() == 1
    assert sorted(s.joined for s in starts) == [False] + [True] * (n - 1)
    assert {s.run.id for s in starts} == {DelinquencyRun.objects.get().id}
    assert DelinquencyRunChunk.objects.count() == DelinquencyRun.objects.get().chunks_total


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_whole_runs_for_one_date_count_each_chunk_once(lender):
    loans = random_book(lender, random.Random(4), n_loans=24)
    n = 3
    barrier = threading.Barrier(n)
    runs, errors = [], []

    def run():
        try:
            barrier.wait()
            runs.append(service.run_delinquency(as_of=DAY, triggered_by="thread", chunk_size=3))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    run = DelinquencyRun.objects.get()
    assert {r.id for r in runs} == {run.id}
    assert run.status == RunStatus.DONE and run.chunks_done == run.chunks_total == 8
    assert run.loans_processed == 24 and run.cases_opened == Loan.objects.exclude(case=None).count()
    assert_matches_pure(loans, DAY)
