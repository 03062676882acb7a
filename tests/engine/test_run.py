"""The delinquency run on the database: both paths against the pure engine, the case lifecycle,
idempotency, past dates, strategy actions, promises and real-time reclassification."""
import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from collections_app.domain import delinquency as engine
from collections_app.models import (
    AgingPause,
    ApprovalRequest,
    BucketHistory,
    CaseAction,
    CollectionCase,
    DelinquencyRun,
    Installment,
    Loan,
    Payment,
    PromiseToPay,
)
from collections_app.models.choices import CaseCloseReason, CaseStatus, LoanStatus, PromiseStatus
from collections_app.selectors.loan_figures import fee_rules
from collections_app.services import nightly as service
from collections_app.services.nightly.postgres import loans as postgres_loans
from collections_app.services.payments import record_payment
from tests import factories as f

D = dt.date
M = Decimal
pytestmark = pytest.mark.django_db


ONE_DUE = ((D(2026, 1, 10), "100", "10"),)


def make_loan(lender, borrower=None, *, dues=ONE_DUE, product=None, **kw):
    loan = f.LoanFactory(lender=lender, borrower=borrower or f.BorrowerFactory(lender=lender), product=product, **kw)
    for n, (due, principal, interest) in enumerate(dues, 1):
        f.InstallmentFactory(loan=loan, seq=n, due_date=due, principal_due=M(principal), interest_due=M(interest))
    return loan


def random_book(lender, rng, n_loans=40, product=None):
    loans = []
    for i in range(n_loans):
        borrower = f.BorrowerFactory(lender=lender)
        loan = f.LoanFactory(lender=lender, borrower=borrower, product=product if i % 2 else None)
        start = D(2025, 6, 1) + dt.timedelta(days=rng.randint(0, 120))
        for seq in range(1, rng.randint(0, 6) + 1):
            f.InstallmentFactory(loan=loan, seq=seq, due_date=start + dt.timedelta(days=30 * seq + rng.randint(-3, 3)),
                                 principal_due=M(rng.choice(["0", "100", "250.55", "999.99"])),
                                 interest_due=M(rng.choice(["0", "10", "3.33"])), fee_due=M(rng.choice(["0", "5"])))
        for _ in range(rng.randint(0, 5)):
            f.PaymentFactory(loan=loan, paid_on=start + dt.timedelta(days=rng.randint(0, 300)),
                             amount=M(rng.choice(["0", "50", "110", "260.55", "1000", "3000"])))
        if rng.random() < 0.2:
            begin = start + dt.timedelta(days=rng.randint(20, 200))
            AgingPause.objects.create(loan=loan, kind="dispute", starts_on=begin,
                                      ends_on=rng.choice([None, begin + dt.timedelta(days=rng.randint(0, 40))]))
        loans.append(loan)
    return loans


def pure_state(loan, as_of):
    product = loan.product
    return engine.evaluate(
        [engine.ScheduledInstallment(i.seq, i.due_date, i.principal_due, i.interest_due, i.fee_due)
         for i in Installment.objects.filter(loan=loan)],
        [engine.PaymentRecord(p.id, p.paid_on, p.amount) for p in Payment.objects.filter(loan=loan)],
        as_of,
        pauses=[engine.Pause(p.starts_on, p.ends_on) for p in AgingPause.objects.filter(loan=loan)],
        fees=fee_rules(product),
    )


def figures(st):
    return (st.dpd, st.aging_days, st.bucket, st.overdue_amount, st.paid_total, st.outstanding_amount,
            st.overpayment, st.oldest_unpaid_due_date, st.settled, st.settled_on, st.penalty, st.late_fees)


def assert_matches_pure(loans, as_of):
    for loan in Loan.objects.filter(id__in=[x.id for x in loans]).select_related("product"):
        want = figures(pure_state(loan, as_of))
        got = (loan.dpd, loan.aging_days, loan.bucket, loan.overdue_amount, loan.paid_total, loan.outstanding_amount,
               loan.overpayment, loan.oldest_unpaid_due_date, loan.status == LoanStatus.SETTLED, loan.settled_on,
               loan.penalty_accrued, loan.fees_accrued)
        assert got == want, f"loan {loan.external_id}"
        # figures are rewritten only when they change, so as_of is the first date they held: the
        # engine gives the same figures on that date
        assert loan.as_of is not None and loan.as_of <= as_of
        assert figures(pure_state(loan, loan.as_of)) == want, f"loan {loan.external_id} as of {loan.as_of}"


