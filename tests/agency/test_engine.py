"""The strategy's automatic actions skip a case placed with an agency, on both backends (on
PostgreSQL ``force_python=False`` is the set-based backend) and resume after its recall."""
import datetime as dt
from decimal import Decimal

import pytest

from collections_app import models as m
from collections_app.services import nightly as service
from collections_app.services.strategy import ensure_default_strategy
from tests import factories as f
from tests.agency.factories import AgencyFactory

D = dt.date
pytestmark = pytest.mark.django_db
BACKENDS = pytest.mark.parametrize("force_python", [False, True], ids=["default-backend", "python-backend"])


def _run(borrowers, days, force_python):
    for as_of in days:
        service.process_scope(scope=service.Scope(borrower_ids=tuple(b.id for b in borrowers)), as_of=as_of,
                              force_python=force_python)


@BACKENDS
def test_placed_case_gets_no_actions_until_recalled(force_python):
    ensure_default_strategy()
    lender = f.LenderFactory()
    borrowers = []
    for _ in range(2):
        borrower = f.BorrowerFactory(lender=lender)
        loan = f.LoanFactory(lender=lender, borrower=borrower)
        f.InstallmentFactory(loan=loan, seq=1, due_date=D(2026, 1, 10), principal_due=Decimal("900"))
        borrowers.append(borrower)
    _run(borrowers, [D(2026, 2, 10)], force_python)  # M1: opens both cases
    placed_case = m.CollectionCase.objects.get(borrower=borrowers[0])
    kept_case = m.CollectionCase.objects.get(borrower=borrowers[1])
    placement = m.AgencyPlacement.objects.create(case=placed_case, agency=AgencyFactory(), bucket="M1",
                                                 commission_rate="0.2", placed_on=D(2026, 2, 10),
                                                 recall_on=D(2026, 5, 1))
    before = set(m.CaseAction.objects.filter(case=placed_case).values_list("id", flat=True))
    days = [D(2026, 2, 10) + dt.timedelta(days=n) for n in range(1, 40)]
    _run(borrowers, days, force_python)
    assert set(m.CaseAction.objects.filter(case=placed_case).values_list("id", flat=True)) == before
    assert m.CaseAction.objects.filter(case=kept_case).exclude(id__in=before).exists()
    placement.recalled_on, placement.recall_reason = D(2026, 3, 21), m.RecallReason.BY_HAND
    placement.save()
    _run(borrowers, [D(2026, 3, 21) + dt.timedelta(days=n) for n in range(0, 15)], force_python)
    assert m.CaseAction.objects.filter(case=placed_case).exclude(id__in=before).exists()
