"""Tasks of the imports: thin wrappers over services.imports."""
from __future__ import annotations

from celery import shared_task

__all__ = ["import_file_task"]


@shared_task(name="collections_app.tasks.import_file_task", acks_late=True, reject_on_worker_lost=True)
def import_file_task(job_id: int) -> str:
    """Run one queued ImportJob. Safe to deliver twice: only the worker that moves the job from
    queued to running works it (compare-and-set); another delivery finds it taken and stops."""
    from collections_app.models import ImportJob, ImportStatus
    from collections_app.services.imports import run_import

    taken = ImportJob.objects.filter(id=job_id, status=ImportStatus.QUEUED).update(status=ImportStatus.RUNNING)
    if not taken:
        return "taken"
    job = ImportJob.objects.select_related("lender").get(id=job_id)
    run_import(job)
    return job.status
