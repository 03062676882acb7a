import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app import models as m
from tests import factories as f

from .conftest import ids, make_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("collector", {"mine"}),
        ("other_collector", {"colleague"}),
        ("supervisor", {"mine", "colleague"}),
        ("supervisor_b", {"outside"}),
        ("admin", {"mine", "colleague", "outside", "unassigned"}),
    ],
)
def test_each_role_sees_its_cases_and_404_for_the_rest(api, world, who, expected):
    client = api.as_user(getattr(world, who))
    all_cases = {name: getattr(world, name) for name in ("mine", "colleague", "outside", "unassigned")}
    assert ids(client.get("/api/cases/")) == {all_cases[n].id for n in expected}
    for name, case in all_cases.items():
        response = client.get(f"/api/cases/{case.id}/")
        assert response.status_code == (200 if name in expected else 404), (who, name)
        contacts = client.get(f"/api/cases/{case.id}/contacts/")
        assert contacts.status_code == (200 if name in expected else 404), (who, name)


def test_case_shape(api, world):
    promise = f.PromiseFactory(case=world.mine, promised_date=dt.date(2026, 3, 20))
    f.PromiseFactory(case=world.mine, status=m.PromiseStatus.BROKEN)
    data = api.as_user(world.collector).get(f"/api/cases/{world.mine.id}/").json()
    assert data["id"] == world.mine.id
    assert data["borrower"] == {
        "id": world.mine.borrower_id, "external_id": world.mine.borrower.external_id, "name": world.mine.borrower.name
    }
    assert data["lender"] == "acme"
    assert data["loans"] == list(world.mine.loans.values_list("id", flat=True))
    assert data["assigned_to"] == world.collector.id
    assert data["bucket"] == "M1" and data["dpd"] == 35
    assert data["overdue_amount"] == "1050.00"
    assert data["status"] == "open"
    assert "next_action_at" in data
    assert data["promise"]["id"] == promise.id and data["promise"]["amount"] == "500.00"
    other = api.as_user(world.other_collector).get(f"/api/cases/{world.colleague.id}/").json()
    assert other["promise"] is None


def test_case_filters(api, world):
    client = api.as_user(world.admin)
    assert ids(client.get("/api/cases/?bucket=M2")) == {world.colleague.id}
    assert ids(client.get(f"/api/cases/?assigned_to={world.collector.id}")) == {world.mine.id}
    assert ids(client.get("/api/cases/?unassigned=true")) == {world.unassigned.id}
    assert ids(client.get("/api/cases/?lender=acme")) == {world.mine.id, world.colleague.id, world.outside.id,
                                                          world.unassigned.id}
    assert ids(client.get("/api/cases/?lender=nope")) == set()
    assert ids(client.get("/api/cases/?status=closed")) == set()
    assert ids(client.get("/api/cases/?dpd_min=60&dpd_max=90")) == {world.colleague.id}
    ordered = client.get("/api/cases/?ordering=-dpd").json()["results"]
    assert [c["dpd"] for c in ordered] == [100, 70, 35, 5]
    assert client.get("/api/cases/?status=bogus").status_code == 400
    assert "status" in client.get("/api/cases/?status=bogus").json()


