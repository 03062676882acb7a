"""API tokens expire, and die with a change of password, role or active flag on every path (API,
admin user form, admin password forms, changepassword); users have history; a demoted admin loses
is_staff/is_superuser."""
import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role, User
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def admin(db):
    return f.AdminFactory(username="boss")


def token_of(user) -> str:
    response = APIClient().post("/api/auth/token/", {"username": user.username, "password": f.PASSWORD},
                                format="json")
    assert response.status_code == 200
    return response.json()["token"]


def works(token) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    status = client.get("/api/cases/").status_code
    assert status in (200, 401)
    return status == 200


# --- expiry ------------------------------------------------------------------------------------


def test_a_token_expires_after_the_ttl_and_is_deleted(settings):
    settings.API_TOKEN_TTL_HOURS = 2
    user = f.CollectorFactory(username="c1")
    key = token_of(user)
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(hours=1, minutes=59))
    assert works(key)
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(hours=2, minutes=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "expired" in response.json()["detail"]
    assert not Token.objects.filter(key=key).exists()


def test_the_token_endpoint_gives_the_same_token_until_it_expires_then_a_new_one(settings):
    settings.API_TOKEN_TTL_HOURS = 24
    user = f.CollectorFactory(username="c1")
    key = token_of(user)
    assert token_of(user) == key
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(hours=25))
    new = token_of(user)
    assert new != key
    assert works(new)
    assert Token.objects.filter(user=user).count() == 1


# --- revocation through the API ------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    {"password": "harbour-lantern-42"},
    {"role": "supervisor"},
    {"is_active": False},
])
def test_an_api_change_of_password_role_or_active_flag_revokes_tokens(api, admin, change):
    user = f.CollectorFactory(username="c1")
    key = token_of(user)
    api.force_authenticate(admin)
    assert api.patch(f"/api/users/{user.id}/", change, format="json").status_code == 200
    assert not works(key)
    assert not Token.objects.filter(user=user).exists()


def test_an_api_change_of_other_fields_keeps_tokens(api, admin):
    user = f.CollectorFactory(username="c1")
    key = token_of(user)
    api.force_authenticate(admin)
    assert api.patch(f"/api/users/{user.id}/", {"region": "North", "max_open_cases": 10},
                     format="json").status_code == 200
    assert works(key)


def test_a_password_change_through_the_api_lets_the_new_password_get_a_new_token(api, admin):
    user = f.CollectorFactory(username="c1")
    old = token_of(user)
    api.force_authenticate(admin)
    api.patch(f"/api/users/{user.id}/", {"password": "harbour-lantern-42"}, format="json")
    response = APIClient().post("/api/auth/token/", {"username": "c1", "password": "harbour-lantern-42"},
                                format="json")
    assert response.status_code == 200 and response.json()["token"] != old


# --- revocation through the admin -----------------------------------------------------------------


def change_form_data(user, **overrides):
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
        "role": user.role, "team": user.team_id or "", "language": user.language,
        "phone_extension": user.phone_extension, "languages_spoken": user.languages_spoken,
        "region": user.region, "max_open_cases": user.max_open_cases,
    }
    if user.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("overrides", [{"role": Role.FIELD_AGENT}, {"is_active": None}])
