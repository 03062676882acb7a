"""The supervisor's dashboard, computed off the request: a thin wrapper over services.dashboard_cache."""
from __future__ import annotations

from celery import shared_task

__all__ = ["compute_dashboard"]


@shared_task(name="collections_app.tasks.compute_dashboard")
def compute_dashboard(user_id: int, filters: dict) -> str:
    """Compute and keep one user's dashboard for one set of filters. Safe to deliver twice and to
    kill midway: the later result replaces the earlier, and nothing else is written."""
    from accounts.models import User
    from collections_app.services import dashboard_cache

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return "user gone"
    d = dashboard_cache.compute(user, dashboard_cache.filters_from_dict(filters))
    return f"{len(d.league)} collectors, {d.summary.get('open_cases', 0)} open cases"
