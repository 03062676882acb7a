"""A payment plan's aging pause on every day, on both nightly backends, against the pure engine
(docs/settlements.md, docs/delinquency.md "Aging pauses"): kept, the bucket holds; broken, aging resumes
from where it was the day the plan broke."""
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from collections_app.domain import delinquency as engine
from collections_app.domain import settlements as rules
from collections_app.models import AgingPause, Installment, Loan, PauseKind, Payment, PlanStatus
from collections_app.services import nightly
from collections_app.services.settlements.plans import propose_plan
from tests import factories as f

from .conftest import make_loan

D = dt.date
M = Decimal
DAY = dt.timedelta(days=1)
pytestmark = pytest.mark.django_db
START = D(2026, 2, 15)


def pure(loan, day):
    return engine.evaluate(
        [engine.ScheduledInstallment(i.seq, i.due_date, i.principal_due, i.interest_due, i.fee_due)
         for i in Installment.objects.filter(loan=loan)],
        [engine.PaymentRecord(p.id, p.paid_on, p.amount) for p in Payment.objects.filter(loan=loan)],
        day, pauses=[engine.Pause(p.starts_on, p.ends_on) for p in AgingPause.objects.filter(loan=loan)])


def walk(loan, plan, days, force_python):
    """Run each night; on each day the stored figures are the pure engine's with the pauses as they
    stand, and the plan's status follows ``domain.settlements.plan_progress``. Returns the daily log."""
    scope = nightly.Scope(borrower_ids=(loan.borrower_id,))
    lines = [rules.PlanLine(i.seq, i.due_date, i.amount) for i in plan.installments.all()]
    log = []
    for day in days:
        nightly.process_scope(scope=scope, as_of=day, force_python=force_python)
        stored = Loan.objects.get(pk=loan.pk)
        want = pure(stored, day)
        assert (stored.dpd, stored.aging_days, stored.bucket) == (want.dpd, want.aging_days, want.bucket), day
        paid = [rules.Paid(p.paid_on, p.amount) for p in Payment.objects.filter(loan=loan, paid_on__gte=plan.proposed_on)]
        progress = rules.plan_progress(lines, paid, day, plan.grace_days)
        plan.refresh_from_db()
        assert plan.status == {"active": PlanStatus.ACTIVE, "kept": PlanStatus.KEPT, "broken": PlanStatus.BROKEN}[
            progress.status], day
        log.append((day, stored.dpd, stored.aging_days, stored.bucket))
    return log


@pytest.fixture
def late_loan(lender, settings):
    """36 days late on 15 February (overdue 2,000, bucket M1), no payment."""
    loan = make_loan(lender)
    settings.BUSINESS_DATE = START.isoformat()
    nightly.run_delinquency(as_of=START)
    return Loan.objects.get(pk=loan.pk)


@pytest.mark.parametrize("force_python", [False, True])
def test_plan_kept_holds_the_bucket_then_broken_it_resumes_from_where_it_was(late_loan, collector, force_python):
    loan = late_loan
    assert (loan.dpd, loan.aging_days, loan.bucket) == (36, 36, "M1")
    plan = propose_plan(case=loan.case, user=collector,
                        installments=[(D(2026, 2, 20), M("1000")), (D(2026, 3, 5), M("1000"))])
    assert plan.status == PlanStatus.ACTIVE and plan.activated_on == START
    pause = AgingPause.objects.get(loan=loan)
    assert (pause.kind, pause.starts_on, pause.ends_on) == (PauseKind.PAYMENT_PLAN, START + DAY, None)
    # the first plan instalment paid on its date (it fills the oldest loan instalment, 10 January);
    # the second never is: with 3 days' grace the plan breaks on 9 March
    f.PaymentFactory(loan=loan, paid_on=D(2026, 2, 20), amount=M("1000"))
    days = [START + DAY * k for k in range(1, 36)]
    log = dict((d, rest) for d, *rest in [(d, dpd, aging, b) for d, dpd, aging, b in walk(loan, plan, days, force_python)])
    pause.refresh_from_db()
    assert pause.ends_on == D(2026, 3, 8)
    assert plan.ended_on == D(2026, 3, 9) and plan.status == PlanStatus.BROKEN
    # before the payment the oldest unpaid instalment is 10 January: aging holds at 36 (DPD grows)
    assert [log[D(2026, 2, d)] for d in (16, 19)] == [[37, 36, "M1"], [40, 36, "M1"]]
    # from 20 February the oldest unpaid is 10 February: DPD 10, minus the 5 paused days since 16 February
    assert log[D(2026, 2, 20)] == [10, 5, "M0"]
    assert log[D(2026, 3, 8)] == [26, 5, "M0"]  # still held the day before the plan broke
    assert log[D(2026, 3, 9)] == [27, 6, "M0"]  # broken: one more day of aging, then one a day
    assert log[D(2026, 3, 21)] == [39, 18, "M0"]


