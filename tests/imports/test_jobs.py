"""Import jobs never stay "running": every error fails the job with its reason, a killed run is taken
over (lease + heartbeat) and finished once with the right counts, the sweeper restarts what was left
behind, and temporary files are removed in every case. The same on a real worker: test_worker.py."""
import csv
import datetime as dt
import glob
import io
import os
import tempfile

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from collections_app.models import ImportJob, ImportStatus, Installment, Loan
from collections_app.services.imports import create_import_job, import_file, run_import
from collections_app.services.imports.jobs import claim_import, sweep_imports
from collections_app.tasks.imports import import_file_task
from tests import factories as f

from .test_service import LOAN_HEADER, loan_row, snapshot

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the import may catch it or clean up after it."""


def book(n=10, bad=(3, 8)):
    rows = [LOAN_HEADER] + [loan_row(i, principal="-5") if i in bad else loan_row(i) for i in range(1, n + 1)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def queued_job(data, lender, name="book.csv"):
    return create_import_job(kind="loans", lender=lender, upload=SimpleUploadedFile(name, data))


def leftovers(job):
    from collections_app.services.imports.runner import _tmp_prefix

    return glob.glob(os.path.join(tempfile.gettempdir(), f"{_tmp_prefix(job.pk)}*"))


def report_rows(job):
    return list(csv.reader(io.StringIO(job.error_report.read().decode("utf-8-sig"))))[1:]


def test_killed_run_is_taken_over_and_finished_once_with_the_right_counts(lender, write_csv):
    other = f.LenderFactory(code="other")
    reference = import_file(path=write_csv([LOAN_HEADER] + [loan_row(i) for i in range(1, 11)]), kind="loans", lender=other,
                            batch_size=3)
    job = queued_job(book(), lender)
    first = claim_import(job_id=job.pk)
    batches = []

    def kill_after_two_batches(j):
        batches.append(j.processed_rows)
        if len(batches) == 2:
            raise Killed

    with pytest.raises(Killed):
        run_import(job=first, batch_size=3, progress=kill_after_two_batches)
    killed = ImportJob.objects.get(pk=job.pk)
    assert (killed.status, killed.processed_rows, killed.stored_rows, killed.rejected_rows) == ("running", 6, 5, 1)
    assert import_file_task(job.pk) == "taken"  # a redelivery while the lease is fresh leaves it alone

    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    django_settings.IMPORT_BATCH_SIZE = 3
    try:
        assert import_file_task(job.pk) == ImportStatus.DONE
    finally:
        django_settings.IMPORT_BATCH_SIZE = 5000
    done = ImportJob.objects.get(pk=job.pk)
    assert (done.attempt, done.total_rows, done.processed_rows) == (2, 10, 10)
    assert (done.stored_rows, done.created_rows, done.updated_rows, done.rejected_rows) == (8, 8, 0, 2)
    assert [(r[-3], r[-2]) for r in report_rows(done)] == [("4", "principal"), ("9", "principal")]
    assert done.errors == [{"row": 4, "column": "principal", "error": "must not be negative"},
                           {"row": 9, "column": "principal", "error": "must not be negative"}]
    ours = snapshot(lender)
    theirs = {k: [x for x in v if not str(x[0] if isinstance(x, tuple) else x).startswith(("L3", "L8", "B3", "B8"))]
              for k, v in snapshot(other).items()}
    assert ours["loans"] == theirs["loans"] and ours["installments"] == theirs["installments"]
    assert reference.stored_rows == 10 and Loan.objects.filter(lender=lender).count() == 8
    assert import_file_task(job.pk) == "taken"  # finished: a late redelivery does nothing
    assert leftovers(done) == []


def test_a_slow_run_that_lost_its_lease_stops_without_writing(lender):
    job = queued_job(book(), lender)
    first = claim_import(job_id=job.pk)

    def taken_over_after_first_batch(j):
        if j.processed_rows == 3:  # meanwhile another worker claimed the job
            ImportJob.objects.filter(pk=j.pk).update(attempt=j.attempt + 1, processed_rows=0, stored_rows=0)

    run_import(job=first, batch_size=3, progress=taken_over_after_first_batch)
    job.refresh_from_db()
    assert (job.status, job.attempt, job.processed_rows, job.stored_rows) == ("running", 2, 0, 0)
    assert not job.error_report and leftovers(job) == []
    # the one batch committed under its lease stays (L1, L2; L3 is a bad row); the next one was rolled back
    assert sorted(Loan.objects.values_list("external_id", flat=True)) == ["L1", "L2"]


def test_an_unexpected_error_fails_the_job_with_its_reason(lender, monkeypatch):
    from collections_app.services.imports import kinds

    def broken(self, row):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(kinds.LoansKind, "validate", broken)
    job = queued_job(book(), lender)
    assert import_file_task(job.pk) == ImportStatus.FAILED
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.finished_at
    assert job.message == "The import failed before storing anything: disk on fire"
    assert leftovers(job) == []


def test_utf16_text_from_excel_is_read(lender, tmp_path):
    path = tmp_path / "unicode.txt"
    text = "\t".join(LOAN_HEADER) + "\n" + "\t".join(loan_row(1)) + "\n"
    path.write_bytes(text.encode("utf-16"))  # with its BOM, tab-separated: Excel's "Unicode text"
    job = import_file(path=str(path), kind="loans", lender=lender)
    assert (job.status, job.stored_rows, job.encoding) == (ImportStatus.DONE, 1, "utf-16")
    assert Loan.objects.get().borrower.name == "客户1"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "no-such-codec"])
def test_a_wrong_explicit_encoding_is_a_clear_rejection(lender, write_csv, encoding):
    job = import_file(path=write_csv([LOAN_HEADER, loan_row(1)]), kind="loans", lender=lender, encoding=encoding)
    assert job.status == ImportStatus.FAILED and job.message
    assert Loan.objects.count() == 0


def test_sweeper_restarts_stale_and_unsent_jobs_and_fails_dead_command_runs(lender):
    old = timezone.now() - dt.timedelta(hours=1)
    stale = queued_job(book(), lender)
    ImportJob.objects.filter(pk=stale.pk).update(status="running", attempt=1, heartbeat_at=old)
    fresh = queued_job(book(), lender)
    ImportJob.objects.filter(pk=fresh.pk).update(status="running", attempt=1, heartbeat_at=timezone.now())
    unsent = queued_job(book(), lender)  # the broker was away: never handed over
    sent = queued_job(book(), lender)
    ImportJob.objects.filter(pk=sent.pk).update(enqueued_at=timezone.now())
    command = ImportJob.objects.create(kind="loans", status="running", attempt=0, heartbeat_at=old, processed_rows=7,
                                       total_rows=9)
    done = queued_job(book(), lender)
    ImportJob.objects.filter(pk=done.pk).update(status="done", heartbeat_at=old)

    sent_to_broker = []
    counts = sweep_imports(send=lambda job: sent_to_broker.append(job.pk) or True)
    assert sorted(sent_to_broker) == sorted([stale.pk, unsent.pk])
    assert counts == {"resumed": 1, "failed": 1, "requeued": 1}
    command.refresh_from_db()
    assert command.status == ImportStatus.FAILED and "stopped after 7 rows" in command.message


def test_the_sweeper_runs_on_beat_and_finishes_what_it_finds(lender):
    from collections_app.tasks import sweep_imports_task

    entry = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "collections_app.tasks.sweep_imports"]
    assert entry and entry[0]["schedule"] <= 300
    job = queued_job(book(), lender)
    ImportJob.objects.filter(pk=job.pk).update(status="running", attempt=1, heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    assert sweep_imports_task() == {"resumed": 1, "failed": 0, "requeued": 0}  # eager: the import runs here
    job.refresh_from_db()
    assert (job.status, job.attempt, job.stored_rows, job.rejected_rows) == ("done", 2, 8, 2)
    assert Installment.objects.filter(loan__lender=lender).count() == 8


def test_the_first_pass_over_a_long_file_renews_the_lease(tmp_path):
    from collections_app.services.imports.reader import Table

    path = tmp_path / "long.csv"
    path.write_text("loan_id\n" + "".join(f"L{i}\n" for i in range(200_001)))
    ticks = []
    assert Table(str(path)).scan(None, tick=lambda: ticks.append(1)) == (200_001, set())
    assert len(ticks) == 2


def test_a_killed_runs_temporary_file_is_removed_by_the_next_attempt(lender):
    from collections_app.services.imports.runner import _tmp_prefix

    job = queued_job(book(), lender)
    left = tempfile.NamedTemporaryFile(prefix=_tmp_prefix(job.pk), suffix=".csv", delete=False)
    left.close()
    assert import_file_task(job.pk) == ImportStatus.DONE
    assert not os.path.exists(left.name) and leftovers(job) == []