@pytest.mark.parametrize("force_python", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_database_paths_agree_with_pure_engine(lender, seed, force_python):
    rng = random.Random(seed)
    product = f.ProductFactory(lender=lender, penalty_daily_rate=M("0.0005"), late_fee_rate=M("0.05"),
                               late_fee_min=M("3"), grace_days=2)
    loans = random_book(lender, rng, product=product)
    for as_of in (D(2025, 9, 1), D(2025, 12, 15), D(2026, 3, 1)):
        service.process_scope(scope=service.Scope(borrower_ids=tuple(x.borrower_id for x in loans)), as_of=as_of,
                              force_python=force_python)
        assert_matches_pure(loans, as_of)


def case_book(lender, seed):
    """Borrowers with 1–3 loans, some with a guarantor; same seed → same book (for another lender)."""
    rng = random.Random(seed)
    borrowers = []
    for _ in range(30):
        borrower = f.BorrowerFactory(lender=lender)
        if rng.random() < 0.3:
            f.ContactPointFactory(borrower=borrower, relation="guarantor")
        for _ in range(rng.randint(1, 3)):
            loan = f.LoanFactory(lender=lender, borrower=borrower)
            start = D(2025, 6, 1) + dt.timedelta(days=rng.randint(0, 90))
            for seq in range(1, rng.randint(1, 5) + 1):
                f.InstallmentFactory(loan=loan, seq=seq, due_date=start + dt.timedelta(days=30 * seq),
                                     principal_due=M(rng.choice(["100", "5000", "30000"])), interest_due=M("10"))
            for _ in range(rng.randint(0, 4)):
                f.PaymentFactory(loan=loan, paid_on=start + dt.timedelta(days=rng.randint(20, 250)),
                                 amount=M(rng.choice(["110", "5010", "30010", "60000"])))
        borrowers.append(borrower)
    return borrowers


def case_snapshot(borrowers):
    out = []
    for b in borrowers:
        for case in CollectionCase.objects.filter(borrower=b).order_by("id"):
            actions = sorted((a.rule_code, a.occurrence_key, a.kind, a.status, a.due_on, a.approval_id is not None)
                             for a in case.actions.all())
            out.append((case.status, case.close_reason, case.bucket, case.stage, case.dpd, case.overdue_amount,
                        case.outstanding_amount, case.priority_score, case.next_action, case.next_action_at,
                        case.loans.count(), actions,
                        case.approvals.count(), case.history.count() > 0))
    return out


@pytest.mark.parametrize("seed", [5, 6])
def test_case_paths_agree(seed):
    """The set-based case lifecycle and strategy (PostgreSQL) equal the generic ones, run after run."""
    from collections_app.services.strategy import ensure_default_strategy

    ensure_default_strategy()
    a_books = case_book(f.LenderFactory(), seed)
    b_books = case_book(f.LenderFactory(), seed)
    for as_of in (D(2025, 8, 5), D(2025, 8, 6), D(2025, 9, 1), D(2025, 10, 20), D(2025, 12, 1), D(2026, 3, 1)):
        for books, force_python in ((a_books, False), (b_books, True)):
            service.process_scope(scope=service.Scope(borrower_ids=tuple(b.id for b in books)), as_of=as_of,
                                  force_python=force_python)
        sql_side, python_side = case_snapshot(a_books), case_snapshot(b_books)
        assert sql_side == python_side, as_of
    assert any(row[11] for row in sql_side) and any(row[0] == CaseStatus.CLOSED for row in sql_side)


def test_run_opens_moves_and_closes_cases(lender):
    borrower = f.BorrowerFactory(lender=lender)
    a = make_loan(lender, borrower, dues=((D(2026, 1, 10), "100", "10"),))
    b = make_loan(lender, borrower, dues=((D(2026, 2, 10), "200", "0"),))
    run = service.run_delinquency(as_of=D(2026, 2, 20))
    case = CollectionCase.objects.get(borrower=borrower)
    assert run.cases_opened == 1 and case.status == CaseStatus.OPEN
    assert set(case.loans.values_list("id", flat=True)) == {a.id, b.id}  # one case per person, all their loans
    assert (case.dpd, case.bucket, case.overdue_amount) == (41, "M1", M("310"))
    # paying the older loan: the case follows the remaining worst loan
    record_payment(loan=a, external_id="PAY-1", paid_on=D(2026, 2, 21), amount=M("110"), source="api", as_of=D(2026, 2, 21))
    case.refresh_from_db()
    assert (case.dpd, case.bucket, case.overdue_amount) == (11, "M0", M("200"))
    # paying everything closes the case as settled
    record_payment(loan=b, external_id="PAY-2", paid_on=D(2026, 2, 21), amount=M("200"), source="api",
                   as_of=D(2026, 2, 21))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.close_reason == CaseCloseReason.SETTLED
    assert Loan.objects.get(id=b.id).status == LoanStatus.SETTLED


def test_cured_then_re_delinquent_reopens_the_same_case(lender):
    loan = make_loan(lender, dues=((D(2026, 1, 10), "100", "0"), (D(2026, 2, 10), "100", "0")))
    service.run_delinquency(as_of=D(2026, 1, 15))
    case = CollectionCase.objects.get(borrower=loan.borrower)
    f.PaymentFactory(loan=loan, paid_on=D(2026, 1, 16), amount=M("100"))
    service.run_delinquency(as_of=D(2026, 1, 16))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.close_reason == CaseCloseReason.CURED
    run = service.run_delinquency(as_of=D(2026, 2, 11))
    case.refresh_from_db()
    assert run.cases_opened == 1 and case.status == CaseStatus.OPEN and case.dpd == 1
    assert CollectionCase.objects.filter(borrower=loan.borrower).count() == 1
    assert case.history.count() >= 3  # opened, closed, reopened are all on record


def test_run_is_idempotent_per_date(lender):
    random_book(lender, random.Random(7))
    first = service.run_delinquency(as_of=D(2025, 12, 1))
    snapshot = list(Loan.objects.order_by("id").values())
    cases = list(CollectionCase.objects.order_by("id").values("id", "status", "bucket", "dpd", "overdue_amount"))
    actions = CaseAction.objects.count()
    second = service.run_delinquency(as_of=D(2025, 12, 1))
    assert first.loans_processed == second.loans_processed > 0
    assert second.bucket_changes == 0 and second.cases_opened == 0 and second.actions_created == 0
    assert [{**r, "updated_at": None} for r in Loan.objects.order_by("id").values()] == [
        {**r, "updated_at": None} for r in snapshot]
    assert list(CollectionCase.objects.order_by("id").values("id", "status", "bucket", "dpd", "overdue_amount")) == cases
    assert CaseAction.objects.count() == actions


def test_bucket_history_records_each_change(lender):
    loan = make_loan(lender)
    for day in (D(2026, 1, 10), D(2026, 1, 11), D(2026, 2, 9), D(2026, 2, 10), D(2026, 2, 11)):
        service.run_delinquency(as_of=day)
    rows = list(BucketHistory.objects.filter(loan=loan).values_list("on_date", "from_bucket", "to_bucket"))
    assert rows == [(D(2026, 1, 11), "CURRENT", "M0"), (D(2026, 2, 10), "M0", "M1")]


def test_past_date_rerun_does_not_corrupt_later_dates(lender):
    loan = make_loan(lender)
    service.run_delinquency(as_of=D(2026, 2, 15))
    current = Loan.objects.values("dpd", "bucket", "as_of").get(id=loan.id)
    service.run_delinquency(as_of=D(2026, 1, 11))  # history for a past date
    assert Loan.objects.values("dpd", "bucket", "as_of").get(id=loan.id) == current
    assert BucketHistory.objects.filter(loan=loan, on_date=D(2026, 1, 11), from_bucket="CURRENT",
                                        to_bucket="M0").exists()
    service.run_delinquency(as_of=D(2026, 1, 20))  # no change on that day: no row
    assert not BucketHistory.objects.filter(loan=loan, on_date=D(2026, 1, 20)).exists()


def test_pause_keeps_dpd_but_holds_the_bucket(lender):
    loan = make_loan(lender)
    AgingPause.objects.create(loan=loan, kind="forbearance", starts_on=D(2026, 1, 20), ends_on=D(2026, 2, 28))
    service.run_delinquency(as_of=D(2026, 3, 5))
    loan.refresh_from_db()
    assert loan.dpd == 54 and loan.aging_days == 54 - 40 and loan.bucket == "M0"


def test_strategy_creates_actions_once_and_approvals_for_costly_ones(lender):
    loan = make_loan(lender)
    f.ContactPointFactory(borrower=loan.borrower, relation="guarantor", value="13900000000")
    for day in range(11, 19):
        service.run_delinquency(as_of=D(2026, 1, day))
        service.run_delinquency(as_of=D(2026, 1, day))  # twice: nothing new
    case = CollectionCase.objects.get(borrower=loan.borrower)
    codes = list(case.actions.values_list("rule_code", flat=True))
    # M0: reminders only (docs/strategy.md), no call task, guarantor contact or visit proposal
    assert codes.count("days1-3-robot-call") == 3
    assert codes.count("m0-sms-reminder") == 2
    assert codes.count("day7-notice-letter") == 1
    assert not case.actions.filter(kind__in=("call", "field_visit", "guarantor_contact")).exists()
    assert ApprovalRequest.objects.filter(case=case).count() == 0
    assert case.next_action  # the queue shows what to do next
    run = DelinquencyRun.objects.order_by("-id").first()
    assert run.strategy_version and run.strategy_version.status == "active"


def test_promises_kept_partial_and_broken(lender, collector):
    loans = [make_loan(lender) for _ in range(3)]
    service.run_delinquency(as_of=D(2026, 1, 20))
    promises = []
    for loan, paid in zip(loans, ("110", "50", None), strict=True):
        case = CollectionCase.objects.get(borrower=loan.borrower)
        promises.append(PromiseToPay.objects.create(case=case, borrower=loan.borrower, amount=M("110"),
                                                    promised_date=D(2026, 1, 25), created_by=collector))
        if paid:
            f.PaymentFactory(loan=loan, paid_on=D(2026, 1, 24), amount=M(paid))
    PromiseToPay.objects.update(created_at=dt.datetime(2026, 1, 20, 10, tzinfo=dt.UTC))
    service.run_delinquency(as_of=D(2026, 1, 25))
    assert [PromiseToPay.objects.get(id=p.id).status for p in promises] == [
        PromiseStatus.KEPT, PromiseStatus.PENDING, PromiseStatus.PENDING]
    run = service.run_delinquency(as_of=D(2026, 1, 26))
    assert [PromiseToPay.objects.get(id=p.id).status for p in promises] == [
        PromiseStatus.KEPT, PromiseStatus.PARTIALLY_KEPT, PromiseStatus.BROKEN]
    assert run.promises_broken == 1
    broken = loans[2].borrower
    broken.refresh_from_db()
    assert broken.promises_broken == 1 and broken.promise_reliability == 0


def test_payment_reclassifies_at_once_and_is_exactly_once(lender):
    loan = make_loan(lender)
    service.run_delinquency(as_of=D(2026, 1, 20))
    record_payment(loan=loan, external_id="X1", paid_on=D(2026, 1, 20), amount=M("110"), source="api", as_of=D(2026, 1, 20))
    record_payment(loan=loan, external_id="X1", paid_on=D(2026, 1, 20), amount=M("110"), source="api", as_of=D(2026, 1, 20))
    loan.refresh_from_db()
    assert loan.dpd == 0 and loan.status == LoanStatus.SETTLED and Payment.objects.filter(loan=loan).count() == 1
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        record_payment(loan=loan, external_id="X1", paid_on=D(2026, 1, 20), amount=M("5"), source="api", as_of=D(2026, 1, 20))
    with pytest.raises(ValidationError):
        record_payment(loan=loan, external_id="X2", paid_on=D(2026, 1, 20), amount=M("-5"), source="api", as_of=D(2026, 1, 20))


def test_advance_delinquency_command_prints_summary(lender, capsys):
    make_loan(lender)
    call_command("advance_delinquency", "--as-of", "2026-02-01")
    out = capsys.readouterr().out
    assert "2026-02-01: 1 loans processed, 1 bucket changes" in out
    assert DelinquencyRun.objects.get().status == "done"


def test_nightly_task_runs_the_chord_in_eager_mode(lender):
    from collections_app.tasks import nightly_delinquency_run

    make_loan(lender)
    run_id = nightly_delinquency_run.delay("2026-02-01").get()
    run = DelinquencyRun.objects.get(id=run_id)
    assert run.status == "done" and run.loans_processed == 1 and run.chunks_done == run.chunks_total == 1


def test_sql_path_is_used_on_postgresql():
    assert service.use_sql_path() == (connection.vendor == "postgresql")


def test_unchanged_loans_are_not_rewritten_but_report_the_run_date(lender):
    from collections_app.api.serializers import LoanSerializer

    current = make_loan(lender, dues=((D(2026, 6, 10), "100", "0"),))
    late = make_loan(lender, dues=((D(2026, 1, 10), "100", "0"),))
    service.run_delinquency(as_of=D(2026, 2, 1))
    service.run_delinquency(as_of=D(2026, 2, 2))
    current.refresh_from_db()
    late.refresh_from_db()
    assert current.as_of == D(2026, 2, 1)  # nothing moved on the 2nd: no write
    assert (late.as_of, late.dpd) == (D(2026, 2, 2), 23)  # DPD grows: rewritten
    assert LoanSerializer(current).data["as_of"] == "2026-02-02"  # the figures hold through the last run
    assert LoanSerializer(late).data["as_of"] == "2026-02-02"
    # a re-run of the 2nd's eve (a past date for the late loan) changes neither
    service.run_delinquency(as_of=D(2026, 2, 1))
    current.refresh_from_db()
    late.refresh_from_db()
    assert current.as_of == D(2026, 2, 1) and (late.as_of, late.dpd) == (D(2026, 2, 2), 23)


@pytest.mark.parametrize("seed", [11, 12])
def test_night_after_night_the_advanced_loans_agree_with_the_pure_engine(lender, seed, monkeypatch):
    """The nightly run advances loans with nothing new by arithmetic (``advance_predicate``) and
    evaluates the others in full. Night after night over a random book — installments falling due,
    payments dated ahead, pauses, a product with penalty and late fees, rows edited between two nights
    through the ORM (the admin's way), the product's terms changed — every loan equals the pure
    engine, and most loan-nights were advanced rather than evaluated."""
    rng = random.Random(seed)
    product = f.ProductFactory(lender=lender, penalty_daily_rate=M("0.0005"), late_fee_rate=M("0.05"),
                               late_fee_min=M("3"), grace_days=2)
    loans = random_book(lender, rng, n_loans=30, product=product)
    advanced = []
    real_advance = postgres_loans.advance_loans
    monkeypatch.setattr(postgres_loans, "advance_loans", lambda *a, **k: _record(advanced, real_advance(*a, **k)))
    day = D(2025, 7, 1)
    for night in range(75):
        if night == 30:  # edits between two nights, through the ORM
            loan = loans[3]
            f.PaymentFactory(loan=loan, paid_on=day - dt.timedelta(days=5), amount=M("77.70"))
            inst = Installment.objects.filter(loan=loans[4]).order_by("seq").first()
            if inst:
                inst.principal_due += M("12.34")
                inst.save()
            AgingPause.objects.create(loan=loans[5], kind="dispute", starts_on=day - dt.timedelta(days=10))
            Payment.objects.filter(loan=loans[6]).delete()
        if night == 50:  # the product's terms change: penalty and fees of its loans, from their whole history
            product.penalty_daily_rate = M("0.0010")
            product.late_fee_rate = M("0.10")
            product.save()
        service.run_delinquency(as_of=day)
        assert_matches_pure(loans, day)
        for loan in Loan.objects.filter(id__in=[x.id for x in loans]):
            st = pure_state(loan, day)
            assert (loan.next_change_on, loan.penalty_base, loan.penalty_principal) == (
                st.next_change_on, st.penalty_base, st.penalty_principal), f"loan {loan.external_id}"
        day += dt.timedelta(days=1)
    if service.use_sql_path():
        # 30 loans × 75 nights; the first night evaluates everything
        assert sum(advanced) > 0.5 * 30 * 75


def _record(log, result):
    log.append(result[0])
    return result


@pytest.mark.parametrize("force_python", [False, True])
def test_penalty_segments_at_their_edges_agree_with_the_pure_engine(lender, force_python):
    """Payments on the due date, the day after (the first day that accrues), the day after that and
    later, on loans whose product charges penalty interest and late fees: the set-based segments
    (each starting the day after a due date or on a payment day) give the engine's figures."""
    product = f.ProductFactory(lender=lender, penalty_daily_rate=M("0.001"), late_fee_rate=M("0.05"),
                               late_fee_min=M("3"), grace_days=2)
    dues = ((D(2026, 1, 10), "1000", "20"), (D(2026, 2, 10), "1000", "20"))
    loans = []
    for offsets in ((0,), (1,), (2,), (1, 2), (1, 15), (0, 1, 2, 40), (3, 31, 32)):
        loan = make_loan(lender, dues=dues, product=product)
        for n, days in enumerate(offsets):
            f.PaymentFactory(loan=loan, paid_on=D(2026, 1, 10) + dt.timedelta(days=days), amount=M("300") + n)
        loans.append(loan)
    for as_of in (D(2026, 1, 11), D(2026, 1, 12), D(2026, 2, 11), D(2026, 3, 31)):
        service.process_scope(scope=service.Scope(borrower_ids=tuple(x.borrower_id for x in loans)), as_of=as_of,
                              force_python=force_python)
        assert_matches_pure(loans, as_of)
