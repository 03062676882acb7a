"""The ``web_mix`` step of the web bench: gunicorn + locust on 127.0.0.1, bounded in time.

Collectors and supervisors are signed in by sessions the bench creates (the session store of the
product's settings), so the mix measures pages, not a thousand PBKDF2 password hashes. During the
mix a payment import (``IMPORT_ROWS`` payments) and the next night's run go on in this process.
Locust's own CPU shares the machine: on 2 cores the figures are a floor of what the server does.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.utils import timezone

from accounts.models import User
from collections_app.models import CollectionCase, ContactLog, Lender
from collections_app.models.choices import CaseStatus
from collections_app.services.imports import import_file
from collections_app.services.nightly import run_delinquency

from .common import BenchContext, BenchResult

WEB_WORKERS = int(os.environ.get("WEB_WORKERS", "3"))  # README: gunicorn --workers 3
WEB_MIX_USERS = int(os.environ.get("WEB_MIX_USERS", "200"))
WEB_MIX_SECONDS = int(os.environ.get("WEB_MIX_SECONDS", "60"))
IMPORT_ROWS = 20_000
LOCUSTFILE = Path(__file__).with_name("_locustfile.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sessions(users: list[User]) -> list[str]:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = []
    for user in users:
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        keys.append(session.session_key)
    return keys


def _plan(workdir: str) -> str:
    """The users' sessions and case ids for the locustfile, as a JSON file. The bench's lenders call
    all day (in the bench's own database): with the default 08:00–21:00 window, a mix run in the
    evening had every contact refused for the hour and logged none (CI, 2026-12-02 at 21:30 local)."""
    bench_lenders = CollectionCase.objects.filter(assigned_to__username__startswith="bench-c").values("lender_id")
    Lender.objects.filter(id__in=bench_lenders).update(contact_start=dt.time(0, 0), contact_end=dt.time(23, 59),
                                                       lunch_start=None, lunch_end=None)
    collectors = list(User.objects.filter(username__startswith="bench-c").order_by("username"))
    cases: dict[int, list[int]] = {}
    for case_id, user_id in CollectionCase.objects.filter(assigned_to__in=collectors, status=CaseStatus.OPEN) \
            .values_list("id", "assigned_to"):
        cases.setdefault(user_id, []).append(case_id)
    collectors = [u for u in collectors if cases.get(u.id)]
    supervisors = list(User.objects.filter(username="bench-supervisor"))
    plan = {
        "collectors": [{"session": key, "cases": cases[u.id][:200]}
                       for u, key in zip(collectors, _sessions(collectors), strict=True)],
        "supervisors": [{"session": key} for key in _sessions(supervisors)],
        "cookie": settings.SESSION_COOKIE_NAME,
    }
    path = os.path.join(workdir, "web-mix-plan.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(plan, fh)
    return path


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    # the bench's own SECRET_KEY: the sessions it wrote are signed with it (with another key every
    # request was anonymous and answered with the sign-in page — what the mix measured until 2026-12-02)
    env.update({"DEBUG": "0", "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "0", "SECURE_COOKIES": "0", "SECURE_PROXY_SSL_HEADER": "",
                "SECURE_HSTS_SECONDS": "0", "LOG_LEVEL": "ERROR"})
    return env


def _start_gunicorn(port: int, workdir: str) -> subprocess.Popen:
    log = open(os.path.join(workdir, "gunicorn.log"), "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WEB_WORKERS), "--timeout", "120"],
        cwd=str(settings.BASE_DIR), env=_server_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}: see {workdir}/gunicorn.log")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.5)
    _stop(proc)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _background_work(workdir: str, night: dt.date | None, done: dict) -> None:
    """A payment import and the next night's run, as production has them during the day."""
    try:
        path = os.path.join(workdir, "web-mix-payments.csv")
        loans = list(CollectionCase.objects.filter(status=CaseStatus.OPEN).values_list("loans__external_id",
                                                                                      flat=True)[:IMPORT_ROWS])
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["payment_id", "loan_id", "paid_on", "amount", "channel", "note"])
            for i, loan in enumerate(loans):
                w.writerow([f"WM{int(time.time())}-{i}", loan, (night or dt.date.today()).isoformat(), "10.00",
                            "bank", ""])
        lender = CollectionCase.objects.filter(status=CaseStatus.OPEN).values_list("lender__code", flat=True).first()
        job = import_file(path=path, kind="payments", lender=lender, recalculate=False)
        done["import"] = f"import of {len(loans)} payments: {job.status}"
        if night:
            run = run_delinquency(as_of=night + dt.timedelta(days=1), triggered_by="bench")
            done["night"] = f"night {run.as_of}: {run.status}, {run.loans_processed} loans"
    except Exception as exc:  # reported on the step's line, not raised into the mix
        done["error"] = f"background work failed: {exc!r}"
    finally:
        connection.close()


