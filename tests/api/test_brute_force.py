"""Brute force on the login page and on POST /api/auth/token/: lockout by account and by client
address (django-axes), client address taken only from trusted proxies, failed sign-ins recorded."""
import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core.management import call_command
from django.urls import reverse

from accounts.throttling import ClientScopedRateThrottle
from tests import factories as f

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token/"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.TRUSTED_PROXY_COUNT = 0


def login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def signed_in(client):
    return "_auth_user_id" in client.session


def test_wrong_passwords_then_the_right_one_is_refused_on_the_login_page(client):
    f.CollectorFactory(username="c1")
    statuses = [login(client, "c1", f"wrong-{i}").status_code for i in range(25)]
    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert statuses[-1] == 429
    response = login(client, "c1", f.PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    body = response.content.decode()
    assert "Too many failed sign-in attempts" in body and "15 minutes" in body
    assert int(response["Retry-After"]) == 15 * 60


def test_rotating_x_forwarded_for_does_not_bypass_the_login_page(client):
    f.CollectorFactory(username="c1")
    for i in range(10):
        login(client, "c1", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.{i}.1")
    response = login(client, "c1", f.PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429
    assert not signed_in(client)
    # no proxy configured: every attempt is counted against the socket address
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_one_address_trying_many_accounts_is_locked_out(client):
    victim = f.CollectorFactory(username="victim")
    for i in range(5):
        login(client, f"guess{i}", "wrong", REMOTE_ADDR="203.0.113.7")
    assert login(client, victim.username, f.PASSWORD, REMOTE_ADDR="203.0.113.7").status_code == 429
    # another address is not affected
    assert login(client, victim.username, f.PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == 302


def test_one_account_tried_from_many_addresses_is_locked_out(client):
    f.CollectorFactory(username="c1")
    for i in range(5):
        login(client, "c1", "wrong", REMOTE_ADDR=f"203.0.113.{i + 1}")
    assert login(client, "c1", f.PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == 429


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_appended(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    f.CollectorFactory(username="c1")
    f.CollectorFactory(username="c2")
    # the attacker (real address 203.0.113.7) rotates the part of the header it writes itself
    for i in range(5):
        login(client, f"guess{i}", "wrong", REMOTE_ADDR="10.0.0.2",
              HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    assert login(client, "c2", f.PASSWORD, REMOTE_ADDR="10.0.0.2",
                 HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7").status_code == 429
    # another client behind the same proxy signs in
    assert login(client, "c1", f.PASSWORD, REMOTE_ADDR="10.0.0.2",
                 HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


def test_signing_in_to_ones_own_account_does_not_reset_guesses_at_another(client):
    f.CollectorFactory(username="insider")
    f.CollectorFactory(username="victim")
    for _ in range(3):
        for _ in range(4):
            login(client, "victim", "guess", REMOTE_ADDR="198.51.100.2")
        assert login(client, "insider", f.PASSWORD, REMOTE_ADDR="198.51.100.2").status_code in (302, 429)
        client.post(reverse("logout"))
    assert login(client, "victim", f.PASSWORD, REMOTE_ADDR="198.51.100.3").status_code == 429


def test_failures_older_than_the_cool_off_no_longer_count(client):
    from django.utils import timezone

    f.CollectorFactory(username="c1")
    for _ in range(5):
        login(client, "c1", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert login(client, "c1", f.PASSWORD).status_code == 302


def test_failed_sign_ins_are_logged_and_recorded(client, caplog):
    f.CollectorFactory(username="c1")
    with caplog.at_level(logging.INFO, logger="axes"):
        for _ in range(5):
            login(client, "c1", "wrong")
    assert AccessFailureLog.objects.filter(username="c1").count() == 5
    assert "wrong" not in AccessAttempt.objects.get(username="c1").post_data  # the password is masked
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    assert any("login failure" in m.lower() for m in messages)
    assert any("locking out" in m.lower() and "c1" in m and "127.0.0.1" in m for m in messages)


def test_an_admin_unlocks_an_account_with_the_command(client):
    f.CollectorFactory(username="c1")
    for _ in range(5):
        login(client, "c1", "wrong", REMOTE_ADDR="203.0.113.7")
    assert login(client, "c1", f.PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == 429
    call_command("axes_reset_username", "c1")
    assert login(client, "c1", f.PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == 302


def test_an_admin_sees_and_deletes_lockouts_in_the_admin(client, admin_user):
    f.CollectorFactory(username="c1")
    for _ in range(5):
        login(client, "c1", "wrong", REMOTE_ADDR="203.0.113.7")
    attempt = AccessAttempt.objects.get(username="c1")
    client.force_login(admin_user)
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="c1").exists()


# --- the token endpoint -----------------------------------------------------------------------


def test_token_endpoint_locks_out_even_with_rotating_forwarded_for(api, collector, monkeypatch):
    # the rate limit out of the way: only the lockout is under test
    monkeypatch.setattr(ClientScopedRateThrottle, "THROTTLE_RATES", {"auth": "1000/min"})
    statuses = [
        api.post(TOKEN_URL, {"username": "coll1", "password": f"wrong{i}"}, format="json",
                 HTTP_X_FORWARDED_FOR=f"10.{i}.0.1").status_code
        for i in range(60)
    ]
    assert statuses[:4] == [400] * 4
    assert statuses[5:] == [429] * 55
    response = api.post(TOKEN_URL, {"username": "coll1", "password": f.PASSWORD}, format="json",
                        HTTP_X_FORWARDED_FOR="10.200.0.1")
    assert response.status_code == 429
    assert "token" not in response.json()
    assert "Too many failed sign-in attempts" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_token_throttle_keys_on_the_client_not_the_forwarded_header(api, collector, settings, monkeypatch):
    from django.core.cache.backends.locmem import LocMemCache

    # lockout out of the way: only the rate limit is under test, on a cache of its own (Redis
    # under CI may be shared with, and cleared by, tests running in parallel)
    settings.AXES_FAILURE_LIMIT = 1000
    monkeypatch.setattr(ClientScopedRateThrottle, "cache", LocMemCache("test-throttle", {}))
    statuses = [
        api.post(TOKEN_URL, {"username": "nobody", "password": "x"}, format="json",
                 HTTP_X_FORWARDED_FOR=f"10.{i}.0.1").status_code
        for i in range(30)
    ]
    assert statuses[0] == 400
    assert statuses[-1] == 429
    assert statuses.index(429) == 20  # AUTH_THROTTLE_RATE 20/min


def test_lockout_on_one_path_holds_on_the_other(client, api, collector):
    for _ in range(5):
        login(client, "coll1", "wrong")
    assert api.post(TOKEN_URL, {"username": "coll1", "password": f.PASSWORD}, format="json").status_code == 429


def test_the_admin_login_shares_the_lockout(client, admin_user):
    for _ in range(5):
        client.post("/admin/login/", {"username": admin_user.username, "password": "wrong"})
    response = client.post("/admin/login/", {"username": admin_user.username, "password": f.PASSWORD})
    assert response.status_code == 429
    assert not signed_in(client)


# --- password rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "message"), [
    ("password123", "too common"),
    ("iloveyou", "too common"),
    ("8461937205", "entirely numeric"),
])
def test_common_or_numeric_passwords_are_refused_for_new_users(api, admin_user, password, message):
    response = api.as_user(admin_user).post(
        "/api/users/", {"username": "newbie", "password": password, "role": "collector"}, format="json"
    )
    assert response.status_code == 400
    assert any(message in m for m in response.json()["password"])


def test_a_decent_password_is_accepted(api, admin_user):
    response = api.as_user(admin_user).post(
        "/api/users/", {"username": "newbie", "password": "harbour-lantern-42", "role": "collector"}, format="json"
    )
    assert response.status_code == 201
