"""Tasks of the strategy versions: thin wrappers over services.strategy_versions."""
from __future__ import annotations

from celery import shared_task

from collections_app.services.strategy_versions import activate_due_versions

__all__ = ["activate_strategy_versions"]


@shared_task(name="collections_app.tasks.activate_strategy_versions")
def activate_strategy_versions() -> str:
    """Activate the approved strategy version whose date has come (beat, shortly after midnight and
    before the nightly run). Safe to deliver twice: the second finds nothing due."""
    version = activate_due_versions()
    return f"v{version.number} active" if version else "nothing due"