def test_an_admin_form_change_of_role_or_active_flag_revokes_tokens(client, admin, overrides):
    user = f.CollectorFactory(username="c1")
    key = token_of(user)
    client.force_login(admin)
    response = client.post(f"/admin/accounts/user/{user.id}/change/", change_form_data(user, **overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not works(key)


def test_an_admin_form_change_of_the_name_keeps_tokens(client, admin):
    user = f.CollectorFactory(username="c1")
    key = token_of(user)
    client.force_login(admin)
    response = client.post(f"/admin/accounts/user/{user.id}/change/", change_form_data(user, last_name="Li"))
    assert response.status_code == 302
    assert works(key)


def test_an_admin_resetting_a_password_revokes_tokens(client, admin):
    user = f.CollectorFactory(username="c1")
    key = token_of(user)
    client.force_login(admin)
    response = client.post(f"/admin/accounts/user/{user.id}/password/", {
        "set_usable_password": "true", "password1": "harbour-lantern-42", "password2": "harbour-lantern-42",
    })
    assert response.status_code == 302
    assert not works(key)
    user.refresh_from_db()
    assert user.check_password("harbour-lantern-42")


def test_an_admin_changing_their_own_password_revokes_their_tokens(client, admin):
    key = token_of(admin)
    client.force_login(admin)
    assert client.get("/admin/password_change/").status_code == 200
    response = client.post("/admin/password_change/", {
        "old_password": f.PASSWORD, "new_password1": "harbour-lantern-42", "new_password2": "harbour-lantern-42",
    })
    assert response.status_code == 302
    assert not works(key)
    # still signed in to the admin with the new password
    assert client.get("/admin/").status_code == 200


def test_the_changepassword_command_revokes_tokens(monkeypatch):
    from accounts.management.commands import changepassword

    user = f.CollectorFactory(username="c1")
    key = token_of(user)
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": "harbour-lantern-42")
    call_command("changepassword", "c1")
    assert not works(key)


# --- role flags and history ------------------------------------------------------------------------


def test_demoting_an_admin_clears_staff_and_superuser_and_leaves_history(api, admin):
    root = User.objects.create_superuser("root", "r@example.com", "harbour-lantern-42")
    assert root.role == Role.ADMIN and root.is_staff and root.is_superuser
    api.force_authenticate(admin)
    assert api.patch(f"/api/users/{root.id}/", {"role": "collector"}, format="json").status_code == 200
    root.refresh_from_db()
    assert root.role == Role.COLLECTOR and not root.is_staff and not root.is_superuser
    latest = root.history.latest()
    assert latest.role == Role.COLLECTOR and latest.history_user == admin
    assert latest.prev_record.role == Role.ADMIN


def test_a_promotion_to_admin_through_the_admin_leaves_a_trace(client, admin):
    user = f.CollectorFactory(username="c1")
    client.force_login(admin)
    response = client.post(f"/admin/accounts/user/{user.id}/change/", change_form_data(user, role=Role.ADMIN))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff and user.role == Role.ADMIN
    promotion = user.history.latest()
    assert promotion.role == Role.ADMIN and promotion.history_user == admin
    assert promotion.prev_record.role == Role.COLLECTOR
    assert client.get(f"/admin/accounts/user/{user.id}/history/").status_code == 200


def test_demotion_in_the_admin_clears_staff(client, admin):
    other = f.AdminFactory(username="admin2")
    assert other.is_staff
    client.force_login(admin)
    response = client.post(f"/admin/accounts/user/{other.id}/change/", change_form_data(other, role=Role.SUPERVISOR))
    assert response.status_code == 302
    other.refresh_from_db()
    assert not other.is_staff and not other.is_superuser
    # and the admin site is closed to them now
    client.force_login(other)
    assert client.get("/admin/").status_code == 302


def test_history_does_not_keep_the_password_hash():
    assert "password" not in {field.name for field in User.history.model._meta.get_fields()}


# --- concurrency (PostgreSQL, real threads) ------------------------------------------------------


def _run_together(n, work):
    import threading

    from django.db import connection

    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_token_requests_get_one_token():
    from accounts.services import token_for_user

    user = f.CollectorFactory(username="racer")
    results, errors = _run_together(8, lambda: token_for_user(user=User.objects.get(pk=user.pk)).key)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 8
    assert Token.objects.filter(user=user).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_with_an_expired_token_rotate_it_once():
    from accounts.services import token_for_user

    user = f.CollectorFactory(username="racer")
    old = Token.objects.create(user=user)
    Token.objects.filter(pk=old.pk).update(created=timezone.now() - dt.timedelta(days=30))
    results, errors = _run_together(8, lambda: token_for_user(user=User.objects.get(pk=user.pk)).key)
    assert errors == []
    assert old.key not in results
    assert Token.objects.filter(user=user).count() == 1
    assert set(results) == {Token.objects.get(user=user).key}