@pytest.mark.parametrize("force_python", [False, True])
def test_a_plan_never_paid_holds_aging_exactly_until_it_breaks(late_loan, collector, force_python):
    loan = late_loan
    plan = propose_plan(case=loan.case, user=collector, installments=[(D(2026, 2, 25), M("2000"))])
    days = [START + DAY * k for k in range(1, 16)]
    log = walk(loan, plan, days, force_python)
    broke = D(2026, 3, 1)  # 25 February + 3 days' grace, the next day
    for day, dpd, aging, _bucket in log:
        assert dpd == 36 + (day - START).days
        assert aging == (36 if day < broke else 36 + (day - broke).days + 1)


@pytest.mark.parametrize("force_python", [False, True])
def test_a_plan_kept_in_full_cures_the_loans_and_ends_its_pause_that_day(late_loan, collector, force_python):
    loan = late_loan
    plan = propose_plan(case=loan.case, user=collector,
                        installments=[(D(2026, 2, 20), M("1000")), (D(2026, 3, 5), M("1000"))])
    f.PaymentFactory(loan=loan, paid_on=D(2026, 2, 20), amount=M("1000"))
    f.PaymentFactory(loan=loan, paid_on=D(2026, 3, 4), amount=M("1000"))
    walk(loan, plan, [START + DAY * k for k in range(1, 21)], force_python)  # to 7 March
    assert plan.status == PlanStatus.KEPT and plan.ended_on == D(2026, 3, 4)
    assert AgingPause.objects.get(loan=loan).ends_on == D(2026, 3, 4)
    loan.refresh_from_db()
    assert loan.dpd == 0 and loan.case.status == "closed"  # cured (the March instalment is not due yet)


@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(st.integers(1, 12), min_size=1, max_size=3),
    pays=st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["300", "700", "1000"])), max_size=3),
)
def test_any_plan_and_payments_agree_with_the_pure_engine_every_day(lender, collector, settings, offsets, pays):
    loan = make_loan(lender)  # a new borrower for each example
    settings.BUSINESS_DATE = START.isoformat()
    nightly.process_scope(scope=nightly.Scope(borrower_ids=(loan.borrower_id,)), as_of=START)
    loan.refresh_from_db()
    each = {1: M("2000"), 2: M("1000"), 3: M("700")}[len(offsets)]  # at least the overdue 2,000
    due, installments = START, []
    for off in offsets:
        due += DAY * off
        installments.append((due, each))
    plan = propose_plan(case=loan.case, user=collector, installments=installments)
    assert plan.status == PlanStatus.ACTIVE
    for n, (off, amount) in enumerate(pays):
        f.PaymentFactory(loan=loan, paid_on=START + DAY * (off + 1), amount=M(amount), external_id=f"H{loan.id}-{n}")
    walk(loan, plan, [START + DAY * k for k in range(1, 40)], force_python=True)
