"""The nightly run on real Celery worker processes (PostgreSQL + Redis): the chord result equals
the pure engine, and a worker SIGKILLed midway followed by a re-run ends in exactly the state of an
uninterrupted run. .ci/run runs these with CELERY_WORKER_RUNNING=1."""
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from collections_app.models import BucketHistory, CaseAction, CollectionCase, DelinquencyRun, Loan
from collections_app.models.choices import CaseStatus, RunStatus
from config.celery import app

from .test_run import assert_matches_pure, random_book

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Worker:
    def __init__(self, concurrency=1):
        db = django_settings.DATABASES["default"]
        env = dict(os.environ)
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-c", str(concurrency),
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"test-{os.getpid()}-{time.time()}@%h"],
            env=env, start_new_session=True, cwd=django_settings.BASE_DIR,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if app.control.ping(timeout=0.5):
                return
            assert self.proc.poll() is None, "the Celery worker exited at start"
        raise AssertionError("the Celery worker did not answer within 60 s")

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture
def worker(lender):
    app.control.purge()
    w = Worker()
    yield w
    w.kill()
    app.control.purge()


def test_worker_runs_the_chord_and_matches_the_pure_engine(worker, lender):
    assert not app.conf.task_always_eager
    loans = random_book(lender, random.Random(11), n_loans=30)
    call_command("advance_delinquency", "--as-of", "2025-12-01", "--chunk-size", "7", "--timeout", "120")
    run = DelinquencyRun.objects.get()
    assert run.status == RunStatus.DONE and run.chunks_done == run.chunks_total >= 4
    assert run.loans_processed == 30
    assert_matches_pure(loans, dt.date(2025, 12, 1))


def state():
    return {
        "loans": list(Loan.objects.order_by("id").values_list("id", "dpd", "aging_days", "bucket", "overdue_amount",
                                                             "status", "case__borrower_id", "as_of")),
        "history": sorted(BucketHistory.objects.values_list("loan_id", "on_date", "from_bucket", "to_bucket")),
        "cases": sorted(CollectionCase.objects.values_list("borrower_id", "status", "bucket", "dpd", "overdue_amount")),
        "actions": sorted(CaseAction.objects.values_list("case__borrower_id", "rule_code", "occurrence_key")),
    }


def test_sigkill_midway_then_rerun_equals_an_uninterrupted_run(worker, lender, settings):
    loans = random_book(lender, random.Random(5), n_loans=160)
    day = "2025-12-01"
    # the reference: an uninterrupted run in this process, then wipe its effects
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    call_command("advance_delinquency", "--as-of", day)
    reference = state()
    app.conf.CELERY_TASK_ALWAYS_EAGER = False
    CaseAction.objects.all().delete()
    from collections_app.models import ApprovalRequest

    Loan.objects.update(case=None, as_of=None, bucket="CURRENT", dpd=0, needs_recalc=True)
    ApprovalRequest.objects.all().delete()
    CollectionCase.history.all().delete()
    CollectionCase.objects.all().delete()
    BucketHistory.objects.all().delete()
    DelinquencyRun.objects.all().delete()

    # the run on the worker, killed with SIGKILL midway
    from collections_app.tasks import nightly_delinquency_run

    settings.DELINQUENCY_CHUNK_SIZE = 2
    run_id = nightly_delinquency_run(day, triggered_by="test")
    deadline = time.monotonic() + 60
    while DelinquencyRun.objects.get(id=run_id).chunks_done < 5:
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.05)
    worker.kill()
    killed = DelinquencyRun.objects.get(id=run_id)
    assert killed.status == RunStatus.RUNNING and killed.chunks_done < killed.chunks_total
    app.control.purge()  # the dead run's queued chunks are gone with it; the re-run does the date again

    # re-run the date on a fresh worker
    fresh = Worker()
    try:
        call_command("advance_delinquency", "--as-of", day, "--chunk-size", "2", "--timeout", "120")
    finally:
        fresh.kill()
    assert state() == reference
    assert_matches_pure(loans, dt.date(2025, 12, 1))
    open_cases = Counter(CollectionCase.objects.filter(status=CaseStatus.OPEN).values_list("borrower_id", flat=True))
    assert open_cases and max(open_cases.values()) == 1
    assert connection.vendor == "postgresql"


