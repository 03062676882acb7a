"""The test suite's settings (pyproject.toml points pytest here): the production settings, DEBUG
off as by default, with a random key for this run and no HTTPS-only behaviour, since the test
client and the live server speak plain HTTP. `tests/config/test_deploy.py` checks the real
production settings in a subprocess. Never used to serve."""
import os
import secrets

os.environ.setdefault("SECRET_KEY", "tests-" + secrets.token_urlsafe(64))

from config.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
