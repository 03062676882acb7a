"""Bad ``?ordering=`` is a 400 naming the fields; GET-only pages and endpoints refuse other methods (405)."""
import pytest
from django.urls import reverse

from collections_app.models import ImportJob
from tests import factories as f

pytestmark = pytest.mark.django_db

LISTS = ["/api/lenders/", "/api/teams/", "/api/users/", "/api/borrowers/", "/api/loans/", "/api/installments/",
         "/api/payments/", "/api/cases/", "/api/promises/"]


@pytest.mark.parametrize("url", LISTS)
def test_an_unknown_ordering_field_is_a_400_listing_the_fields(api, admin_user, url):
    response = api.as_user(admin_user).get(url, {"ordering": "no_such_field"})
    assert response.status_code == 400
    message = response.json()["ordering"][0]
    assert "'no_such_field'" in message and ("id" in message or "name" in message)


def test_contacts_list_checks_ordering_too(api, world):
    response = api.as_user(world.admin).get(f"/api/cases/{world.mine.id}/contacts/", {"ordering": "-password"})
    assert response.status_code == 400 and "occurred_at" in response.json()["ordering"][0]


@pytest.mark.parametrize("value", ["dpd,", "-dpd,bogus", " dpd", "--dpd", "", "dpd;id"])
def test_malformed_orderings_are_400(api, world, value):
    assert api.as_user(world.admin).get("/api/loans/", {"ordering": value}).status_code == 400


def test_ordering_given_twice_is_400(api, world):
    response = api.as_user(world.admin).get("/api/loans/?ordering=dpd&ordering=-dpd")
    assert response.status_code == 400 and response.json() == {"ordering": ["Give this parameter once."]}


def test_valid_orderings_still_order(api, world):
    client = api.as_user(world.admin)
    rows = client.get("/api/loans/", {"ordering": "-dpd,id"}).json()["results"]
    assert [r["dpd"] for r in rows] == sorted((r["dpd"] for r in rows), reverse=True)
    rows = client.get("/api/loans/", {"ordering": "dpd"}).json()["results"]
    assert [r["dpd"] for r in rows] == sorted(r["dpd"] for r in rows)


def test_the_schema_gives_the_ordering_fields(api, admin_user):
    schema = api.as_user(admin_user).get("/api/schema/", {"format": "json"}).json()
    params = {p["name"]: p for p in schema["paths"]["/api/loans/"]["get"]["parameters"]}
    assert params["ordering"]["schema"]["pattern"].startswith("^-?(?:dpd|overdue_amount|")
    assert "overdue_amount" in params["ordering"]["description"]


GET_ONLY_PAGES = ["home", "queue", "case_detail", "visits", "supervisor_dashboard"]
GET_AND_POST_PAGES = ["supervisor_allocation", "supervisor_approvals", "imports"]


def _url(name, case):
    return reverse(name, args=[case.id]) if name == "case_detail" else reverse(name)


@pytest.mark.parametrize("name", GET_ONLY_PAGES)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_get_only_pages_refuse_other_methods(client, admin_user, lender, name, method):
    case = f.CaseFactory(lender=lender)
    client.force_login(f.SupervisorFactory() if name == "queue" else (
        f.FieldAgentFactory() if name == "visits" else admin_user))
    assert getattr(client, method)(_url(name, case)).status_code == 405
    assert client.head(_url(name, case)).status_code in (200, 302)


@pytest.mark.parametrize("name", GET_AND_POST_PAGES)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_form_pages_refuse_methods_other_than_get_and_post(client, admin_user, name, method):
    client.force_login(admin_user)
    assert getattr(client, method)(reverse(name)).status_code == 405
    assert client.get(reverse(name)).status_code == 200


def test_admin_case_page_get_still_works(client, admin_user, lender):
    case = f.CaseFactory(lender=lender)
    client.force_login(admin_user)
    assert client.get(reverse("case_detail", args=[case.id])).status_code == 200


@pytest.mark.parametrize("method", ["post", "delete", "options"])
def test_api_docs_page_is_get_only(client, admin_user, method):
    client.force_login(admin_user)
    assert getattr(client, method)("/api/docs/").status_code == 405
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize("url", ["/api/kpis/", "/api/loans/", "/api/cases/", "/api/schema/", "/api/imports/{job}/"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_api_read_endpoints_refuse_writes(api, admin_user, url, method):
    job = ImportJob.objects.create(kind="loans")
    response = getattr(api.as_user(admin_user), method)(url.format(job=job.id), {}, format="json")
    assert response.status_code == 405


@pytest.mark.parametrize("url", [
    "/api/placements/?agency=abc&agency=3",  # hand-parsed: .get() would have taken the last value
    "/api/placements/?active=true&active=false",
    "/api/templates/?channel=sms&channel=letter",
    "/api/loans/?page=1&page=2",
])
def test_any_parameter_given_twice_is_400(api, world, url):
    response = api.as_user(world.admin).get(url)
    assert response.status_code == 400
    assert set(response.json()) == {url.split("?")[1].split("=")[0]}
    assert list(response.json().values()) == [["Give this parameter once."]]
