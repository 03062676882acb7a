"""The call caps hold under simultaneous requests: real threads, real PostgreSQL row locks.

Each thread uses the real clock (shifted to a weekday morning so contact hours never interfere),
so threads read different instants and take the borrower's lock in an order of their own. A cap
that counted only attempts stamped up to the request's own clock, or read that clock before the
lock, let more attempts through than the cap.
"""
import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from collections_app import models as m
from collections_app.services import contacts as svc
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SH)  # a Wednesday, inside contact hours


@pytest.fixture
def clock(monkeypatch):
    """The real clock, moving at real speed from MORNING: every call reads a later instant."""
    start = time.perf_counter()

    def now():
        return MORNING.astimezone(dt.UTC) + dt.timedelta(seconds=time.perf_counter() - start)

    monkeypatch.setattr(timezone, "now", now)
    return now


def run_together(n, work):
    """Run ``work()`` in ``n`` threads released at once; returns their results."""
    barrier = threading.Barrier(n)
    results = []
    lock = threading.Lock()

    def target():
        try:
            barrier.wait()
            result = work()
        except svc.ContactRefused as refused:
            result = refused.rule
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def borrowers_with_attempts(lender, user, count, earlier):
    """``count`` cases whose borrowers already have call attempts at the instants ``earlier``."""
    cases = []
    for _i in range(count):
        case = f.CaseFactory(lender=lender, assigned_to=user)
        for at in earlier:
            f.ContactLogFactory(case=case, occurred_at=at)
        cases.append(case)
    return cases


def call_through_service(case, user):
    def work():
        svc.log_contact(case=m.CollectionCase.objects.select_related("lender").get(pk=case.pk), user=user,
                        channel="phone", outcome="no_answer")
        return "stored"
    return work


def test_borrowers_at_two_of_three_calls_get_exactly_one_more(clock):
    lender = f.LenderFactory(code="race2", max_calls_per_day=3, max_calls_per_7_days=7)
    user = f.CollectorFactory(username="racer2")
    cases = borrowers_with_attempts(lender, user, 8, [MORNING - dt.timedelta(hours=1, minutes=m) for m in (0, 30)])
    threads = 10
    runs = [sorted(run_together(threads, call_through_service(case, user))) for case in cases]
    assert [m.ContactLog.objects.filter(case=case, is_attempt=True).count() for case in cases] == [3] * len(cases)
    assert runs == [["daily_cap"] * (threads - 1) + ["stored"]] * len(cases)


def test_borrowers_from_zero_get_exactly_the_daily_cap(clock):
    lender = f.LenderFactory(code="race0", max_calls_per_day=3, max_calls_per_7_days=7)
    user = f.CollectorFactory(username="racer0")
    cases = borrowers_with_attempts(lender, user, 6, [])
    threads = 12
    runs = [sorted(run_together(threads, call_through_service(case, user))) for case in cases]
    assert [m.ContactLog.objects.filter(case=case).count() for case in cases] == [3] * len(cases)
    assert runs == [["daily_cap"] * (threads - 3) + ["stored"] * 3] * len(cases)


def test_the_seven_day_cap_holds_too(clock):
    lender = f.LenderFactory(code="race7", max_calls_per_day=10, max_calls_per_7_days=3)
    user = f.CollectorFactory(username="racer7")
    cases = borrowers_with_attempts(lender, user, 6, [MORNING - dt.timedelta(days=d) for d in (2, 5)])
    threads = 10
    runs = [sorted(run_together(threads, call_through_service(case, user))) for case in cases]
    assert [m.ContactLog.objects.filter(case=case).count() for case in cases] == [3] * len(cases)
    assert runs == [["stored"] + ["weekly_cap"] * (threads - 1)] * len(cases)


def test_through_the_api_the_rest_get_409(clock):
    lender = f.LenderFactory(code="raceapi", max_calls_per_day=3, max_calls_per_7_days=7)
    user = f.CollectorFactory(username="racerapi")
    cases = borrowers_with_attempts(lender, user, 6, [MORNING - dt.timedelta(hours=2)])
    threads = 10
    runs = []
    for case in cases:
        def work(case=case):
            client = APIClient()
            client.force_authenticate(user)
            response = client.post(f"/api/cases/{case.pk}/contacts/", {"channel": "phone", "outcome": "no_answer"},
                                   format="json")
            body = response.json()
            return response.status_code, body.get("rule")

        runs.append(sorted(run_together(threads, work), key=str))
    assert [m.ContactLog.objects.filter(case=case).count() for case in cases] == [3] * len(cases)
    assert runs == [[(201, None)] * 2 + [(409, "daily_cap")] * (threads - 2)] * len(cases)


def test_simultaneous_stop_outcomes_raise_one_review_and_a_breach_each_after(lender, collector, clock):
    """Four collectors log "disputes the debt" at once: the first sets the flag and raises the one
    review; the others find contact stopped (refused) unless they say the call already happened,
    in which case each is stored as a breach with its own review — nothing is lost, nothing doubled."""
    case = f.CaseFactory(lender=lender, assigned_to=collector)

    def work(already):
        def run():
            log = svc.log_contact(case=m.CollectionCase.objects.select_related("lender").get(pk=case.pk),
                                  user=collector, channel="phone", outcome="dispute", already_happened=already)
            return log.breach_rule or "stored"
        return run

    results = run_together(4, work(False))
    assert sorted(results) == ["stop_flag", "stop_flag", "stop_flag", "stored"]
    results = run_together(3, work(True))
    assert results == ["stop_flag"] * 3
    assert m.ApprovalRequest.objects.filter(kind="stop_flag", case=case).count() == 1
    assert m.ApprovalRequest.objects.filter(kind="rule_breach", case=case).count() == 3
    assert m.ContactLog.objects.filter(case=case).count() == 4
    case.refresh_from_db()
    assert case.status == m.CaseStatus.SUSPENDED
