"""``/api/cases/{id}/offers/`` and ``/plans/`` as the API contract fixes them, and the case's payoff
amount reflecting an accepted offer."""
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from collections_app.models import PaymentPlan
from tests import factories as f

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_offers_post_and_list(book, collector):
    _loan, case = book
    api = client_for(collector)
    r = api.post(f"/api/cases/{case.id}/offers/", {"amount": "2700.00", "valid_until": "2026-02-28"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "active" and isinstance(r.json()["id"], int)
    assert api.get(f"/api/cases/{case.id}/").json()["payoff_amount"] == "2700.00"
    r = api.get(f"/api/cases/{case.id}/offers/")
    assert r.status_code == 200 and [o["status"] for o in r.json()["results"]] == ["active"]
    assert r.json()["results"][0]["amount"] == "2700.00" and r.json()["results"][0]["valid_until"] == "2026-02-28"


def test_an_offer_beyond_the_limit_is_pending_and_bad_input_is_400(book, collector):
    _loan, case = book
    api = client_for(collector)
    r = api.post(f"/api/cases/{case.id}/offers/", {"amount": "3000.00", "valid_until": "2026-02-28"}, format="json")
    assert r.status_code == 400 and "amount" in r.json()
    r = api.post(f"/api/cases/{case.id}/offers/", {"amount": "2100.00", "valid_until": "2026-02-28"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "pending_approval"
    assert api.get(f"/api/cases/{case.id}/").json()["payoff_amount"] == "2950.00"  # not accepted yet


def test_plans_post_and_list_with_statuses(book, collector, supervisor):
    _loan, case = book
    api = client_for(collector)
    body = {"installments": [{"due_date": "2026-02-20", "amount": "900.00"}, {"due_date": "2026-03-05", "amount": "900.00"}]}
    r = api.post(f"/api/cases/{case.id}/plans/", body, format="json")
    assert r.status_code == 201 and r.json()["status"] == "pending_approval"  # 1,800 < overdue 2,000
    r = api.get(f"/api/cases/{case.id}/plans/")
    plan = r.json()["results"][0]
    assert plan["status"] == "pending_approval" and [x["amount"] for x in plan["installments"]] == ["900.00", "900.00"]
    from collections_app.services.approvals import decide

    decide(approval=PaymentPlan.objects.get().approval, user=supervisor, approve=False, note="short")
    assert api.get(f"/api/cases/{case.id}/plans/").json()["results"][0]["status"] == "rejected"
    body["installments"][1]["amount"] = "1100.00"
    r = api.post(f"/api/cases/{case.id}/plans/", body, format="json")
    assert r.status_code == 201 and r.json()["status"] == "active"
    r = api.post(f"/api/cases/{case.id}/plans/", {"installments": []}, format="json")
    assert r.status_code == 400


def test_other_peoples_cases_are_404(book, lender):
    _loan, case = book
    outsider = f.CollectorFactory(username="outsider")
    api = client_for(outsider)
    assert api.get(f"/api/cases/{case.id}/offers/").status_code == 404
    r = api.post(f"/api/cases/{case.id}/plans/", {"installments": [{"due_date": "2026-03-01", "amount": "1"}]},
                 format="json")
    assert r.status_code == 404
