"""Retention on beat: a thin wrapper over services.retention (safe to deliver twice: a second run
finds nothing left to do)."""
from __future__ import annotations

from celery import shared_task

from collections_app.services import retention as service


@shared_task(name="collections_app.tasks.purge_expired", acks_late=True, time_limit=6 * 3600)
def purge_expired() -> dict:
    report = service.purge_expired()
    return {"cutoff": report.cutoff.isoformat(), "lenders": len(report.lenders), **report.totals()}
