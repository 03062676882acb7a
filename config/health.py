"""Probes for load balancers and orchestrators: no login, no secrets, short timeouts.

GET /healthz  200 while the process serves requests (liveness; touches nothing else).
GET /readyz   200 when the database and the Celery broker answer, else 503 naming the part that
              failed; with no broker configured (Celery eager, the embedded default) the broker
              check reports "eager" and passes.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app

log = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception:  # any failure means "not ready"; the reason goes to the log, not the answer
        log.warning("readyz: database check failed", exc_info=True)
        return "failed"


def _broker() -> str:
    if app.conf.task_always_eager or str(app.conf.broker_url or "").startswith("memory://"):
        return "eager"
    timeout = settings.HEALTH_CHECK_TIMEOUT
    try:
        with app.connection_for_read(connect_timeout=timeout, transport_options={
            "socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0,
        }) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        return "ok"
    except Exception:
        log.warning("readyz: broker check failed", exc_info=True)
        return "failed"


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _database(), "broker": _broker()}
    failed = [name for name, state in checks.items() if state == "failed"]
    body = {"status": "unavailable" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
