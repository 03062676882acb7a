"""Helpers for the browser tests (marker ``browser``); their fixtures — ``browser``, ``browser_page``
and ``shots`` — are in tests/conftest.py."""
from pathlib import Path

from tests import factories as f

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"  # the screenshots the docs show
VIEWPORT = {"width": 1366, "height": 900}
TIMEOUT_MS = 15000


def new_page(browser, lang: str = "en", *, viewport: dict | None = None):
    """A page in a fresh context (its own cookies) speaking ``lang`` ("en" or "zh-hans");
    close it with ``page.context.close()``."""
    context = browser.new_context(viewport=viewport or VIEWPORT, locale="zh-CN" if lang == "zh-hans" else "en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def login(page, base: str, username: str, *, lands_on: str | None = None, password: str = f.PASSWORD,
          wait: str = "load") -> None:
    """Sign in through the login form; then wait for ``lands_on`` (a path) or for the page to ``wait``."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    if lands_on is not None:
        page.wait_for_url(f"{base}{lands_on}")
    else:
        page.wait_for_load_state(wait)
