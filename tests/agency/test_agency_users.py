"""Agency users see only the cases placed with their agency now — on pages and in the API; any
other case answers 404, and a recalled case is gone from them."""
import datetime as dt

import pytest
from rest_framework.test import APIClient

from collections_app import models as m
from collections_app.services import agency as svc
from tests import factories as f
from tests.agency.conftest import TODAY
from tests.agency.factories import AgencyFactory, AgencyUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(team_setup, agency):
    col = team_setup["collector"]
    other_agency = AgencyFactory(name="Other Agency")
    mine, theirs, internal = (f.CaseFactory(assigned_to=col, team=team_setup["team"]) for _ in range(3))
    for case, ag in ((mine, agency), (theirs, other_agency)):
        m.AgencyPlacement.objects.create(case=case, agency=ag, bucket=case.bucket, commission_rate="0.2",
                                         placed_on=TODAY, recall_on=TODAY + dt.timedelta(days=30))
    return {"user": AgencyUserFactory(username="ag1", agency=agency), "mine": mine, "theirs": theirs,
            "internal": internal, **team_setup}


def test_pages_show_only_the_agencys_placed_cases(client, book):
    client.force_login(book["user"])
    listing = client.get("/agency/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert f"/cases/{book['mine'].pk}/" in body
    assert f"/cases/{book['theirs'].pk}/" not in body and f"/cases/{book['internal'].pk}/" not in body
    assert client.get(f"/cases/{book['mine'].pk}/").status_code == 200
    for other in (book["theirs"], book["internal"]):
        assert client.get(f"/cases/{other.pk}/").status_code == 404
    assert client.get("/queue/").status_code == 403
    assert client.get("/supervisor/agencies/").status_code == 403


def test_login_lands_on_the_agency_page(client, book):
    response = client.post("/accounts/login/", {"username": "ag1", "password": f.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/agency/"


def test_api_shows_only_the_agencys_placed_cases(book):
    api = APIClient()
    api.force_authenticate(book["user"])
    ids = [row["id"] for row in api.get("/api/cases/").json()["results"]]
    assert ids == [book["mine"].pk]
    assert api.get(f"/api/cases/{book['mine'].pk}/").status_code == 200
    for other in (book["theirs"], book["internal"]):
        assert api.get(f"/api/cases/{other.pk}/").status_code == 404
        assert api.get(f"/api/cases/{other.pk}/placements/").status_code == 404
        assert api.get(f"/api/cases/{other.pk}/contacts/").status_code == 404
        assert api.get(f"/api/cases/{other.pk}/legal-cases/").status_code == 404
    placements = api.get("/api/placements/").json()["results"]
    assert [p["case"] for p in placements] == [book["mine"].pk]
    assert api.get("/api/agencies/").status_code == 403


def test_a_recalled_case_is_gone_from_the_agency(client, book):
    placement = m.AgencyPlacement.objects.get(case=book["mine"])
    svc.recall_placement(placement=placement, user=book["sup"])
    client.force_login(book["user"])
    assert client.get(f"/cases/{book['mine'].pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(book["user"])
    assert api.get("/api/cases/").json()["results"] == []


def test_an_agency_user_needs_an_agency(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        AgencyUserFactory(username="noagency", agency=None)


def test_internal_staff_still_see_a_placed_case(client, book):
    client.force_login(book["collector"])
    page = client.get(f"/cases/{book['mine'].pk}/")
    assert page.status_code == 200 and "Placed with Acme Recovery" in page.content.decode()
