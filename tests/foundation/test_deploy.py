"""Deployment safety: DEBUG off by default, no demo data in a real database, production settings
that `check --deploy` passes, a weak key refused."""
import importlib.util
import os
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
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
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
