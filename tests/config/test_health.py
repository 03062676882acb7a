"""/healthz and /readyz: no login, no secrets, quick answers even when a part hangs."""
import os
import socket
import threading
import time

import pytest
from django.db import OperationalError

from config import health
from config.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(request):
    """Point Celery at a broker URL (not eager) for one test."""
    old = (app.conf.CELERY_BROKER_URL, app.conf.CELERY_TASK_ALWAYS_EAGER)

    def use(url):
        app.conf.CELERY_BROKER_URL = url
        app.conf.CELERY_TASK_ALWAYS_EAGER = False

    yield use
    app.conf.CELERY_BROKER_URL, app.conf.CELERY_TASK_ALWAYS_EAGER = old


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers (a hung broker)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held, stop = [], threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_healthz_answers_anonymously(client):
    resp = client.get("/healthz")
    assert (resp.status_code, resp.json()) == (200, {"status": "ok"})
    assert client.post("/healthz").status_code == 405


def test_readyz_passes_on_the_embedded_default_with_eager_celery(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "checks": {"database": "ok", "broker": "eager"}}


def test_readyz_names_a_hung_broker_quickly_and_shows_no_secret(client, broker, silent_server, settings):
    settings.HEALTH_CHECK_TIMEOUT = 1
    broker(f"redis://:s3cret-pass@127.0.0.1:{silent_server}/0")
    started = time.monotonic()
    resp = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert resp.status_code == 503
    assert resp.json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "failed"},
                           "failed": ["broker"]}
    assert b"s3cret" not in resp.content and b"127.0.0.1" not in resp.content
    assert elapsed < 5, elapsed


def test_readyz_names_a_refusing_broker(client, broker):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    broker(f"redis://127.0.0.1:{port}/0")
    resp = client.get("/readyz")
    assert (resp.status_code, resp.json()["failed"]) == (503, ["broker"])


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_readyz_passes_with_a_live_broker(client, broker):
    broker(os.environ["REDIS_URL"])
    resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.json()["checks"]["broker"] == "ok"


def test_readyz_names_a_failing_database(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("could not connect to server: password=hunter2")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["checks"]["database"] == "failed" and resp.json()["failed"] == ["database"]
    assert b"hunter2" not in resp.content


def test_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
