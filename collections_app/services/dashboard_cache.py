"""The dashboard computed off the request (docs/kpis.md, "Figures computed in the background").

At a large book the dashboard's figures take longer to compute than a web worker should be held
(88 s at 1,000,000 loans, `python manage.py bench --only web`): a few supervisors opening it would
tie up every gunicorn worker and stall the collectors' queue pages. So the page never computes them
itself. A Celery task (``compute_dashboard``) computes them with ``selectors.dashboard.dashboard``
and keeps the result in the cache (Redis in production) under the user and the filters; the page
shows the kept figures with the time they were computed, asks for a new computation when they are
older than ``DASHBOARD_FRESH_SECONDS`` (or the user presses Refresh), and — the first time, when
nothing is kept yet — shows that the figures are being computed and reloads itself.

One computation at a time per user and filters (a lock in the cache, released when the task ends
or after ``LOCK_SECONDS`` if its worker died). Without a broker (the embedded default, eager Celery)
the task runs inside the request, so the page always has its figures.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from collections_app.selectors import dashboard as dash

log = logging.getLogger(__name__)

VERSION = 1  # bump when the Dashboard's shape changes: kept figures of the old shape are ignored
LOCK_SECONDS = 30 * 60


@dataclass
class Snapshot:
    """What the page shows: the kept figures (None before the first computation ends), when they
    were computed, whether a computation is under way, and why the last one failed (if it did)."""

    dashboard: dash.Dashboard | None
    computed_at: dt.datetime | None
    refreshing: bool
    error: str = ""


def _filters_key(filters: dash.DashboardFilters) -> str:
    f = filters
    return f"{f.date_from.isoformat()}:{f.date_to.isoformat()}:{f.team_id or ''}:{f.lender_id or ''}:{f.collector_id or ''}"


def _key(user_id: int, filters: dash.DashboardFilters) -> str:
    """Per database (two deployments, or parallel test runs, may share one Redis), user and filters."""
    db = hashlib.sha256(str(connection.settings_dict["NAME"]).encode()).hexdigest()[:12]
    return f"dashboard:v{VERSION}:{db}:{user_id}:{_filters_key(filters)}"


def _lock(user_id: int, filters: dash.DashboardFilters) -> str:
    return _key(user_id, filters) + ":computing"


def filters_to_dict(filters: dash.DashboardFilters) -> dict:
    d = dataclasses.asdict(filters)
    d["date_from"], d["date_to"] = filters.date_from.isoformat(), filters.date_to.isoformat()
    return d


def filters_from_dict(data: dict) -> dash.DashboardFilters:
    return dash.DashboardFilters(date_from=dt.date.fromisoformat(data["date_from"]),
                                 date_to=dt.date.fromisoformat(data["date_to"]), team_id=data.get("team_id"),
                                 lender_id=data.get("lender_id"), collector_id=data.get("collector_id"))


def _keep_seconds() -> int:
    return max(int(settings.DASHBOARD_KEEP_SECONDS), int(settings.DASHBOARD_FRESH_SECONDS), 1)


def compute(user, filters: dash.DashboardFilters, *, now: dt.datetime | None = None) -> dash.Dashboard:
    """Compute the user's dashboard and keep it (the task's body). Safe to run twice: the later
    result replaces the earlier. A failure is kept too (with the figures kept before, if any), so
    the page says why instead of waiting for ever; the error is raised again for the task's log."""
    key, lock = _key(user.pk, filters), _lock(user.pk, filters)
    try:
        d = dash.dashboard(user, filters, now=now)
    except Exception as exc:
        log.exception("computing the dashboard of user %s failed", user.pk)
        kept = cache.get(key) or {}
        cache.set(key, {**kept, "error": str(exc) or exc.__class__.__name__}, _keep_seconds())
        raise
    finally:
        cache.delete(lock)
    cache.set(key, {"dashboard": d, "computed_at": now or timezone.now(), "error": ""}, _keep_seconds())
    return d


def snapshot(user, filters: dash.DashboardFilters, *, refresh: bool = False,
             now: dt.datetime | None = None) -> Snapshot:
    """The figures to show now; asks for a computation when none are kept, when they are older than
    DASHBOARD_FRESH_SECONDS, or on ``refresh`` — unless one is already under way."""
    from collections_app.tasks.dashboard import compute_dashboard

    now = now or timezone.now()
    key, lock = _key(user.pk, filters), _lock(user.pk, filters)
    kept = cache.get(key) or {}
    computed_at = kept.get("computed_at")
    stale = (kept.get("dashboard") is None or refresh or computed_at is None
             or (now - computed_at).total_seconds() >= settings.DASHBOARD_FRESH_SECONDS)
    if stale and cache.add(lock, now.isoformat(), LOCK_SECONDS):
        try:
            compute_dashboard.delay(user.pk, filters_to_dict(filters))  # eager Celery: computed here
        except Exception as exc:  # noqa: BLE001 - no broker, or (eager) the computation failed: say so
            cache.delete(lock)
            log.exception("the dashboard of user %s could not be computed", user.pk)
            kept = {**(cache.get(key) or {}), "error": str(exc) or exc.__class__.__name__}
            return Snapshot(kept.get("dashboard"), kept.get("computed_at"), False, kept["error"])
        kept = cache.get(key) or {}
    return Snapshot(kept.get("dashboard"), kept.get("computed_at"), cache.get(lock) is not None,
                    kept.get("error", ""))
