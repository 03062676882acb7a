"""The life of an ImportJob on the workers: claiming it under a lease, and the sweeper that restarts
jobs whose worker died or whose task never reached a worker.

A job is claimed with a compare-and-set under a row lock: a queued job, or a running one whose
heartbeat is older than IMPORT_LEASE_SECONDS (its worker died: SIGKILL, OOM, a lost machine). The
claim raises ``attempt``; every later write of the run is conditional on that attempt, so a run that
was only slow, not dead, stops at its next batch instead of writing beside the new one.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from accounts.models import User
from collections_app.models import ImportJob, ImportStatus, Lender

from .runner import create_import_job

log = logging.getLogger(__name__)


def _stale_before(now):
    return now - dt.timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def _stale_running(now):
    stale = _stale_before(now)
    return Q(status=ImportStatus.RUNNING) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True)
    )


def claim_import(*, job_id: int) -> ImportJob | None:
    """Take the job for this worker (queued, or running with a stale lease), or None when another
    worker holds it or it is finished."""
    now = timezone.now()
    with transaction.atomic():
        job = (ImportJob.objects.select_for_update(of=("self",)).select_related("lender")
               .filter(Q(status=ImportStatus.QUEUED) | _stale_running(now), pk=job_id, file__gt="").first())
        if job is None:
            return None
        if job.status == ImportStatus.RUNNING:
            log.warning("import %s: taking over attempt %s (last sign of life %s)", job.pk, job.attempt,
                        job.heartbeat_at)
        job.attempt += 1
        job.status = ImportStatus.RUNNING
        job.heartbeat_at = now
        job.save(update_fields=["attempt", "status", "heartbeat_at"])
    return job


def sweep_imports(*, send) -> dict:
    """Restart what was left behind; ``send(job=job)`` hands a job's task to the broker.

    * running jobs whose lease is stale: sent again (the task takes them over and finishes them);
      one without a stored file (run by a command that was killed) cannot be resumed and is failed
      with the reason;
    * queued jobs that never reached a worker: not handed to the broker (it was away), or handed over
      more than a lease ago and still not started: sent again (a second delivery finds the job taken).
    """
    now = timezone.now()
    stale = _stale_before(now)
    counts = {"resumed": 0, "failed": 0, "requeued": 0}
    for job in ImportJob.objects.filter(_stale_running(now)).only("id", "file", "processed_rows"):
        if job.file:
            if send(job=job):
                counts["resumed"] += 1
        else:
            message = _("The import stopped after %(n)d rows: the process running it ended. Stored batches are "
                        "kept; import the file again to finish it.") % {"n": job.processed_rows}
            counts["failed"] += ImportJob.objects.filter(_stale_running(now), pk=job.pk).update(
                status=ImportStatus.FAILED, message=message, finished_at=now)
    waiting = ImportJob.objects.filter(status=ImportStatus.QUEUED, file__gt="").filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
    for job in waiting.only("id"):
        if send(job=job):
            counts["requeued"] += 1
    return counts


# One quick try at the broker: when it is away the page and the API still answer at once (the job
# row is the outbox; the sweeper sends it later). The default policy retried for about 19 s.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


def enqueue_import(*, job: ImportJob) -> bool:
    """Hand the job's task to the broker; False (logged, nothing raised) when the broker is away."""
    from collections_app.tasks.imports import import_file_task  # the task module imports this one

    try:
        import_file_task.apply_async((job.pk,), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except (OperationalError, OSError) as exc:
        log.warning("import %s: the task queue cannot be reached (%s); the sweeper will send it again", job.pk, exc)
        return False
    ImportJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now())
    return True


def enqueue_import_on_commit(job: ImportJob) -> None:
    """Send the job's task once the transaction that created the job has committed."""
    transaction.on_commit(lambda: enqueue_import(job=job))


def submit_import(
    *, kind: str, lender: Lender | None = None, user: User | None = None, dry_run: bool = False, encoding: str = "",
    upload: UploadedFile,
) -> ImportJob:
    """An uploaded file becomes an ImportJob whose task is sent once the job's row has committed (the
    upload page's and ``POST /api/imports/``'s one way to start an import; the sweeper resends a job
    whose task never reached the broker)."""
    job = create_import_job(kind=kind, lender=lender, user=user, dry_run=dry_run, encoding=encoding, upload=upload)
    enqueue_import_on_commit(job)
    return job
