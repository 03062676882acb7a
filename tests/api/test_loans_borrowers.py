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
        ("collector", {"LMINE"}),
        ("other_collector", {"LCOLL"}),
        ("supervisor", {"LMINE", "LCOLL"}),
        ("supervisor_b", {"LOUT"}),
        ("admin", {"LMINE", "LCOLL", "LOUT", "LNONE"}),
    ],
)
def test_loans_installments_borrowers_follow_case_visibility(api, world, who, expected):
    client = api.as_user(getattr(world, who))
    loans = {loan.external_id: loan for loan in m.Loan.objects.all()}
    assert ids(client.get("/api/loans/")) == {loans[x].id for x in expected}
    assert ids(client.get("/api/borrowers/")) == {loans[x].borrower_id for x in expected}
    visible_installments = set(m.Installment.objects.filter(loan__external_id__in=expected).values_list("id", flat=True))
    assert ids(client.get("/api/installments/?page_size=100")) == visible_installments
    for external_id, loan in loans.items():
        status = 200 if external_id in expected else 404
        assert client.get(f"/api/loans/{loan.id}/").status_code == status
        assert client.get(f"/api/borrowers/{loan.borrower_id}/").status_code == status


def test_loan_shape_and_detail_installments(api, world):
    client = api.as_user(world.collector)
    loan = world.mine.loans.get()
    row = client.get("/api/loans/").json()["results"][0]
    for key in ("id", "external_id", "lender", "borrower", "principal", "currency", "overdue_amount", "dpd",
                "bucket", "status", "as_of"):
        assert key in row
    assert row["lender"] == "acme"
    assert row["borrower"] == {"id": loan.borrower_id, "external_id": loan.borrower.external_id,
                               "name": loan.borrower.name}
    assert row["principal"] == "10000.00" and row["currency"] == "CNY" and row["as_of"] == "2026-03-10"
    assert "installments" not in row
    detail = client.get(f"/api/loans/{loan.id}/").json()
    assert [i["seq"] for i in detail["installments"]] == [1, 2]
    assert detail["installments"][0]["amount_due"] == "1050.00"
    assert ids(client.get(f"/api/installments/?loan={loan.id}")) == set(loan.installments.values_list("id", flat=True))


def test_loan_filters(api, world):
    client = api.as_user(world.admin)
    by_ext = {loan.external_id: loan.id for loan in m.Loan.objects.all()}
    assert ids(client.get("/api/loans/?external_id=LMINE")) == {by_ext["LMINE"]}
    assert ids(client.get("/api/loans/?bucket=M3")) == {by_ext["LOUT"]}
    assert ids(client.get("/api/loans/?dpd_min=30&dpd_max=70")) == {by_ext["LMINE"], by_ext["LCOLL"]}
    assert ids(client.get("/api/loans/?lender=acme&dpd_min=71")) == {by_ext["LOUT"]}
    assert ids(client.get("/api/loans/?lender=other")) == set()
    assert ids(client.get("/api/loans/?status=settled")) == set()
    assert ids(client.get(f"/api/loans/?case={world.colleague.id}")) == {by_ext["LCOLL"]}
    assert client.get("/api/loans/?status=nope").status_code == 400
    assert client.get("/api/loans/?dpd_min=abc").status_code == 400
    assert client.get("/api/loans/?dpd_min=1.5").status_code == 400
    assert ids(client.get(f"/api/loans/?dpd_min={10**30}")) == set()


def test_loan_list_query_count_is_fixed(api, world, lender):
    client = api.as_user(world.supervisor)
    client.get("/api/loans/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/loans/")
    for _ in range(5):
        make_case(lender, world.collector)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/loans/").json()["count"] == 7
    assert len(many) == len(few) <= 5


def test_borrower_pii_masked_for_collectors_full_and_audited_for_supervisors(api, world):
    borrower = world.mine.borrower
    phone = borrower.contact_points.get().value
    as_collector = api.as_user(world.collector).get(f"/api/borrowers/{borrower.id}/").json()
    assert as_collector["national_id"] != borrower.national_id and "*" in as_collector["national_id"]
    assert as_collector["national_id"][-4:] == borrower.national_id[-4:]
    assert as_collector["contact_points"][0]["value"] != phone and "*" in as_collector["contact_points"][0]["value"]
    # masked: only the address, which every role sees, is recorded (when there is one)
    assert list(m.PersonalDataAccess.objects.values_list("what", flat=True)) == (["address"] if borrower.address else [])

    as_supervisor = api.as_user(world.supervisor).get(f"/api/borrowers/{borrower.id}/").json()
    assert as_supervisor["national_id"] == borrower.national_id
    assert as_supervisor["contact_points"][0]["value"] == phone
    access = m.PersonalDataAccess.objects.get(user=world.supervisor)
    assert access.borrower == borrower and "national_id" in access.what


def test_borrower_list_query_count_is_fixed(api, world, lender):
    client = api.as_user(world.admin)
    client.get("/api/borrowers/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/borrowers/")
    for _ in range(5):
        make_case(lender, None)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/borrowers/").json()["count"] == 9
    assert len(many) == len(few)


def test_installment_filters_and_detail(api, world):
    client = api.as_user(world.admin)
    loan = world.mine.loans.get()
    first = loan.installments.get(seq=1)
    assert ids(client.get(f"/api/installments/?loan={loan.id}&due_to=2026-02-15")) == {first.id}
    assert client.get(f"/api/installments/{first.id}/").json()["due_date"] == "2026-02-01"
    assert client.get("/api/installments/?due_to=2026-13-45").status_code == 400


def test_settled_loan_shows_status(api, world):
    loan = f.LoanFactory(lender=world.lender, status=m.LoanStatus.SETTLED, settled_on=dt.date(2026, 3, 1))
    data = api.as_user(world.admin).get(f"/api/loans/{loan.id}/").json()
    assert data["status"] == "settled" and data["settled_on"] == "2026-03-01" and data["case"] is None


def test_installments_show_what_the_payments_applied(api, world, settings):
    """paid_amount / paid_off_on come from the waterfall (fee, interest, principal, oldest first) of
    the payments dated up to the business date — in the list, in the loan's detail."""
    settings.BUSINESS_DATE = "2026-03-10"
    loan = world.mine.loans.get()
    f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 2, 3), amount=Decimal("1000.00"))
    f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 2, 20), amount=Decimal("200.00"))
    f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 4, 1), amount=Decimal("900.00"))  # after the business date
    client = api.as_user(world.collector)
    rows = client.get(f"/api/installments/?loan={loan.id}&ordering=seq").json()["results"]
    assert [(r["seq"], r["paid_amount"], r["paid_off_on"]) for r in rows] == [
        (1, "1050.00", "2026-02-20"), (2, "150.00", None)]
    detail = client.get(f"/api/loans/{loan.id}/").json()["installments"]
    assert [(r["paid_amount"], r["paid_off_on"]) for r in detail] == [("1050.00", "2026-02-20"), ("150.00", None)]
    one = client.get(f"/api/installments/{rows[0]['id']}/").json()
    assert (one["paid_amount"], one["paid_off_on"]) == ("1050.00", "2026-02-20")
