"""An import on a real Celery worker (PostgreSQL + Redis), SIGKILLed midway: the sweeper hands the job
to a fresh worker, which takes over the stale lease and finishes it once, with the counts and data of
an uninterrupted import. .ci/run runs these with CELERY_WORKER_RUNNING=1."""
import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collections_app.models import ImportJob, ImportStatus, Loan
from collections_app.services.imports import create_import_job
from collections_app.services.imports.jobs import enqueue_import, sweep_imports
from config.celery import app
from tests.engine.test_worker import Worker

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HEADER = ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on", "overdue_since", "overdue_amount"]
ROWS = 20_000
BAD = set(range(7, ROWS, 1000))  # 20 rows with a negative principal


def book() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for i in range(ROWS):
        w.writerow([f"L{i}", f"B{i}", f"客户{i}", "-5" if i in BAD else "1000", "2025-01-01", "2025-06-01", "100"])
    return buf.getvalue().encode()


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_worker_killed_midway_then_the_job_finishes_once_with_the_right_counts(lender, settings, monkeypatch):
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))
    monkeypatch.setenv("IMPORT_BATCH_SIZE", "200")
    monkeypatch.setenv("IMPORT_LEASE_SECONDS", "3")
    settings.IMPORT_LEASE_SECONDS = 3
    app.control.purge()
    first = Worker()
    try:
        job = create_import_job(kind="loans", lender=lender, upload=SimpleUploadedFile("book.csv", book()))
        assert enqueue_import(job=job)

        def progressed():
            j = ImportJob.objects.get(pk=job.pk)
            return j.processed_rows >= 3000

        wait_for(progressed, 120, "the worker made no progress")
    finally:
        first.kill()
    killed = ImportJob.objects.get(pk=job.pk)
    assert killed.status == ImportStatus.RUNNING and 0 < killed.processed_rows < ROWS, killed.message
    assert 0 < Loan.objects.count() < ROWS - len(BAD)

    second = Worker()
    try:
        time.sleep(3.5)  # the dead worker's lease runs out
        assert sweep_imports(send=enqueue_import) == {"resumed": 1, "failed": 0, "requeued": 0}
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).status != ImportStatus.RUNNING, 180,
                 "the job was not finished")
    finally:
        second.kill()
        app.control.purge()
    done = ImportJob.objects.get(pk=job.pk)
    assert done.status == ImportStatus.DONE, done.message
    assert done.attempt == 2
    assert (done.total_rows, done.processed_rows) == (ROWS, ROWS)
    good = ROWS - len(BAD)
    assert (done.stored_rows, done.created_rows, done.updated_rows, done.rejected_rows) == (good, good, 0, len(BAD))
    assert Loan.objects.count() == good
    report = list(csv.reader(io.StringIO(done.error_report.read().decode("utf-8-sig"))))[1:]
    assert [int(r[-3]) for r in report] == sorted(i + 2 for i in BAD)  # each bad row once, in file order
