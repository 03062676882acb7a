"""Lenders, teams and users: reads for the signed-in, writes for admins (docs/api.md)."""
import pytest

from accounts.models import Team, User
from collections_app import models as m
from tests import factories as f

from .conftest import ids

pytestmark = pytest.mark.django_db

NON_ADMINS = ["collector", "supervisor"]


def test_lender_defaults_and_hhmm_times(api, world):
    response = api.as_user(world.admin).post("/api/lenders/", {"code": "beta", "name": "Beta Loans"}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["id"]
    assert data["contact_start"] == "08:00" and data["contact_end"] == "21:00"
    assert data["max_calls_per_day"] == 3 and data["max_calls_per_7_days"] == 7
    assert data["quiet_days_after_conversation"] == 0 and data["third_party_from_bucket"] == "M2"
    assert m.Lender.objects.get(code="beta").name == "Beta Loans"


def test_lender_create_with_compliance_settings_and_patch_by_code(api, world):
    client = api.as_user(world.admin)
    body = {"code": "us", "name": "US Lender", "contact_start": "09:30", "contact_end": "20:00",
            "max_calls_per_day": 2, "max_calls_per_7_days": 7, "quiet_days_after_conversation": 7,
            "third_party_from_bucket": None}
    assert client.post("/api/lenders/", body, format="json").status_code == 201
    lender = m.Lender.objects.get(code="us")
    assert lender.third_party_from_bucket is None and lender.quiet_days_after_conversation == 7
    response = client.patch("/api/lenders/us/", {"contact_end": "19:00", "third_party_from_bucket": "M3"},
                            format="json")
    assert response.status_code == 200, response.content
    assert response.json()["contact_end"] == "19:00"
    lender.refresh_from_db()
    assert str(lender.contact_end) == "19:00:00" and lender.third_party_from_bucket == "M3"
    assert client.get("/api/lenders/us/").json()["contact_start"] == "09:30"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "acme", "name": "dup"}, "code"),
        ({"code": "bad code!", "name": "x"}, "code"),
        ({"code": "x1", "name": "x", "contact_start": "25:00"}, "contact_start"),
        ({"code": "x1", "name": "x", "contact_start": "22:00", "contact_end": "08:00"}, "contact_end"),
        ({"code": "x1", "name": "x", "max_calls_per_day": -1}, "max_calls_per_day"),
        ({"code": "x1", "name": "x", "max_calls_per_day": 10**20}, "max_calls_per_day"),
        ({"code": "x1", "name": "x", "max_calls_per_day": 5, "max_calls_per_7_days": 4}, "max_calls_per_7_days"),
        ({"code": "x1", "name": "x", "third_party_from_bucket": "M99"}, "third_party_from_bucket"),
        ({"code": "x1", "name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"code": "x1", "name": "x\x00"}, "name"),
        ({"code": "x1"}, "name"),
    ],
)
def test_lender_bad_input_is_400_per_field(api, world, body, field):
    response = api.as_user(world.admin).post("/api/lenders/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not m.Lender.objects.filter(code="x1").exists()


@pytest.mark.parametrize("who", NON_ADMINS)
def test_non_admins_read_lenders_but_cannot_write(api, world, who):
    client = api.as_user(getattr(world, who))
    assert ids(client.get("/api/lenders/")) == {world.lender.id}
    assert client.post("/api/lenders/", {"code": "z", "name": "z"}, format="json").status_code == 403
    assert client.patch("/api/lenders/acme/", {"name": "hacked"}, format="json").status_code == 403
    world.lender.refresh_from_db()
    assert world.lender.name == "Acme Finance"


def test_unknown_lender_code_is_404_and_put_delete_are_405(api, world):
    client = api.as_user(world.admin)
    assert client.get("/api/lenders/nope/").status_code == 404
    assert client.delete("/api/lenders/acme/").status_code == 405
    assert client.put("/api/lenders/acme/", {"code": "acme", "name": "n"}, format="json").status_code == 405


def test_team_create_and_set_supervisor(api, world):
    client = api.as_user(world.admin)
    response = client.post("/api/teams/", {"name": "Team C"}, format="json")
    assert response.status_code == 201, response.content
    team_id = response.json()["id"]
    assert Team.objects.get(id=team_id).supervisor is None
    response = client.patch(f"/api/teams/{team_id}/", {"supervisor": world.supervisor_b.id}, format="json")
    assert response.status_code == 200, response.content
    assert Team.objects.get(id=team_id).supervisor == world.supervisor_b
    # a collector cannot supervise
    bad = client.patch(f"/api/teams/{team_id}/", {"supervisor": world.collector.id}, format="json")
    assert bad.status_code == 400 and "supervisor" in bad.json()
    assert client.post("/api/teams/", {"name": "Team C"}, format="json").status_code == 400  # duplicate name
    assert client.post("/api/teams/", {"name": "T", "buckets": "M1,ZZ"}, format="json").status_code == 400


@pytest.mark.parametrize("who", NON_ADMINS)
def test_non_admins_cannot_write_teams(api, world, who):
    client = api.as_user(getattr(world, who))
    assert client.get("/api/teams/").status_code == 200
    assert client.post("/api/teams/", {"name": "Mine"}, format="json").status_code == 403
    assert client.patch(f"/api/teams/{world.team.id}/", {"supervisor": None}, format="json").status_code == 403


def test_team_list_members(api, world):
    data = api.as_user(world.admin).get(f"/api/teams/{world.team.id}/").json()
    assert set(data["members"]) == {world.collector.id, world.other_collector.id}
    assert data["supervisor"] == world.supervisor.id


def test_user_create_password_write_only_and_validated(api, world):
    client = api.as_user(world.admin)
    response = client.post(
        "/api/users/", {"username": "newbie", "password": "a-long-pass-phrase", "role": "collector",
                        "team": world.team.id}, format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["id"] and "password" not in data
    user = User.objects.get(id=data["id"])
    assert user.check_password("a-long-pass-phrase") and user.team == world.team and user.role == "collector"
    # the new user can get a token
    assert api.post("/api/auth/token/", {"username": "newbie", "password": "a-long-pass-phrase"},
                    format="json").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "u1", "password": "short", "role": "collector"}, "password"),
        ({"username": "u1", "password": "a-long-pass-phrase", "role": "boss"}, "role"),
        ({"username": "coll1", "password": "a-long-pass-phrase", "role": "collector"}, "username"),
        ({"username": "u1", "password": "a-long-pass-phrase", "role": "collector", "team": 999999}, "team"),
        ({"username": "u1", "role": "collector"}, "password"),
    ],
)
def test_user_create_bad_input(api, world, body, field):
    response = api.as_user(world.admin).post("/api/users/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not User.objects.filter(username="u1").exists()


def test_user_patch_role_team_and_password(api, world):
    client = api.as_user(world.admin)
    response = client.patch(f"/api/users/{world.collector.id}/", {"role": "supervisor", "team": None,
                                                                   "password": "another-long-one"}, format="json")
    assert response.status_code == 200, response.content
    world.collector.refresh_from_db()
    assert world.collector.role == "supervisor" and world.collector.team is None
    assert world.collector.check_password("another-long-one")


@pytest.mark.parametrize("who", ["collector", "other_collector", "supervisor"])
def test_users_endpoint_is_admin_only(api, world, who):
    client = api.as_user(getattr(world, who))
    assert client.get("/api/users/").status_code == 403
    assert client.get(f"/api/users/{world.collector.id}/").status_code == 403
    assert client.post("/api/users/", {"username": "x", "password": "a-long-pass-phrase", "role": "admin"},
                       format="json").status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_admin_lists_users_with_filters(api, world):
    client = api.as_user(world.admin)
    assert ids(client.get(f"/api/users/?team={world.team.id}")) == {world.collector.id, world.other_collector.id}
    assert world.supervisor.id in ids(client.get("/api/users/?role=supervisor"))
    assert client.get("/api/users/?role=boss").status_code == 400


def test_superuser_is_admin_for_the_api(api, db):
    root = f.UserFactory(username="root", is_superuser=True)
    assert api.as_user(root).get("/api/users/").status_code == 200