def _read_stats(prefix: str) -> dict:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        rows = {row["Name"]: row for row in csv.DictReader(fh)}
    return rows


def web_mix(ctx: BenchContext, night: dt.date | None) -> BenchResult:
    if not (os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")):
        return BenchResult(name="web mix (skipped: set REDIS_URL)", rows=0, seconds=0.0, step="web_mix",
                           unit="requests")
    if not shutil.which("locust", path=os.path.dirname(sys.executable)):
        return BenchResult(name="web mix (skipped: locust is not installed)", rows=0, seconds=0.0,
                           step="web_mix", unit="requests")
    plan = _plan(ctx.workdir)
    port = _free_port()
    # production runs Celery workers beside gunicorn: the supervisors' dashboards are computed there
    # (services.dashboard_cache), not in the web workers
    from config.celery import app as celery_app

    from .delinquency import _start_worker, _stop_workers, _wait_workers

    celery = [_start_worker(0, ctx.workdir)]
    try:
        _wait_workers(celery_app, 1, celery)
        server = _start_gunicorn(port, ctx.workdir)
    except Exception:
        _stop_workers(celery)
        raise
    done: dict[str, str] = {}
    worker = threading.Thread(target=_background_work, args=(ctx.workdir, night, done), daemon=True)
    prefix = os.path.join(ctx.workdir, "web-mix")
    locust_log = open(f"{prefix}-locust.log", "wb")  # noqa: SIM115 (closed below)
    mix_start = timezone.now()
    try:
        worker.start()
        started = time.perf_counter()
        subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "locust"), "-f", str(LOCUSTFILE), "--headless",
             "-u", str(WEB_MIX_USERS), "-r", str(max(WEB_MIX_USERS // 10, 1)), "-t", f"{WEB_MIX_SECONDS}s",
             "--host", f"http://127.0.0.1:{port}", "--csv", prefix, "--only-summary", "--stop-timeout", "10",
             "--loglevel", "ERROR"],
            env={**os.environ, "BENCH_WEB_PLAN": plan}, cwd=ctx.workdir, check=False,
            timeout=WEB_MIX_SECONDS + 120, stdout=locust_log, stderr=subprocess.STDOUT,
        )
        seconds = time.perf_counter() - started
        worker.join(timeout=600)
    finally:
        _stop(server)
        _stop_workers(celery)
        locust_log.close()
    stats = _read_stats(prefix)
    total = stats["Aggregated"]
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    pages = {name: row["95%"] for name, row in stats.items() if name != "Aggregated"}
    logged = ContactLog.objects.filter(note="bench", created_at__gte=mix_start).count()
    detail = "; ".join([f"p95 ms by page (client side) {pages}", f"{failures} failures",
                        f"{logged} contacts logged", *done.values()])
    return BenchResult(name=f"web mix ({WEB_MIX_USERS} users, {WEB_MIX_SECONDS} s, gunicorn x{WEB_WORKERS})",
                       rows=requests, seconds=seconds, step="web_mix", unit="requests",
                       p95_ms=float(total["95%"]), rate=float(total["Requests/s"]), min_rate=150.0,
                       max_seconds=None if failures == 0 and "error" not in done else 0.0, extra=detail)

