import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app import models as m
from tests import factories as f

from .conftest import ids

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("collector", {"LMINE"}), ("supervisor", {"LMINE", "LCOLL"}), ("admin", {"LMINE", "LCOLL", "LOUT", "LNONE"})],
)
def test_payments_list_follows_visibility(api, world, who, expected):
    payments = {loan.external_id: f.PaymentFactory(loan=loan) for loan in m.Loan.objects.all()}
    client = api.as_user(getattr(world, who))
    assert ids(client.get("/api/payments/")) == {payments[x].id for x in expected}


def test_payment_filters(api, world):
    loan = world.mine.loans.get()
    early = f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 2, 1), external_id="P-EARLY")
    late = f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 3, 1))
    client = api.as_user(world.admin)
    assert ids(client.get(f"/api/payments/?loan={loan.id}")) == {early.id, late.id}
    assert ids(client.get("/api/payments/?paid_from=2026-02-15")) == {late.id}
    assert ids(client.get("/api/payments/?external_id=P-EARLY")) == {early.id}
    assert ids(client.get("/api/payments/?lender=acme&source=api")) == set()
    assert client.get("/api/payments/?paid_from=yesterday").status_code == 400


def test_supervisor_records_payment_and_loan_is_reclassified(api, world):
    loan = world.mine.loans.get()
    owed = sum(i.principal_due + i.interest_due + i.fee_due for i in loan.installments.all())
    body = {"loan": loan.id, "external_id": "API-1", "paid_on": today().isoformat(), "amount": str(owed),
            "channel": "bank"}
    response = api.as_user(world.supervisor).post("/api/payments/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["external_id"] == "API-1" and data["source"] == "api" and data["lender"] == "acme"
    payment = m.Payment.objects.get(id=data["id"])
    assert payment.recorded_by == world.supervisor and payment.amount == owed
    loan.refresh_from_db()
    assert loan.status == m.LoanStatus.SETTLED and loan.dpd == 0
    # the same payment again is not stored twice
    again = api.as_user(world.supervisor).post("/api/payments/", body, format="json")
    assert again.status_code in (200, 201)
    assert m.Payment.objects.filter(external_id="API-1").count() == 1


@pytest.mark.parametrize("who", ["collector", "other_collector"])
def test_collectors_cannot_record_payments(api, world, who):
    loan = world.mine.loans.get()
    response = api.as_user(getattr(world, who)).post(
        "/api/payments/", {"loan": loan.id, "external_id": "X", "paid_on": today().isoformat(), "amount": "5"},
        format="json",
    )
    assert response.status_code == 403
    assert not m.Payment.objects.exists()


def test_supervisor_cannot_pay_into_another_teams_loan(api, world):
    loan = world.outside.loans.get()
    response = api.as_user(world.supervisor).post(
        "/api/payments/", {"loan": loan.id, "external_id": "X", "paid_on": today().isoformat(), "amount": "5"},
        format="json",
    )
    assert response.status_code == 400 and "loan" in response.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1" * 30}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"paid_on": "2026-02-30"}, "paid_on"),
        ({"paid_on": "2999-01-01"}, "paid_on"),
        ({"loan": "x"}, "loan"),
        ({"loan": 10**30}, "loan"),
        ({"external_id": "a\x00b"}, "external_id"),
        ({"external_id": "x" * 65}, "external_id"),
    ],
)
def test_payment_bad_input_is_400(api, world, change, field):
    loan = world.mine.loans.get()
    body = {"loan": loan.id, "external_id": "BAD", "paid_on": today().isoformat(), "amount": "10.00", **change}
    response = api.as_user(world.admin).post("/api/payments/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not m.Payment.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("collector", {"mine"}), ("supervisor", {"mine", "colleague"}), ("supervisor_b", {"outside"}),
     ("admin", {"mine", "colleague", "outside"})],
)
def test_promises_list_follows_visibility(api, world, who, expected):
    promises = {name: f.PromiseFactory(case=getattr(world, name)) for name in ("mine", "colleague", "outside")}
    assert ids(api.as_user(getattr(world, who)).get("/api/promises/")) == {promises[n].id for n in expected}


