"""The promise rules: capped at the payoff amount today, one open promise per case (a new one
replaces it), and a closing case settles its open promise."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from collections_app import models as m
from collections_app.selectors import dashboard
from collections_app.selectors.payoff import case_payoff_amount
from collections_app.services import contacts
from collections_app.services import nightly as engine_service
from collections_app.services import promises as svc
from collections_app.services.payments import record_payment
from tests import factories as f

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SH)
TODAY = NOW.date()
M = Decimal


@pytest.fixture
def case(lender, collector):
    """A delinquent case: 1,050.00 overdue since Feb 1, 1,000.00 principal due in June; payoff 2,050.00."""
    borrower = f.BorrowerFactory(lender=lender)
    loan = f.LoanFactory(lender=lender, borrower=borrower)
    f.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 2, 1))
    f.InstallmentFactory(loan=loan, seq=2, due_date=dt.date(2026, 6, 1))
    engine_service.recalculate_loans(loan_ids=[loan.id], as_of=TODAY)
    case = m.CollectionCase.objects.select_related("lender", "borrower").get(borrower=borrower)
    m.CollectionCase.objects.filter(pk=case.pk).update(assigned_to=collector)
    return case


def take(case, user, amount, date=TODAY + dt.timedelta(days=5), now=NOW):
    return svc.take_promise(case=case, borrower=case.borrower, user=user, amount=M(amount), date=date, now=now)


# --- capped at the payoff amount today ---------------------------------------------------------

def test_the_cap_is_the_payoff_amount_today(case):
    assert case_payoff_amount(case, TODAY) == M("2050.00")


def test_a_promise_above_the_payoff_amount_is_refused_with_the_cap(case, collector):
    with pytest.raises(ValidationError) as exc:
        take(case, collector, "2050.01")
    assert exc.value.message_dict == {
        "amount": ["A promise cannot be more than the amount that pays off the case today (2050.00)."]}
    assert not m.PromiseToPay.objects.exists()
    assert take(case, collector, "2050.00").amount == M("2050.00")


def test_logging_a_contact_with_too_big_a_promise_stores_nothing(case, collector):
    with pytest.raises(ValidationError) as exc:
        contacts.log_contact(case=case, user=collector, channel="phone", outcome="promise",
                             promise_amount="999999999", promise_date=(TODAY + dt.timedelta(days=3)).isoformat(),
                             now=NOW)
    assert "2050.00" in exc.value.message_dict["promise_amount"][0]
    assert not m.ContactLog.objects.exists() and not m.PromiseToPay.objects.exists()


# --- one open promise per case -----------------------------------------------------------------

def test_a_new_promise_replaces_the_pending_one(case, collector, admin_user):
    first = take(case, collector, "300.00", date=TODAY + dt.timedelta(days=60))  # needs approval
    assert first.approval.status == m.ApprovalStatus.PENDING
    second = take(case, collector, "500.00")
    first.refresh_from_db()
    assert (first.status, first.resolved_on) == (m.PromiseStatus.REPLACED, TODAY)
    assert first.approval.status == m.ApprovalStatus.CANCELLED  # nothing left to approve
    assert second.status == m.PromiseStatus.PENDING
    case.borrower.refresh_from_db()
    assert (case.borrower.promises_made, case.borrower.promises_broken) == (1, 0)
    # the dashboard counts it once, as the newer promise, and never as broken
    m.PromiseToPay.objects.update(created_at=NOW)
    filters = dashboard.DashboardFilters(date_from=TODAY, date_to=TODAY)
    summary = dashboard.summary(admin_user, filters, dashboard.scope_cases(admin_user, filters))
    assert (summary["promises_made"], summary["promised_amount"], summary["promises_broken"]) == (1, M("500.00"), 0)


def test_the_replaced_promise_is_not_judged_later(case, collector):
    first = take(case, collector, "300.00", date=TODAY + dt.timedelta(days=1))
    take(case, collector, "500.00", date=TODAY + dt.timedelta(days=2))
    engine_service.recalculate_loans(loan_ids=list(case.loans.values_list("id", flat=True)), as_of=TODAY + dt.timedelta(days=5))
    first.refresh_from_db()
    assert first.status == m.PromiseStatus.REPLACED
    assert m.PromiseToPay.objects.exclude(pk=first.pk).get().status == m.PromiseStatus.BROKEN
    case.borrower.refresh_from_db()
    assert case.borrower.promises_broken == 1


def test_the_database_allows_one_pending_promise_per_case(case):
    f.PromiseFactory(case=case)
    f.PromiseFactory(case=case, status=m.PromiseStatus.KEPT)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.PromiseFactory(case=case)


# --- closing a case settles its promise --------------------------------------------------------

@pytest.mark.parametrize("force_python", [True, False], ids=["python", "database backend"])
def test_closing_a_case_settles_its_pending_promise(case, collector, force_python):
    if not force_python and connection.vendor != "postgresql":
        pytest.skip("the SQL case lifecycle runs on PostgreSQL")
    promise = take(case, collector, "2000.00", date=TODAY + dt.timedelta(days=6))
    m.PromiseToPay.objects.filter(pk=promise.pk).update(created_at=NOW)
    loan = case.loans.get()
    f.PaymentFactory(loan=loan, paid_on=TODAY, amount=M("1050.00"))  # cures the loan, short of the promise
    engine_service.process_scope(scope=engine_service.Scope(borrower_ids=(case.borrower_id,)), as_of=TODAY,
                                 force_python=force_python)
    case.refresh_from_db()
    promise.refresh_from_db()
    assert (case.status, case.close_reason) == (m.CaseStatus.CLOSED, m.CaseCloseReason.CURED)
    assert (promise.status, promise.resolved_on, promise.paid_amount) == (m.PromiseStatus.CANCELLED, TODAY, M("1050"))
    case.borrower.refresh_from_db()
    assert (case.borrower.promises_kept, case.borrower.promises_broken) == (0, 0)  # neither kept nor broken


def test_a_promise_paid_in_full_is_kept_when_its_case_closes(case, collector):
    promise = take(case, collector, "1000.00")
    m.PromiseToPay.objects.filter(pk=promise.pk).update(created_at=NOW)
    record_payment(loan=case.loans.get(), external_id="PAY-1", paid_on=TODAY, amount=M("1050.00"), source="api",
                   as_of=TODAY)
    promise.refresh_from_db()
    assert promise.status == m.PromiseStatus.KEPT
    assert m.CollectionCase.objects.get(pk=case.pk).status == m.CaseStatus.CLOSED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_promises_on_a_case_leave_one_pending():
    import threading

    lender = f.LenderFactory(code="promise-race")
    user = f.CollectorFactory(username="promise-racer")
    case = f.CaseFactory(lender=lender, assigned_to=user, outstanding_amount=M("9000.00"))
    n = 8
    barrier = threading.Barrier(n)
    results = []

    def attempt(i):
        try:
            barrier.wait()
            fresh = m.CollectionCase.objects.select_related("lender", "borrower").get(pk=case.pk)
            take(fresh, user, f"{100 + i}.00", now=None, date=dt.date.today() + dt.timedelta(days=5))
            results.append("taken")
        except Exception as exc:  # noqa: BLE001 - any failure is a test failure, reported below
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["taken"] * n
    statuses = sorted(m.PromiseToPay.objects.filter(case=case).values_list("status", flat=True))
    assert statuses == ["pending"] + ["replaced"] * (n - 1)
    case.borrower.refresh_from_db()
    assert case.borrower.promises_made == 1
