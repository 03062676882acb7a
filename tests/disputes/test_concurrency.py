"""One open dispute per case, and one contact per dialer call, under simultaneous requests: real
threads, real PostgreSQL row locks and constraints."""
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from collections_app import models as m
from collections_app.services.dialer import record_call_event
from collections_app.services.disputes import open_dispute
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(n, work):
    barrier = threading.Barrier(n)
    results, lock = [], threading.Lock()

    def target(i):
        try:
            barrier.wait()
            result = work(i)
        except ValidationError as exc:
            result = exc
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def working_case(db):
    lender = f.LenderFactory(code="acme-threads")
    case = f.CaseFactory(lender=lender)
    f.ContactPointFactory(borrower=case.borrower, value="13911112222")
    return m.CollectionCase.objects.select_related("lender", "borrower").get(pk=case.pk)


def test_simultaneous_disputes_open_one(working_case):
    def work(i):
        case = m.CollectionCase.objects.select_related("lender", "borrower").get(pk=working_case.pk)
        return open_dispute(case=case, user=None, reason=f"dispute {i}")

    results = run_together(6, work)
    assert sum(isinstance(r, m.Dispute) for r in results) == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 5
    assert m.Dispute.objects.filter(case=working_case, status="open").count() == 1


def test_a_call_delivered_several_times_at_once_is_one_contact(working_case):
    def work(i):
        log, _created = record_call_event(call_id="pbx-dup", event="started", number="13911112222",
                                          duration_seconds=i)
        return log.pk

    results = run_together(5, work)
    assert len(set(results)) == 1
    assert m.ContactLog.objects.filter(dialer_call_id="pbx-dup").count() == 1
    assert m.ContactLog.objects.filter(case=working_case).count() == 1
