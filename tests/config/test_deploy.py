"""Deployment safety: DEBUG off by default, no demo data in a real database, production settings
that `check --deploy` passes, a weak key refused."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_dev():
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_run_turns_debug_on_and_loads_demo_data_only_on_the_embedded_database():
    dev = load_dev()
    env, demo = dev.run_plan([], {})
    assert (env["DEBUG"], demo) == ("1", True)
    env, demo = dev.run_plan([], {"DEBUG": "0"})
    assert (env["DEBUG"], demo) == ("0", True)
    production = {"DATABASE_URL": "postgres://db.example/collections", "SECRET_KEY": "x" * 60}
    env, demo = dev.run_plan([], production)
    assert ("DEBUG" in env, demo) == (False, False)
    assert dev.run_plan(["--demo"], production)[1] is True
    assert dev.run_plan([], {**production, "DEMO_DATA": "1"})[1] is True
    assert dev.run_plan([], {**production, "DEMO_DATA": "0"})[1] is False


def settings_env(**extra):
    """A production-like environment: nothing of the test run's own (its key, settings module,
    DJANGO_ALLOW_ASYNC_UNSAFE set by the browser tests, ...), only what is given."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **extra)
    return env


def manage(*args, **env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=settings_env(**env),
                          capture_output=True, text=True, timeout=120)


def test_debug_is_off_by_default_and_a_key_is_then_required():
    out = manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert out.returncode != 0
    assert "SECRET_KEY is not set" in out.stderr
    out = manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", SECRET_KEY="k" * 10 + "abcdefghij" * 5)
    assert (out.returncode, out.stdout.strip().splitlines()[-1]) == (0, "False")
    out = manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", DEBUG="1")
    assert (out.returncode, out.stdout.strip().splitlines()[-1]) == (0, "True")


@pytest.mark.parametrize("key", ["change-me-in-production", "short-but-random-Xq3", "django-insecure-" + "a1b2c3" * 10,
                                 "a" * 80])
def test_a_weak_or_published_key_is_refused_with_debug_off(key):
    out = manage("check", SECRET_KEY=key)
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr


def test_compose_file_requires_a_key_and_has_no_default():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "SECRET_KEY: ${SECRET_KEY:?" in compose
    assert "change-me" not in compose


def test_check_deploy_with_production_settings_reports_nothing():
    out = manage("check", "--deploy", "--fail-level", "DEBUG", DEBUG="0", ALLOWED_HOSTS="collections.example.com",
                 SECRET_KEY="Zq" + "x8Y-3kP_w7Rt" * 5)
    assert out.returncode == 0, out.stderr
    assert "System check identified no issues (0 silenced)." in out.stdout


@pytest.mark.django_db
def test_pages_send_csp_permissions_policy_and_no_inline_script(client, supervisor, team):
    client.force_login(supervisor)
    for path in ("/supervisor/", "/supervisor/allocation/"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        csp = resp["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert "camera=()" in resp["Permissions-Policy"] and "microphone=()" in resp["Permissions-Policy"]
        html = resp.content.decode()
        # every <script> has a src (or is a JSON data block); no inline event handlers
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son(click|change|submit|load)=", html), path


@pytest.mark.django_db
def test_production_settings_redirect_to_https_and_secure_cookies():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_AGE <= 12 * 3600, s.SESSION_IDLE_TIMEOUT)"
    )
    key = "Zq" + "x8Y-3kP_w7Rt" * 5
    out = manage("shell", "-c", code, SECRET_KEY=key)
    last = out.stdout.strip().splitlines()[-1]
    assert last == "True ('HTTP_X_FORWARDED_PROTO', 'https') True True True True 1800", out.stderr
    out = manage("shell", "-c", code, SECRET_KEY=key, SECURE_SSL_REDIRECT="0", SECURE_PROXY_SSL_HEADER="",
                 SESSION_IDLE_TIMEOUT="600")
    assert out.stdout.strip().splitlines()[-1] == "False None True True True True 600"


@pytest.mark.django_db
def test_idle_session_is_ended(client, collector, settings):
    import time

    settings.SESSION_IDLE_TIMEOUT = 60
    client.force_login(collector)
    assert client.get("/queue/").status_code == 200
    session = client.session
    session["_last_seen"] = int(time.time()) - 61
    session.save()
    resp = client.get("/queue/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
    assert client.get("/queue/").status_code == 302  # the session is gone, not just this request


@pytest.mark.django_db
def test_api_docs_are_local_and_for_signed_in_users(client, collector):
    assert client.get("/api/docs/").status_code == 302
    assert client.get("/api/schema/").status_code == 200  # the OpenAPI document stays public
    client.force_login(collector)
    html = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "<style" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_dev_test_runs_one_worker_per_core_unless_the_arguments_choose():
    dev = load_dev()
    assert dev.test_args([], 2) == ["-n", "2"]
    assert dev.test_args(["tests/domain", "-x"], 8) == ["-n", "4", "tests/domain", "-x"]
    assert dev.test_args([], 1) == []
    assert dev.test_args(["-n", "0"], 2) == ["-n", "0"]
    assert dev.test_args(["-n2", "tests"], 2) == ["-n2", "tests"]
    assert dev.test_args(["-p", "no:xdist"], 2) == ["-p", "no:xdist"]
