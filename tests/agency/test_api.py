"""The placements API: asking to place one case or a filtered selection (an approval), listing,
recalling."""
import pytest
from rest_framework.test import APIClient

from collections_app import models as m
from collections_app.services.approvals import decide
from tests import factories as f

pytestmark = pytest.mark.django_db


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_place_one_case_then_list_and_recall(team_setup, agency):
    case = f.CaseFactory(assigned_to=team_setup["collector"], team=team_setup["team"], bucket="M2")
    api = api_for(team_setup["collector"])
    response = api.post(f"/api/cases/{case.pk}/placements/", {"agency": agency.pk, "reason": "unreachable"},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_approval" and body["cases"] == 1
    approval = m.ApprovalRequest.objects.get(pk=body["approval"])
    decide(approval=approval, user=team_setup["sup"], approve=True)
    listed = api.get(f"/api/cases/{case.pk}/placements/").json()
    assert [(p["agency"], p["bucket"], p["commission_rate"], p["active"]) for p in listed] == [
        (agency.pk, "M2", "0.1500", True)]
    placement_id = listed[0]["id"]
    assert api.post(f"/api/placements/{placement_id}/recall/", {}, format="json").status_code == 403
    sup = api_for(team_setup["sup"])
    recalled = sup.post(f"/api/placements/{placement_id}/recall/", {"note": ""}, format="json")
    assert recalled.status_code == 200 and recalled.json()["active"] is False
    assert sup.post(f"/api/placements/{placement_id}/recall/", {}, format="json").status_code == 400
    assert [p["id"] for p in sup.get("/api/placements/?active=false").json()["results"]] == [placement_id]
    # an agency filter given empty or not an id names no agency: refused, not every placement listed
    for bad in ("", "x", "0"):
        assert sup.get(f"/api/placements/?agency={bad}").status_code == 404
    assert sup.get("/api/placements/?active=true").json()["results"] == []


def test_bulk_placement_by_filter(team_setup, agency):
    lender = f.LenderFactory(code="bulk-lender")
    col = team_setup["collector"]
    for dpd in (95, 100, 130):
        f.CaseFactory(assigned_to=col, team=team_setup["team"], lender=lender, bucket="M3", dpd=dpd)
    sup = api_for(team_setup["sup"])
    response = sup.post("/api/placements/", {"agency": agency.pk, "lender": "bulk-lender", "bucket": "M3",
                                             "dpd_min": 91, "dpd_max": 120}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["cases"] == 2
    assert api_for(col).post("/api/placements/", {"agency": agency.pk}, format="json").status_code == 403
    empty = sup.post("/api/placements/", {"agency": agency.pk, "bucket": "NOPE"}, format="json")
    assert empty.status_code == 400


def test_unknown_agency_and_other_teams_cases(team_setup, agency):
    case = f.CaseFactory()  # nobody's
    api = api_for(team_setup["collector"])
    assert api.post(f"/api/cases/{case.pk}/placements/", {"agency": agency.pk}, format="json").status_code == 404
    mine = f.CaseFactory(assigned_to=team_setup["collector"])
    assert api.post(f"/api/cases/{mine.pk}/placements/", {"agency": 999999}, format="json").status_code == 400
    assert api.get("/api/cases/abc/placements/").status_code == 404


def test_users_api_links_an_agency_user_to_an_agency(team_setup, agency):
    api = api_for(team_setup["admin"])
    base = {"username": "ag-api", "password": "a-Long-pass-9876", "role": "agency"}
    assert api.post("/api/users/", base, format="json").status_code == 400
    created = api.post("/api/users/", {**base, "agency": agency.pk}, format="json")
    assert created.status_code == 201 and created.json()["agency"] == agency.pk
    wrong = api.post("/api/users/", {**base, "username": "col-api", "role": "collector", "agency": agency.pk},
                     format="json")
    assert wrong.status_code == 400
