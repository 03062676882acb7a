"""Tasks of the imports: thin wrappers over services.imports."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from collections_app.services.imports import run_import
from collections_app.services.imports.jobs import claim_import, enqueue_import, sweep_imports

__all__ = ["import_file_task", "sweep_imports_task"]


@shared_task(name="collections_app.tasks.import_file_task", acks_late=True, reject_on_worker_lost=True)
def import_file_task(job_id: int) -> str:
    """Run one ImportJob. Safe to deliver twice and to kill midway: only the worker that claims the
    job (queued, or running under a stale lease) works it; another delivery finds it taken and stops,
    and a delivery after a killed run takes it over and finishes it (services.imports.jobs)."""
    job = claim_import(job_id=job_id)
    if job is None:
        return "taken"
    run_import(job=job, batch_size=settings.IMPORT_BATCH_SIZE)
    return job.status


@shared_task(name="collections_app.tasks.sweep_imports", acks_late=True)
def sweep_imports_task() -> dict:
    """On beat: send again the imports whose worker died or whose task never reached a worker."""
    return sweep_imports(send=enqueue_import)
