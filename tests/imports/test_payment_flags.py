"""A payment import flags its loans with one narrow ``LoanRecalc`` row each instead of rewriting the
wide loan row; "needs a full evaluation" is ``needs_recalc`` or a flag (``selectors.recalc``), and
every reader honours it: the nightly run evaluates a flagged loan in full (never advances it by
arithmetic), gets the figures the ``needs_recalc`` column gave, and deletes the flags it read."""
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from collections_app.models import Loan, LoanRecalc
from collections_app.selectors.recalc import flag_snapshot, is_flagged, needs_recalc_q
from collections_app.services import nightly as service
from collections_app.services.imports import import_file
from collections_app.services.nightly.postgres import loans as postgres_loans
from collections_app.services.nightly.python import loans as python_loans
from collections_app.services.recalc import clear_flags, flag_loans
from tests import factories as f
from tests.engine.test_run import assert_matches_pure, make_loan

D = dt.date
M = Decimal
pytestmark = pytest.mark.django_db

HEADER = ["payment_id", "loan_id", "paid_on", "amount", "channel", "note"]
DUES = ((D(2026, 1, 10), "100", "10"), (D(2026, 6, 10), "100", "10"))  # nothing falls due in February


def pay(write_csv, lender, loan, pid, paid_on, amount, **kw):
    path = write_csv([HEADER, [pid, loan.external_id, paid_on.isoformat(), amount, "bank", ""]], name=f"{pid}.csv")
    job = import_file(path=path, kind="payments", lender=lender, **kw)
    assert job.stored_rows == 1, job.errors
    return job


def xmin(loan):
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text FROM {Loan._meta.db_table} WHERE id = %s", [loan.id])
        return cursor.fetchone()[0]


def test_a_payment_import_flags_the_loan_without_rewriting_it(write_csv, lender):
    loan = make_loan(lender, dues=DUES)
    service.run_delinquency(as_of=D(2026, 2, 1))
    loan.refresh_from_db()
    before = (loan.updated_at, loan.needs_recalc, xmin(loan))
    assert not loan.needs_recalc and not is_flagged(loan)
    pay(write_csv, lender, loan, "P1", D(2026, 1, 20), "110", recalculate=False)
    loan.refresh_from_db()
    assert (loan.updated_at, loan.needs_recalc, xmin(loan)) == before  # the loan row is untouched
    assert LoanRecalc.objects.filter(loan=loan).exists() and is_flagged(loan)
    assert list(Loan.objects.filter(needs_recalc_q()).values_list("id", flat=True)) == [loan.id]


@pytest.mark.parametrize("force_python", [False, True])
def test_the_next_night_evaluates_a_flagged_loan_as_needs_recalc_did_and_clears_the_flag(write_csv, lender,
                                                                                        force_python):
    flagged, twin = make_loan(lender, dues=DUES), make_loan(lender, dues=DUES)
    scope = service.Scope(borrower_ids=(flagged.borrower_id, twin.borrower_id))
    service.process_scope(scope=scope, as_of=D(2026, 2, 1), force_python=force_python)
    # a payment dated before the stored as_of: only a full evaluation sees it (nothing ahead until June,
    # so without the flag the loan would be advanced by arithmetic)
    pay(write_csv, lender, flagged, "P1", D(2026, 1, 20), "110", recalculate=False)
    f.PaymentFactory(loan=twin, paid_on=D(2026, 1, 20), amount=M("110"))  # the ORM's way: needs_recalc
    twin.refresh_from_db()
    assert twin.needs_recalc and not LoanRecalc.objects.filter(loan=twin).exists()
    service.process_scope(scope=scope, as_of=D(2026, 2, 2), force_python=force_python)
    assert_matches_pure([flagged, twin], D(2026, 2, 2))
    flagged.refresh_from_db()
    twin.refresh_from_db()
    fields = ("as_of", "dpd", "bucket", "overdue_amount", "paid_total", "outstanding_amount", "penalty_accrued",
              "fees_accrued", "oldest_unpaid_due_date", "next_change_on", "penalty_base", "penalty_principal", "status")
    assert [getattr(flagged, n) for n in fields] == [getattr(twin, n) for n in fields]
    assert (flagged.paid_total, flagged.dpd, flagged.as_of) == (M("110.00"), 0, D(2026, 2, 2))
    assert not LoanRecalc.objects.exists() and not flagged.needs_recalc and not twin.needs_recalc


