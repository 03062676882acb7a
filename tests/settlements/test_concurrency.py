"""Two offers (or plans, or one of each) proposed at once on one case: at most one is open — real
threads on PostgreSQL, the case's row lock and the partial unique indexes one_open_offer_per_case /
one_open_plan_per_case."""
import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from collections_app.models import OfferStatus, PaymentPlan, PlanStatus, SettlementOffer
from collections_app.services.settlements.offers import propose_offer
from collections_app.services.settlements.plans import propose_plan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = dt.date
M = Decimal


def run_together(works):
    barrier = threading.Barrier(len(works))
    results = []
    lock = threading.Lock()

    def target(work):
        try:
            barrier.wait()
            result = work()
        except ValidationError:
            result = "refused"
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=target, args=(w,)) for w in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def offer(case, user, amount):
    return lambda: propose_offer(case=case, user=user, amount=M(amount), valid_until=D(2026, 2, 28)).status


def plan(case, user):
    return lambda: propose_plan(case=case, user=user, installments=[(D(2026, 2, 20), M("2000"))]).status


@pytest.mark.parametrize("kinds", [("offer", "offer"), ("plan", "plan"), ("offer", "plan"), ("offer",) * 4])
def test_concurrent_proposals_leave_one_open(book, collector, kinds):
    _loan, case = book
    works = [offer(case, collector, str(2700 + 10 * i)) if k == "offer" else plan(case, collector)
             for i, k in enumerate(kinds)]
    results = run_together(works)
    assert sorted(results).count("refused") == len(kinds) - 1, results
    assert (SettlementOffer.objects.filter(case=case, status=OfferStatus.ACTIVE).count()
            + PaymentPlan.objects.filter(case=case, status=PlanStatus.ACTIVE).count()) == 1


def test_the_database_refuses_a_second_open_offer_or_plan(book, collector):
    _loan, case = book
    propose_offer(case=case, user=collector, amount=M("2700"), valid_until=D(2026, 2, 28))
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementOffer.objects.create(case=case, amount=M("2800"), payoff_amount=M("2950"), discount_percent=M("5"),
                                       offered_on=D(2026, 2, 15), valid_until=D(2026, 2, 28), level="collector",
                                       status=OfferStatus.PENDING_APPROVAL)
    PaymentPlan.objects.create(case=case, base_amount=M("2000"), total_amount=M("2000"), proposed_on=D(2026, 2, 15),
                               level="collector", status=PlanStatus.ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentPlan.objects.create(case=case, base_amount=M("2000"), total_amount=M("2000"),
                                   proposed_on=D(2026, 2, 15), level="collector", status=PlanStatus.PENDING_APPROVAL)
