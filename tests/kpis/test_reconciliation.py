"""The monthly reconciliation with a lender on the November book (tests/kpis/book.py)."""
import csv
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collections_app import models as m
from collections_app.selectors import dashboard as dash
from collections_app.selectors import reconciliation as recon
from tests import factories as f

from .book import d

pytestmark = pytest.mark.django_db


def test_statement_per_bucket(book, lender):
    """November on the lender's loans, by the loan's bucket at the start of the payment day:
    CURRENT: W1 400 (Nov 8) + N1 100 (Nov 3, no case: credited to no one) = 500;
    M0: X1 300 (Nov 10, A1) + X1 200 (Nov 20, B1) + Y1 250 (Nov 20) + Y1 50 entered by a collector
    (Nov 25) = 800, of which 750 from the lender's files; M1: W2 500 (Nov 5; it left M1 that night).
    Total 1,800: 1,750 from files, 1,700 credited to a collector, 100 to no one."""
    n1 = m.Loan.objects.filter(case__isnull=True, installments__isnull=False).get()
    f.PaymentFactory(loan=n1, paid_on=d(11, 3), amount=D("100"))
    y1 = m.Loan.objects.get(case=book["y"])
    f.PaymentFactory(loan=y1, paid_on=d(11, 25), amount=D("50"), source=m.Payment.Source.COLLECTOR)
    s = recon.statement(lender.id, d(11, 1), dash.bucket_codes())
    got = [(r["bucket"], r["from_files"], r["other_sources"], r["attributed"], r["unattributed"], r["total"],
            r["payments"]) for r in s["lines"]]
    assert got == [("CURRENT", D("500.00"), D("0.00"), D("400.00"), D("100.00"), D("500.00"), 2),
                   ("M0", D("750.00"), D("50.00"), D("800.00"), D("0.00"), D("800.00"), 4),
                   ("M1", D("500.00"), D("0.00"), D("500.00"), D("0.00"), D("500.00"), 1)]
    t = s["total"]
    assert (t["from_files"], t["attributed"], t["unattributed"], t["total"], t["payments"]) == (
        D("1750.00"), D("1700.00"), D("100.00"), D("1800.00"), 7)
    rows = recon.payment_rows(lender.id, d(11, 1), dash.bucket_codes())
    assert len(rows) == 7 and sum(r[3] for r in rows) == D("1800.00")
    assert {r[7] for r in rows} == {"coll1", "coll2", "coll3", ""}


def test_page_and_exports(book, lender, supervisor, client):
    client.force_login(supervisor)
    url = reverse("supervisor_reconciliation")
    page = client.get(url, {"lender": lender.code, "month": "2026-11"})
    assert page.status_code == 200 and 'id="reconciliation"' in page.content.decode()
    out = client.get(url, {"lender": lender.code, "month": "2026-11", "export": "csv", "table": "statement"})
    rows = list(csv.reader(io.StringIO(out.content.decode("utf-8-sig"))))
    assert rows[-1][0] == "Total" and rows[-1][5] == "1650.00"
    xlsx = client.get(url, {"lender": lender.code, "month": "2026-11", "export": "xlsx", "table": "payments"})
    assert xlsx["Content-Disposition"].endswith('-payments.xlsx"')
    collector = m.CollectionCase.objects.get(id=book["w"].id).assigned_to
    client.force_login(collector)
    assert client.get(url).status_code == 403