def test_collector_takes_a_promise_on_own_case(api, world):
    body = {"case": world.mine.id, "amount": "300.00", "promised_date": (today() + dt.timedelta(days=3)).isoformat()}
    response = api.as_user(world.collector).post("/api/promises/", body, format="json")
    assert response.status_code == 201, response.content
    promise = m.PromiseToPay.objects.get(id=response.json()["id"])
    assert promise.case == world.mine and promise.amount == Decimal("300.00") and promise.created_by == world.collector
    assert promise.status == m.PromiseStatus.PENDING
    world.mine.borrower.refresh_from_db()
    assert world.mine.borrower.promises_made == 1
    case = api.as_user(world.collector).get(f"/api/cases/{world.mine.id}/").json()
    assert case["promise"]["id"] == promise.id


def test_promise_on_someone_elses_case_is_refused(api, world):
    body = {"case": world.colleague.id, "amount": "300.00", "promised_date": today().isoformat()}
    response = api.as_user(world.collector).post("/api/promises/", body, format="json")
    assert response.status_code == 400 and "case" in response.json()
    assert not m.PromiseToPay.objects.exists()


def test_promise_beyond_limit_needs_approval(api, world):
    body = {"case": world.mine.id, "amount": "300.00",
            "promised_date": (today() + dt.timedelta(days=60)).isoformat()}
    response = api.as_user(world.collector).post("/api/promises/", body, format="json")
    assert response.status_code == 201, response.content
    promise = m.PromiseToPay.objects.get()
    assert promise.approval is not None and promise.approval.kind == m.ApprovalKind.PROMISE_EXTENSION


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-3"}, "amount"),
        ({"amount": "12345678901234567890"}, "amount"),
        ({"promised_date": "2020-01-01"}, "promised_date"),
        ({"promised_date": "soon"}, "promised_date"),
        ({"case": 999999}, "case"),
        ({"case": None}, "case"),
    ],
)
def test_promise_bad_input(api, world, change, field):
    body = {"case": world.mine.id, "amount": "300.00", "promised_date": today().isoformat(), **change}
    response = api.as_user(world.collector).post("/api/promises/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not m.PromiseToPay.objects.exists()


def test_promise_on_closed_case_is_refused(api, world):
    m.CollectionCase.objects.filter(id=world.mine.id).update(status="closed", close_reason="cured")
    body = {"case": world.mine.id, "amount": "300.00", "promised_date": today().isoformat()}
    response = api.as_user(world.admin).post("/api/promises/", body, format="json")
    assert response.status_code == 400 and "case" in response.json()


def test_a_future_payment_is_refused_by_the_service_with_a_400(api, world):
    """The rule lives in services.payments.record_payment only; the API's error handler turns the
    service's ValidationError into a 400 on the field."""
    loan = world.mine.loans.get()
    body = {"loan": loan.id, "external_id": "FUT", "paid_on": (today() + dt.timedelta(days=1)).isoformat(),
            "amount": "10.00"}
    response = api.as_user(world.admin).post("/api/payments/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"paid_on": ["A payment cannot be dated in the future."]}
    assert not m.Payment.objects.exists()


def test_a_promise_above_the_payoff_amount_is_a_400_with_the_cap(api, world):
    body = {"case": world.mine.id, "amount": "2100.01", "promised_date": today().isoformat()}
    response = api.as_user(world.collector).post("/api/promises/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {
        "amount": ["A promise cannot be more than the amount that pays off the case today (2100.00)."]}
    assert not m.PromiseToPay.objects.exists()
    body["amount"] = "2100.00"
    assert api.as_user(world.collector).post("/api/promises/", body, format="json").status_code == 201


def test_a_new_promise_supersedes_the_open_one(api, world):
    client = api.as_user(world.collector)
    first = client.post("/api/promises/", {"case": world.mine.id, "amount": "300.00",
                                           "promised_date": today().isoformat()}, format="json").json()
    second = client.post("/api/promises/", {"case": world.mine.id, "amount": "400.00",
                                            "promised_date": today().isoformat()}, format="json").json()
    assert client.get(f"/api/promises/{first['id']}/").json()["status"] == "replaced"
    assert client.get(f"/api/promises/{second['id']}/").json()["status"] == "pending"
    assert client.get(f"/api/cases/{world.mine.id}/").json()["promise"]["id"] == second["id"]
    assert ids(client.get("/api/promises/?status=pending")) == {second["id"]}