def test_pagination_shape(api, world):
    client = api.as_user(world.admin)
    data = client.get("/api/cases/?page_size=3").json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 4 and len(data["results"]) == 3 and data["previous"] is None
    assert "page=2" in data["next"]
    second = client.get(data["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert client.get("/api/cases/?page=99").status_code == 404


def test_case_list_query_count_is_fixed(api, world, lender):
    client = api.as_user(world.admin)
    client.get("/api/cases/")  # warm up (token, content types)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/cases/")
    for _ in range(6):
        case = make_case(lender, world.collector)
        f.PromiseFactory(case=case)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/cases/").json()["results"]) == 10
    assert len(many) == len(few) <= 8


# --- assign --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["collector", "other_collector"])
def test_collectors_cannot_assign(api, world, who):
    response = api.as_user(getattr(world, who)).post(
        f"/api/cases/{world.mine.id}/assign/", {"user": world.other_collector.id}, format="json"
    )
    assert response.status_code == 403
    world.mine.refresh_from_db()
    assert world.mine.assigned_to == world.collector


def test_supervisor_assigns_within_team(api, world):
    client = api.as_user(world.supervisor)
    response = client.post(f"/api/cases/{world.mine.id}/assign/", {"user": world.other_collector.id}, format="json")
    assert response.status_code == 200, response.content
    world.mine.refresh_from_db()
    assert world.mine.assigned_to == world.other_collector
    assert m.AssignmentHistory.objects.filter(case=world.mine, to_user=world.other_collector).exists()
    # another team's case: not visible
    assert client.post(f"/api/cases/{world.outside.id}/assign/", {"user": world.collector.id},
                       format="json").status_code == 404
    # a user outside the supervisor's teams: a field error
    bad = client.post(f"/api/cases/{world.mine.id}/assign/", {"user": world.outsider.id}, format="json")
    assert bad.status_code == 400 and "user" in bad.json()


def test_admin_assigns_anyone(api, world):
    response = api.as_user(world.admin).post(
        f"/api/cases/{world.unassigned.id}/assign/", {"user": world.outsider.id}, format="json"
    )
    assert response.status_code == 200, response.content
    world.unassigned.refresh_from_db()
    assert world.unassigned.assigned_to == world.outsider


@pytest.mark.parametrize(
    "body", [{}, {"user": "abc"}, {"user": ""}, {"user": 10**30}, {"user": -1}, {"user": [1]}, {"user": True}]
)
def test_assign_bad_input(api, world, body):
    response = api.as_user(world.admin).post(f"/api/cases/{world.mine.id}/assign/", body, format="json")
    assert response.status_code == 400
    assert "user" in response.json()


# --- contacts --------------------------------------------------------------------------------------


def test_contact_history_lists_only_that_case(api, world):
    own = f.ContactLogFactory(case=world.mine, number_used="13812345678")
    f.ContactLogFactory(case=world.colleague)
    data = api.as_user(world.collector).get(f"/api/cases/{world.mine.id}/contacts/").json()
    assert [c["id"] for c in data["results"]] == [own.id]
    assert data["results"][0]["number_used"] == "138****5678"
    full = api.as_user(world.supervisor).get(f"/api/cases/{world.mine.id}/contacts/").json()
    assert full["results"][0]["number_used"] == "13812345678"


@pytest.fixture
def open_hours(world):
    """Contact hours wide open (the API takes no clock), so only the rule under test can refuse."""
    world.lender.contact_start = dt.time(0, 0)
    world.lender.contact_end = dt.time(23, 59, 59)
    world.lender.save()


def soon(days=3):
    from django.utils import timezone

    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_log_contact_201(api, world, open_hours):
    point = world.mine.borrower.contact_points.first()
    response = api.as_user(world.collector).post(
        f"/api/cases/{world.mine.id}/contacts/",
        {"channel": "phone", "outcome": "no_answer", "contact_point": point.id, "note": "rang out"},
        format="json",
    )
    assert response.status_code == 201, response.content
    log = m.ContactLog.objects.get(id=response.json()["id"])
    assert log.case == world.mine and log.user == world.collector and log.is_attempt


def test_log_contact_with_promise(api, world, open_hours):
    response = api.as_user(world.collector).post(
        f"/api/cases/{world.mine.id}/contacts/",
        {"channel": "phone", "outcome": "promise", "promise_amount": "800.00", "promise_date": soon()},
        format="json",
    )
    assert response.status_code == 201, response.content
    promise = m.PromiseToPay.objects.get(case=world.mine)
    assert promise.amount == Decimal("800.00") and response.json()["promise"] == promise.id


def test_log_contact_refused_by_rules_is_409_and_stores_nothing(api, world, open_hours):
    world.mine.borrower.cease_contact = True
    world.mine.borrower.save()
    response = api.as_user(world.collector).post(
        f"/api/cases/{world.mine.id}/contacts/", {"channel": "phone", "outcome": "no_answer"}, format="json"
    )
    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) == {"rule", "detail", "allowed_from"}
    assert body["rule"] and body["detail"]
    assert not m.ContactLog.objects.filter(case=world.mine).exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"channel": "pigeon", "outcome": "no_answer"},
        {"channel": "phone", "outcome": "maybe"},
        {"channel": "phone", "outcome": "promise", "promise_amount": "-5", "promise_date": soon()},
        {"channel": "phone", "outcome": "promise", "promise_amount": "1e40", "promise_date": soon()},
        {"channel": "phone", "outcome": "no_answer", "callback_at": "not a time"},
        {"channel": "phone", "outcome": "no_answer", "note": "nul \x00 byte"},
        {"channel": "phone", "outcome": "no_answer", "contact_point": 999999999},
        {"channel": "phone", "outcome": "no_answer", "contact_point": "abc"},
    ],
)
def test_log_contact_bad_input_is_400(api, world, body):
    response = api.as_user(world.collector).post(f"/api/cases/{world.mine.id}/contacts/", body, format="json")
    assert response.status_code == 400, response.content
    assert isinstance(response.json(), dict)
    assert not m.ContactLog.objects.exists()


def test_cannot_log_on_someone_elses_case(api, world):
    response = api.as_user(world.collector).post(
        f"/api/cases/{world.colleague.id}/contacts/", {"channel": "phone", "outcome": "no_answer"}, format="json"
    )
    assert response.status_code == 404
