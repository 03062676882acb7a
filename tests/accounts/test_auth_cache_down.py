"""POST /api/auth/token/ keeps working, and keeps limiting, when the cache (Redis) is unreachable."""
import logging
import socket

import pytest
from rest_framework.test import APIClient

from accounts import throttling
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/auth/token/"


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there any more
    return port


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    throttling._fallback_cache.clear()
    yield
    throttling._fallback_cache.clear()


@pytest.fixture
def api():
    return APIClient()


def test_the_cache_is_really_down(redis_down):
    from django.core.cache import cache
    from redis.exceptions import ConnectionError

    with pytest.raises(ConnectionError):
        cache.get("anything")


def test_token_is_issued_with_the_cache_down(api, collector, redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.throttling"):
        response = api.post(URL, {"username": "coll1", "password": f.PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json()["token"]
    assert any("throttle cache unavailable" in r.getMessage() for r in caplog.records)
    assert api.post(URL, {"username": "coll1", "password": "wrong"}, format="json").status_code == 400


def test_lockout_holds_with_the_cache_down(api, collector, redis_down, settings):
    settings.AXES_FAILURE_LIMIT = 5
    statuses = [api.post(URL, {"username": "coll1", "password": "wrong"}, format="json").status_code
                for _ in range(6)]
    assert statuses == [400] * 4 + [429] * 2
    assert api.post(URL, {"username": "coll1", "password": f.PASSWORD}, format="json").status_code == 429


def test_rate_limit_holds_per_process_with_the_cache_down(api, collector, redis_down, settings):
    settings.AXES_FAILURE_LIMIT = 1000
    statuses = [api.post(URL, {"username": "nobody", "password": "x"}, format="json").status_code
                for _ in range(25)]
    assert statuses.index(429) == 20
    assert set(statuses[20:]) == {429}


def test_login_page_works_with_the_cache_down(client, redis_down):
    f.CollectorFactory(username="c1")
    assert client.post("/accounts/login/", {"username": "c1", "password": f.PASSWORD}).status_code == 302