def wait_until_ended(run_id, seconds=90):
    deadline = time.monotonic() + seconds
    while (run := DelinquencyRun.objects.get(id=run_id)).status == RunStatus.RUNNING:
        assert time.monotonic() < deadline, f"run {run_id} still running: {run.chunks_done}/{run.chunks_total}"
        time.sleep(0.1)
    return run


def test_a_chunk_raising_on_the_worker_fails_the_run_with_the_reason(worker, lender, settings):
    from collections_app.tasks import nightly_delinquency_run

    loans = random_book(lender, random.Random(8), n_loans=9)
    poisoned = sorted(loans, key=lambda x: x.borrower_id)[4]
    table = connection.ops.quote_name(Loan._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"""CREATE FUNCTION test_poison() RETURNS trigger AS $$ BEGIN
                               IF NEW.id = {int(poisoned.id)} THEN RAISE EXCEPTION 'loan % is poisoned', NEW.id; END IF;
                               RETURN NEW; END $$ LANGUAGE plpgsql""")
        cursor.execute(f"CREATE TRIGGER test_poison BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION test_poison()")
    try:
        settings.DELINQUENCY_CHUNK_SIZE = 3
        run = wait_until_ended(nightly_delinquency_run("2025-12-01", triggered_by="test"))
        assert run.status == RunStatus.FAILED and run.finished_at
        assert f"loan {poisoned.id} is poisoned" in run.message
        assert run.chunks_done < run.chunks_total
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS test_poison ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS test_poison()")
    # the date runs again, to the state of an uninterrupted run
    call_command("advance_delinquency", "--as-of", "2025-12-01", "--chunk-size", "3", "--timeout", "120")
    again = DelinquencyRun.objects.exclude(id=run.id).get()
    assert again.status == RunStatus.DONE and again.loans_processed == 9
    assert_matches_pure(loans, dt.date(2025, 12, 1))


def test_a_chunk_past_its_hard_time_limit_fails_the_run_through_the_chord_error_callback(worker, lender, settings):
    """The worker process of a chunk stuck past its hard time limit is killed: no code of the chunk
    runs any more, the chord's error callback fails the run with the reason."""
    import psycopg2

    from collections_app.tasks import nightly_delinquency_run

    loans = random_book(lender, random.Random(9), n_loans=6)
    first = min(loans, key=lambda x: x.borrower_id)
    settings.DELINQUENCY_CHUNK_SIZE = 3
    settings.DELINQUENCY_TASK_SOFT_TIME_LIMIT = None
    settings.DELINQUENCY_TASK_TIME_LIMIT = 2
    db = django_settings.DATABASES["default"]
    blocker = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1",
                               port=db["PORT"] or 5432)
    try:
        with blocker.cursor() as cursor:  # another transaction holds a loan of the first chunk
            cursor.execute(f"SELECT 1 FROM {Loan._meta.db_table} WHERE id = %s FOR UPDATE", [first.id])
        run = wait_until_ended(nightly_delinquency_run("2025-12-01", triggered_by="test"))
    finally:
        blocker.rollback()
        blocker.close()
    assert run.status == RunStatus.FAILED
    assert "TimeLimitExceeded(2" in run.message, run.message
    assert run.chunks_done == run.chunks_total - 1
    call_command("advance_delinquency", "--as-of", "2025-12-01", "--chunk-size", "3", "--timeout", "120")
    assert DelinquencyRun.objects.exclude(id=run.id).get().status == RunStatus.DONE
    assert_matches_pure(loans, dt.date(2025, 12, 1))
