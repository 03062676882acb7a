import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

from tests import factories as f


def pytest_collection_modifyitems(config, items):
    """Skip what this environment cannot run, with the reason, instead of failing."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_worker = bool(os.environ.get("CELERY_WORKER_RUNNING"))
    has_browser = bool(shutil.which("chromium") or os.path.exists("/usr/bin/chromium"))
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "worker" in item.keywords and not (on_postgres and has_worker):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL, Redis and a Celery worker (.ci/run starts them)"))
        if "browser" in item.keywords and not has_browser:
            item.add_marker(pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)"))


@pytest.fixture(autouse=True)
def _celery_eager_unless_worker(request):
    """Tests run Celery tasks in-process, except those marked ``worker`` (a real worker process)."""
    from config.celery import app

    # the settings come from Django under the CELERY_ namespace: set that key (the plain
    # ``task_always_eager`` attribute would be shadowed by it)
    old = app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = ("worker" not in request.keywords) or old
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = old


@pytest.fixture(autouse=True)
def _english_unless_asked(request, settings):
    """Assertions read English; the product's default (zh-hans) is tested where it matters
    (tests marked ``zh``, the screenshots, tests/accounts/test_language.py)."""
    from django.utils import translation

    if "zh" in request.keywords:
        yield
        return
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def lender(db):
    return f.LenderFactory(code="acme", name="Acme Finance")


@pytest.fixture
def admin_user(db):
    return f.AdminFactory(username="admin1")


@pytest.fixture
def supervisor(db):
    return f.SupervisorFactory(username="super1")


@pytest.fixture
def team(db, supervisor):
    return f.TeamFactory(name="Team A", supervisor=supervisor)


@pytest.fixture
def collector(db, team):
    return f.CollectorFactory(username="coll1", team=team)


@pytest.fixture
def other_collector(db, team):
    return f.CollectorFactory(username="coll2", team=team)