def test_a_flagged_loan_is_not_advanced_by_arithmetic(write_csv, lender):
    if not service.use_sql_path():
        pytest.skip("advance_predicate is the PostgreSQL path's")
    loan = make_loan(lender, dues=DUES)
    service.run_delinquency(as_of=D(2026, 2, 1))
    where, params = postgres_loans.advance_predicate(D(2026, 2, 2))

    def advanced():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT l.id FROM {Loan._meta.db_table} l WHERE {where}", params)
            return [r[0] for r in cursor.fetchall()]

    assert advanced() == [loan.id]
    pay(write_csv, lender, loan, "P1", D(2026, 1, 20), "110", recalculate=False)
    assert advanced() == []


@pytest.mark.parametrize("force_python", [False, True])
def test_a_payment_stored_after_the_chunk_read_the_payments_keeps_its_flag(write_csv, lender, monkeypatch,
                                                                           force_python):
    """A payment committed while a chunk runs (after it read the payments) sets the loan's flag again:
    the chunk deletes only the flags as it read them, so the next run still sees the payment."""
    loan = make_loan(lender, dues=DUES)
    service.run_delinquency(as_of=D(2026, 2, 1))
    pay(write_csv, lender, loan, "P1", D(2026, 1, 20), "50", recalculate=False)
    old = LoanRecalc.objects.get(loan=loan).flagged_at
    if force_python:
        real = python_loans.compute_states

        def read_then_flagged(**kw):
            states = real(**kw)
            LoanRecalc.objects.filter(loan=loan).update(flagged_at=old + dt.timedelta(seconds=1))
            return states

        monkeypatch.setattr(python_loans, "compute_states", read_then_flagged)
    else:
        if not service.use_sql_path():
            pytest.skip("the PostgreSQL path")
        real = postgres_loans.compute_figures

        def read_then_flagged(*a, **kw):
            result = real(*a, **kw)
            LoanRecalc.objects.filter(loan=loan).update(flagged_at=old + dt.timedelta(seconds=1))
            return result

        monkeypatch.setattr(postgres_loans, "compute_figures", read_then_flagged)
    service.process_scope(scope=service.Scope(borrower_ids=(loan.borrower_id,)), as_of=D(2026, 2, 2),
                          force_python=force_python)
    loan.refresh_from_db()
    assert loan.paid_total == M("50.00") and is_flagged(loan)


def test_clear_flags_deletes_only_the_flags_as_read(lender):
    a, b = f.LoanFactory(lender=lender, needs_recalc=False), f.LoanFactory(lender=lender, needs_recalc=False)
    flag_loans([a.id, b.id])
    snapshot = flag_snapshot(Loan.objects.all())
    LoanRecalc.objects.filter(loan=b).update(flagged_at=snapshot[b.id] + dt.timedelta(seconds=1))
    clear_flags(snapshot, [a.id, b.id])
    assert list(LoanRecalc.objects.values_list("loan_id", flat=True)) == [b.id]


def test_the_import_reclassifies_the_flagged_loans(write_csv, lender):
    loan = make_loan(lender, dues=DUES)
    service.run_delinquency(as_of=D(2026, 2, 1))
    pay(write_csv, lender, loan, "P1", D(2026, 1, 20), "110")  # recalculate=True
    loan.refresh_from_db()
    assert loan.paid_total == M("110.00") and not is_flagged(loan)


@pytest.mark.parametrize("how", ["import", "orm"])
def test_a_payment_moved_to_another_loan_flags_the_loan_it_left(write_csv, lender, how):
    """A payment id imported again with another loan (or a payment's loan changed through the ORM)
    takes money off the loan it was on: that loan is flagged too, so the next night evaluates it in
    full instead of advancing stale figures by arithmetic."""
    left, gained = make_loan(lender, dues=DUES), make_loan(lender, dues=DUES)
    pay(write_csv, lender, left, "P1", D(2026, 1, 20), "110", recalculate=False)
    service.run_delinquency(as_of=D(2026, 2, 1))
    left.refresh_from_db()
    assert left.paid_total == M("110") and not is_flagged(left)
    if how == "import":
        pay(write_csv, lender, gained, "P1", D(2026, 1, 20), "110", recalculate=False)
    else:
        payment = left.payments.get()
        payment.loan = gained
        payment.save()
    left.refresh_from_db()
    gained.refresh_from_db()
    assert is_flagged(left) and is_flagged(gained)
    service.run_delinquency(as_of=D(2026, 2, 2))
    assert_matches_pure([left, gained], D(2026, 2, 2))
