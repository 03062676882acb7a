"""Tasks of agency placement: thin wrappers over services.agency."""
from __future__ import annotations

from celery import shared_task

__all__ = ["recall_due_placements"]


@shared_task(name="collections_app.tasks.recall_due_placements")
def recall_due_placements() -> str:
    """Daily (beat): attribute payments made during placements, recall placements whose recall
    date has come or whose case closed. Safe to deliver twice: the second finds nothing to do."""
    from collections_app.services.agency import recall_due

    result = recall_due()
    return f"{result['recalled']} recalled, {result['attributed']} payments attributed"
