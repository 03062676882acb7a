import pytest
from rest_framework.authtoken.models import Token

from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/auth/token/"


def test_token_for_good_credentials_and_it_authenticates(api, collector):
    response = api.post(URL, {"username": "coll1", "password": f.PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=collector).key
    # same token the second time
    assert api.post(URL, {"username": "coll1", "password": f.PASSWORD}, format="json").json()["token"] == token

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/cases/").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"username": "coll1", "password": "wrong"},
        {"username": "nobody", "password": "x"},
        {"username": "coll1"},
        {},
        {"username": "coll1\x00", "password": f.PASSWORD},
    ],
)
def test_bad_credentials_are_400_with_a_message(api, collector, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert isinstance(data, dict) and data
    assert "token" not in data


def test_inactive_user_gets_no_token(api, collector):
    collector.is_active = False
    collector.save()
    assert api.post(URL, {"username": "coll1", "password": f.PASSWORD}, format="json").status_code == 400


def test_token_endpoint_is_throttled(api, collector):
    statuses = [
        api.post(URL, {"username": "coll1", "password": "wrong"}, format="json").status_code for _ in range(25)
    ]
    assert statuses[0] == 400
    assert 429 in statuses
    throttled = api.post(URL, {"username": "coll1", "password": f.PASSWORD}, format="json")
    assert throttled.status_code == 429
    assert "detail" in throttled.json()
    assert int(throttled["Retry-After"]) > 0


def test_session_auth_works_too(client, collector):
    client.force_login(collector)
    assert client.get("/api/cases/").status_code == 200


@pytest.mark.parametrize("header", ["Token nope", "Token ", "Bearer abc", "Token a b"])
def test_bad_token_is_refused(api, world, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/cases/")
    assert response.status_code in (401, 403)
    assert "results" not in response.json()


@pytest.mark.parametrize(
    "url",
    ["/api/lenders/", "/api/teams/", "/api/users/", "/api/borrowers/", "/api/loans/", "/api/installments/",
     "/api/payments/", "/api/cases/", "/api/promises/"],
)
def test_anonymous_gets_no_data(api, world, url):
    response = api.get(url)
    assert response.status_code in (401, 403)
    assert "results" not in response.json()
    assert api.post(url, {}, format="json").status_code in (401, 403)


def test_anonymous_is_401_with_token_challenge(api, world):
    response = api.get("/api/loans/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_signed_in_without_the_role_is_403_not_401(api, world):
    response = api.as_user(world.collector).get("/api/users/")
    assert response.status_code == 403
