import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests import factories as f


@pytest.fixture(autouse=True)
def _clear_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` signs it in with a token (None = anonymous)."""
    from rest_framework.authtoken.models import Token

    client = APIClient()

    def as_user(user):
        client.credentials()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    client.as_user = as_user
    return client


def make_case(lender, assigned_to, *, bucket="M1", dpd=35, phone=None, external_id=None):
    borrower = f.BorrowerFactory(lender=lender)
    f.ContactPointFactory(borrower=borrower, value=phone or f"139{borrower.id:08d}")
    case = f.CaseFactory(
        lender=lender, borrower=borrower, assigned_to=assigned_to,
        team=assigned_to.team if assigned_to else None, bucket=bucket, stage=bucket, dpd=dpd,
    )
    loan = f.LoanFactory(
        lender=lender, borrower=borrower, case=case, bucket=bucket, dpd=dpd, overdue_amount=Decimal("1050.00"),
        as_of=dt.date(2026, 3, 10), **({"external_id": external_id} if external_id else {}),
    )
    f.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 2, 1))
    f.InstallmentFactory(loan=loan, seq=2, due_date=dt.date(2026, 3, 1))
    return case


@pytest.fixture
def world(lender, admin_user, supervisor, team, collector, other_collector):
    """Two teams. super1 runs Team A (coll1, coll2); super2 runs Team B (coll3)."""
    team_b = f.TeamFactory(name="Team B", supervisor=f.SupervisorFactory(username="super2"))
    outsider = f.CollectorFactory(username="coll3", team=team_b)
    mine = make_case(lender, collector, bucket="M1", dpd=35, external_id="LMINE")
    colleague = make_case(lender, other_collector, bucket="M2", dpd=70, external_id="LCOLL")
    outside = make_case(lender, outsider, bucket="M3", dpd=100, external_id="LOUT")
    unassigned = make_case(lender, None, bucket="M0", dpd=5, external_id="LNONE")
    return SimpleNamespace(
        lender=lender, admin=admin_user, supervisor=supervisor, supervisor_b=team_b.supervisor, team=team,
        team_b=team_b, collector=collector, other_collector=other_collector, outsider=outsider,
        mine=mine, colleague=colleague, outside=outside, unassigned=unassigned,
    )


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}
