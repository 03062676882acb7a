"""The whole monthly statement of one lender, October 2026, worked out by hand on a small book that
crosses the month boundary (September before, November after).

- A: opened Sep 20, open throughout. Loan A1 1,000 due Sep 1; paid 300 Oct 5 (bank), 100 Nov 2.
- B: received Oct 10; settled with a discount: offer 600 of a payoff of 1,000, paid 600 on Oct 20
  (alipay), 400 forgiven; closed that day (discounted).
- C: opened Sep 1. Loan C1 2,000 due Aug 1; paid 500 Sep 10, 100 Oct 12 (bank); write-off approved
  Oct 15 → balance written off 2,000 − 600 = 1,400; paid 200 Oct 25 (bank) → recovery after
  write-off 200. Legal costs: court fee 300 on Oct 28, lawyer's fee 50 on Nov 3.
- D: opened Sep 5, placed with an agency at 20% on Oct 1; paid 500 Oct 8 (wechat) during the
  placement → commission 100.00; returned to the lender Oct 30 (closed, recalled).
- F: opened Sep 1, closed (cured) Sep 25. E: received Nov 3.

October: open at the start A, C, D = 3; received 1 (B); closed 2 (B discounted, D recalled),
returned 1; open at the end A, C = 2. Collected 1,700: bank 600 (3), alipay 600, wechat 500.
"""
import csv
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collections_app import models as m
from collections_app.selectors import dashboard as dash
from collections_app.selectors import reconciliation as recon
from tests import factories as f

from .book import OCT, at, case, change, d, loan

pytestmark = pytest.mark.django_db


def _queries(lender) -> int:
    with CaptureQueriesContext(connection) as queries:
        recon.month_statement(lender.id, OCT, dash.bucket_codes())
    return len(queries)


def test_the_same_number_of_queries_whatever_the_size_of_the_book(book, lender):
    before = _queries(lender)
    for i in range(5):  # five more cases, each with a payment, an offer, a write-off, a placement, a cost
        c = case(lender, at(10, 2 + i))
        _ln, (p,) = loan(c, d(9, 1), "100", [(d(10, 9 + i), "10", f"ch{i}")])
        m.SettlementOffer.objects.create(case=c, amount=D("5"), payoff_amount=D("10"), discount_percent=D("50"),
                                         offered_on=d(10, 9), valid_until=d(10, 31), status=m.OfferStatus.PAID,
                                         level=m.ApprovalLevel.COLLECTOR, ended_on=d(10, 20), forgiven_amount=D("5"))
        m.ApprovalRequest.objects.create(kind=m.ApprovalKind.WRITE_OFF, case=c, status=m.ApprovalStatus.APPROVED,
                                         decided_at=at(10, 21))
        placement = m.AgencyPlacement.objects.create(case=c, agency=m.Agency.objects.get(), bucket=f"M{i}",
                                                     commission_rate=D("0.1"), placed_on=d(10, 1), recall_on=d(12, 1))
        m.PlacementPayment.objects.create(placement=placement, payment=p)
        m.LegalCost.objects.create(legal_case=m.LegalCase.objects.create(case=c, opened_on=d(10, 3)),
                                   kind=m.LegalCostKind.OTHER, amount=D("1"), incurred_on=d(10, 4))
    after = _queries(lender)
    assert after == before <= 11


def test_the_october_statement_by_hand(book, lender):
    s = recon.month_statement(lender.id, OCT, dash.bucket_codes())
    assert {k: s["cases"][k] for k in ("open_at_start", "received", "closed", "returned", "open_at_end")} == {
        "open_at_start": 3, "received": 1, "closed": 2, "returned": 1, "open_at_end": 2}
    assert [(x["reason"], x["cases"]) for x in s["cases"]["closed_by_reason"]] == [("discounted", 1), ("recalled", 1)]
    assert s["total"]["total"] == D("1700.00")
    assert [(x["channel"], x["amount"], x["payments"]) for x in s["channels"]] == [
        ("alipay", D("600.00"), 1), ("bank", D("600.00"), 3), ("wechat", D("500.00"), 1)]
    assert s["settlements"] == {"offers": 1, "agreed": D("600.00"), "paid": D("600.00"), "forgiven": D("400.00")}
    assert s["write_offs"] == {"cases": 1, "balance": D("1400.00")}
    assert s["recoveries"] == {"payments": 1, "amount": D("200.00")}
    assert s["commission"]["commission"] == D("100.00") and s["commission"]["collected"] == D("500.00")
    assert [(x["kind"], x["amount"]) for x in s["legal_costs"]["lines"]] == [("court_fee", D("300.00"))]


