"""The monthly report per team and lender: each row equals the API's KPIs for that scope."""
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse

from collections_app.views.reports import report_period

from .book import d

pytestmark = pytest.mark.django_db


def test_monthly_report_rows_are_the_kpis_of_each_team_and_lender(book, supervisor, client, lender, team):
    """Team A in November: collected 1,450, recovery 46.30%, keep rate 50% (test_definitions), as the
    API answers for the team; a row for the lender too (team A takes every lender's cases)."""
    client.force_login(supervisor)
    out = client.get(reverse("supervisor_reports"), {"period": "month", "date": "2026-11-15", "export": "xlsx"})
    assert out["Content-Disposition"].startswith('attachment; filename="report-month-20261101-20261130')
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(out.content)).active.iter_rows()]
    header, by_name = rows[0], {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_name) == {"Team A", lender.name}
    a = by_name["Team A"]
    assert (D(str(a["Collected"])), D(str(a["Recovery rate"])), D(str(a["Promise keep rate"]))) == (
        D("1450"), D("0.463"), D("0.5"))
    api = client.get("/api/kpis/", {"from": "2026-11-01", "to": "2026-11-30", "team": team.id}).json()
    assert D(str(a["Collected"])) == D(api["collected"]) and a["Right-party contacts"] == api["right_party_contacts"]
    assert header[0] == "Scope"


def test_report_periods():
    assert report_period("week", d(11, 18)) == (d(11, 16), d(11, 22))
    assert report_period("month", d(11, 18)) == (d(11, 1), d(11, 30))
