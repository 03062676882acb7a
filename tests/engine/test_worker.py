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