def test_the_rows_behind_each_figure_add_up(book, lender):
    assert sum(r[4] for r in recon.channel_rows(lender.id, OCT)) == D("1700")
    assert [r[1] for r in recon.closing_rows(lender.id, OCT)] == ["discounted", "recalled"]
    assert [r[3] for r in recon.settlement_rows(lender.id, OCT)] == [d(10, 20)]
    assert [(r[1], r[3]) for r in recon.write_off_rows(lender.id, OCT)] == [(book["c"].id, D("1400"))]
    assert [(r[4], r[5]) for r in recon.recovery_rows(lender.id, OCT)] == [(d(10, 25), D("200"))]
    assert [(r[0], r[6]) for r in recon.commission_rows(lender.id, OCT)] == [("Far Agency", D("500"))]
    assert [r[5] for r in recon.legal_cost_rows(lender.id, OCT)] == [D("300")]
    cases = {r[0]: (r[3], r[4]) for r in recon.case_rows(lender.id, OCT)}
    assert cases[book["b"].id] == ("", "closed") and cases[book["a"].id] == ("open", "open")
    assert book["f"].id not in cases and len(cases) == 4  # F closed in September: behind no figure


def test_a_past_month_is_the_same_after_later_changes(book, lender):
    before = recon.month_statement(lender.id, OCT, dash.bucket_codes())
    change(book["d"], at(11, 10), m.CaseStatus.OPEN)  # the lender sends D back
    change(book["a"], at(11, 12), m.CaseStatus.CLOSED, m.CaseCloseReason.CURED)
    m.LegalCost.objects.create(legal_case=m.LegalCase.objects.get(), kind=m.LegalCostKind.OTHER, amount=D("9"),
                               incurred_on=d(11, 20))
    assert recon.month_statement(lender.id, OCT, dash.bucket_codes()) == before
    nov = recon.month_statement(lender.id, dt.date(2026, 11, 1), dash.bucket_codes())
    assert (nov["cases"]["open_at_start"], nov["cases"]["received"], nov["cases"]["open_at_end"]) == (2, 1, 3)
    assert nov["legal_costs"]["amount"] == D("59.00")


def test_page_and_every_export(book, lender, admin_user, supervisor, team, client):
    client.force_login(admin_user)
    url = reverse("supervisor_reconciliation")
    q = {"lender": lender.code, "month": "2026-10"}
    page = client.get(url, q).content.decode()
    assert 'id="reconciliation-month"' in page and "1,400.00" in page
    for table in ("channels", "cases", "closed", "settlements", "write_offs", "recoveries", "commission",
                  "legal_costs"):
        out = client.get(url, {**q, "export": "csv", "table": table})
        assert out["Content-Disposition"].endswith(f'-{table}.csv"'), table
        assert len(list(csv.reader(io.StringIO(out.content.decode("utf-8-sig"))))) > 1, table
    out = client.get(url, {**q, "export": "xlsx", "table": "summary"})
    rows = {r[0]: r[1] for r in openpyxl.load_workbook(io.BytesIO(out.content)).active.iter_rows(values_only=True)}
    assert rows["Forgiven amount"] == 400 and rows["Agency commission"] == 100 and rows["Legal costs"] == 300
    assert rows["Cases returned to the lender"] == 1
    team.lender = f.LenderFactory(code="someone-else")
    team.save()
    client.force_login(supervisor)  # their only team works another lender: not this one's statement
    page = client.get(url, {**q, "export": "csv", "table": "legal_costs"})
    assert "acme" not in page["Content-Disposition"]
