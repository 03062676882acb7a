import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

from tests import factories as f
from tests.browser import SHOTS, new_page


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


@pytest.fixture(scope="session", autouse=True)
def _redis_cache_of_its_own_per_xdist_worker():
    """Under pytest-xdist each worker process gets its own Redis database for the cache: a test's
    ``cache.clear()`` empties the whole database (FLUSHDB), and the other worker's rate windows or
    dashboard locks vanished mid-test. Without xdist (the real-worker suite, whose Celery
    worker reads the configured database) nothing changes."""
    from urllib.parse import urlsplit, urlunsplit

    from django.test.utils import override_settings

    cache = settings.CACHES["default"]
    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1" …; unset without xdist
    if not worker_id or not cache["BACKEND"].endswith("RedisCache"):
        yield
        return
    url = urlsplit(cache["LOCATION"])
    base = int(url.path.strip("/") or 0)
    db = (base + 1 + int(worker_id.removeprefix("gw"))) % 16
    with override_settings(CACHES={"default": {**cache, "LOCATION": urlunsplit(url._replace(path=f"/{db}"))}}):
        yield


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
def _dashboard_computed_per_request(settings):
    """Every dashboard visit computes its figures (eager Celery, in the request), as the tests change
    the book between visits; tests/supervisor/test_dashboard_cache.py tests the kept figures, their
    freshness and the background computation."""
    settings.DASHBOARD_FRESH_SECONDS = 0


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


# --- browser tests (marker ``browser``; helpers in tests/browser.py) -------------------------------


@pytest.fixture
def browser():
    """Debian's chromium driven through Playwright, for one test."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser):
    """A page in English at 1366×900; ``page.violations`` collects Content-Security-Policy
    violations from the console and ``page.script_errors`` uncaught script errors."""
    page = new_page(browser, "en")
    page.violations, page.script_errors = [], []
    page.on("console", lambda msg: page.violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: page.script_errors.append(str(exc)))
    yield page
    page.context.close()


@pytest.fixture
def shots():
    """docs/screenshots/, created: the screenshots the docs show."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
