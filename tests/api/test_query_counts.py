"""List pages cost a fixed number of queries, however many rows they show."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f

from .conftest import make_case

pytestmark = pytest.mark.django_db


def _add_rows(world):
    for n in range(4):
        case = make_case(world.lender, world.collector)
        f.PromiseFactory(case=case)
        f.PaymentFactory(loan=case.loans.get())
        f.ContactLogFactory(case=world.mine)
        f.TeamFactory(name=f"Extra {n}", lender=world.lender)
        f.CollectorFactory(username=f"extra{n}", team=world.team)
        f.LenderFactory(code=f"extra{n}")


@pytest.mark.parametrize(
    "url",
    ["/api/lenders/", "/api/teams/", "/api/users/", "/api/borrowers/", "/api/loans/", "/api/installments/",
     "/api/payments/", "/api/cases/", "/api/promises/", "CONTACTS"],
)
def test_list_query_count_does_not_grow_with_rows(api, world, url):
    client = api.as_user(world.admin)
    url = f"/api/cases/{world.mine.id}/contacts/" if url == "CONTACTS" else url
    f.ContactLogFactory(case=world.mine)
    f.PromiseFactory(case=world.mine)
    f.PaymentFactory(loan=world.mine.loans.get())
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        first = client.get(url).json()
    _add_rows(world)
    with CaptureQueriesContext(connection) as after:
        second = client.get(url).json()
    assert second["count"] > first["count"]
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]
