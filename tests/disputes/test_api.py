"""The disputes API as the contract fixes it, the limitation warnings, the blacklist and the dialer
webhook."""
import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from rest_framework.test import APIClient

from collections_app import models as m
from tests import factories as f

from .conftest import at

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def daytime():
    """10:00 in Shanghai today: the contacts this file logs fall inside contact hours whenever the
    suite runs (after 21:00 local time a call is refused for the hour, not for the dispute)."""
    with mock.patch("django.utils.timezone.now", return_value=at(dt.date.today())):
        yield


def test_open_refuse_contact_resolve(case, collector, supervisor, daytime):
    api = client_for(collector)
    r = api.post(f"/api/cases/{case.pk}/disputes/", {"reason": "Never borrowed", "details": "ID stolen"}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == {"id", "status", "respond_by"} and body["status"] == "open"
    respond_by = dt.date.fromisoformat(body["respond_by"])
    assert respond_by - dt.timedelta(days=30) in (dt.date.today(), dt.date.today() - dt.timedelta(days=1),
                                                  dt.date.today() + dt.timedelta(days=1))
    r = api.post(f"/api/cases/{case.pk}/contacts/", {"channel": "phone", "outcome": "no_answer"}, format="json")
    assert r.status_code == 409 and r.json()["rule"] == "dispute" and r.json()["allowed_from"] is None
    assert not m.ContactLog.objects.filter(case=case).exists()
    # a second open dispute is a 400
    assert api.post(f"/api/cases/{case.pk}/disputes/", {"reason": "again"}, format="json").status_code == 400
    listed = api.get(f"/api/cases/{case.pk}/disputes/").json()
    assert listed["count"] == 1 and listed["results"][0]["reason"] == "Never borrowed"
    # the collector may not answer it
    r = api.post(f"/api/disputes/{body['id']}/resolve/", {"outcome": "rejected", "note": "no"}, format="json")
    assert r.status_code == 403
    r = client_for(supervisor).post(f"/api/disputes/{body['id']}/resolve/",
                                    {"outcome": "rejected", "note": "Signature matches"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = api.post(f"/api/cases/{case.pk}/contacts/", {"channel": "phone", "outcome": "no_answer"}, format="json")
    assert r.status_code == 201


def test_upheld_with_adjustment_through_the_api(case, collector, supervisor):
    d = client_for(collector).post(f"/api/cases/{case.pk}/disputes/", {"reason": "fee"}, format="json").json()
    r = client_for(supervisor).post(f"/api/disputes/{d['id']}/resolve/",
                                    {"outcome": "upheld", "note": "ok", "adjustment": "50.00"}, format="json")
    assert r.status_code == 200 and r.json()["adjustment"] == "50.00"
    case.refresh_from_db()
    from collections_app.selectors.loan_figures import business_date

    due = sum(i.amount_due for i in m.Installment.objects.filter(loan__case=case, due_date__lt=business_date()))
    assert case.overdue_amount == due - Decimal("50.00")
    r = client_for(supervisor).post(f"/api/disputes/{d['id']}/resolve/", {"outcome": "rejected", "note": "x"},
                                    format="json")
    assert r.status_code == 400


def test_others_get_404_and_anonymous_no_data(case, collector):
    outsider = f.CollectorFactory(username="outsider")
    d = client_for(collector).post(f"/api/cases/{case.pk}/disputes/", {"reason": "x"}, format="json").json()
    api = client_for(outsider)
    assert api.post(f"/api/cases/{case.pk}/disputes/", {"reason": "x"}, format="json").status_code == 404
    assert api.get(f"/api/cases/{case.pk}/disputes/").status_code == 404
    assert api.get(f"/api/disputes/{d['id']}/").status_code == 404
    assert api.get("/api/disputes/").json()["count"] == 0
    assert client_for(None).get("/api/disputes/").status_code in (401, 403)
    assert client_for(collector).get(f"/api/disputes/{d['id']}/").json()["case"] == case.pk
    assert client_for(collector).get("/api/disputes/?status=open").json()["count"] == 1
    assert client_for(collector).get("/api/disputes/?status=bogus").status_code == 400


def test_bad_input_is_400(case, collector):
    api = client_for(collector)
    assert api.post(f"/api/cases/{case.pk}/disputes/", {"reason": ""}, format="json").status_code == 400
    assert api.post(f"/api/cases/{case.pk}/disputes/", {"reason": "x" * 301}, format="json").status_code == 400


def test_limitation_warnings(case, collector, supervisor):
    today = dt.date.today()
    m.CollectionCase.objects.filter(pk=case.pk).update(limitation_date=today + dt.timedelta(days=20))
    other = f.CaseFactory(lender=case.lender, assigned_to=collector, limitation_date=today + dt.timedelta(days=60))
    f.CaseFactory(lender=case.lender, assigned_to=collector, limitation_date=today + dt.timedelta(days=200))
    lapsed = f.CaseFactory(lender=case.lender, assigned_to=collector, limitation_date=today - dt.timedelta(days=1))
    rows = client_for(collector).get("/api/limitation-warnings/").json()["results"]
    assert [(r["case"], r["warning"]) for r in rows] == [(lapsed.pk, 0), (case.pk, 30), (other.pk, 90)]
    assert client_for(f.CollectorFactory(username="x2")).get("/api/limitation-warnings/").json()["count"] == 0


def test_blacklist_api(case, collector, supervisor):
    api = client_for(supervisor)
    r = api.post("/api/blacklist/", {"borrower": case.borrower_id, "reason": "fraud"}, format="json")
    assert r.status_code == 201 and r.json()["rule"] == ""
    assert api.post("/api/blacklist/", {"borrower": case.borrower_id, "reason": "again"}, format="json").status_code == 400
    assert api.get("/api/blacklist/").json()["count"] == 1
    assert client_for(collector).get("/api/blacklist/").status_code == 403
    stranger = f.BorrowerFactory(lender=case.lender)
    assert api.post("/api/blacklist/", {"borrower": stranger.pk, "reason": "x"}, format="json").status_code == 404


@pytest.fixture
def dialer_token(settings):
    settings.DIALER_WEBHOOK_TOKEN = "s3cret-token"
    return "s3cret-token"


def post_event(token, **body):
    client = APIClient()
    headers = {"HTTP_X_DIALER_TOKEN": token} if token else {}
    return client.post("/api/dialer/events/", body, format="json", **headers)


def test_dialer_events_become_one_contact_per_call(case, collector, dialer_token):
    from accounts.models import User

    User.objects.filter(pk=collector.pk).update(phone_extension="8012")
    started = "2026-03-04T10:00:00+08:00"
    r = post_event(dialer_token, call_id="pbx-1", event="started", number="138-0013-8000", extension="8012", at=started)
    assert r.status_code == 201, r.content
    contact = m.ContactLog.objects.get(pk=r.json()["contact"])
    assert (contact.case_id, contact.user_id, contact.outcome, contact.is_attempt) == (case.pk, collector.pk,
                                                                                       "no_answer", True)
    assert contact.contact_point.value == "13800138000"
    r = post_event(dialer_token, call_id="pbx-1", event="answered", number="13800138000", extension="8012")
    assert r.status_code == 200 and r.json()["created"] is False
    r = post_event(dialer_token, call_id="pbx-1", event="ended", number="13800138000", extension="8012",
                   duration_seconds=95, recording_url="https://pbx.example/rec/1.mp3")
    again = post_event(dialer_token, call_id="pbx-1", event="ended", number="13800138000", extension="8012",
                       duration_seconds=95, recording_url="https://pbx.example/rec/1.mp3")
    assert r.status_code == again.status_code == 200
    assert m.ContactLog.objects.filter(case=case).count() == 1
    contact.refresh_from_db()
    assert contact.outcome == "rpc" and contact.is_conversation
    assert contact.note == "Dialer call, 95 s" and contact.recording_ref == "https://pbx.example/rec/1.mp3"


def test_dialer_needs_the_token(case, dialer_token, settings):
    body = {"call_id": "c", "event": "started", "number": "13800138000"}
    assert post_event(None, **body).status_code == 403
    assert post_event("wrong", **body).status_code == 403
    settings.DIALER_WEBHOOK_TOKEN = ""
    assert post_event("", **body).status_code == 403
    assert not m.ContactLog.objects.exists()


def test_a_dialled_call_the_rules_refuse_is_kept_as_a_breach(case, collector, dialer_token):
    client_for(collector).post(f"/api/cases/{case.pk}/disputes/", {"reason": "x"}, format="json")
    r = post_event(dialer_token, call_id="pbx-2", event="started", number="13800138000")
    assert r.status_code == 201
    contact = m.ContactLog.objects.get(pk=r.json()["contact"])
    assert contact.breach_rule == "dispute"
    assert m.ApprovalRequest.objects.filter(case=case, kind=m.ApprovalKind.RULE_BREACH).exists()


def test_dialer_unknown_number_is_400(case, dialer_token):
    r = post_event(dialer_token, call_id="pbx-3", event="started", number="10000000000")
    assert r.status_code == 400 and "number" in r.json()
