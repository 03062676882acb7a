"""What must never be false is enforced by the database, not only by forms."""
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_two_open_cases_for_one_borrower_and_lender_are_refused(lender):
    borrower = f.BorrowerFactory(lender=lender)
    f.CaseFactory(lender=lender, borrower=borrower)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.CaseFactory(lender=lender, borrower=borrower)


def test_closed_case_allows_a_new_open_one(lender):
    borrower = f.BorrowerFactory(lender=lender)
    f.CaseFactory(lender=lender, borrower=borrower, status=m.CaseStatus.CLOSED, close_reason=m.CaseCloseReason.CURED)
    f.CaseFactory(lender=lender, borrower=borrower)
    assert m.CollectionCase.objects.filter(borrower=borrower).count() == 2


def test_duplicate_loan_external_id_per_lender_refused(lender):
    f.LoanFactory(lender=lender, external_id="L1")
    f.LoanFactory(external_id="L1")  # another lender may reuse it
    with pytest.raises(IntegrityError), transaction.atomic():
        f.LoanFactory(lender=lender, external_id="L1")


def test_duplicate_payment_external_id_refused(lender):
    loan = f.LoanFactory(lender=lender)
    f.PaymentFactory(loan=loan, external_id="P1")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.PaymentFactory(loan=loan, external_id="P1")


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (f.LoanFactory, "principal"),
        (f.PaymentFactory, "amount"),
        (f.InstallmentFactory, "principal_due"),
        (f.InstallmentFactory, "interest_due"),
    ],
)
def test_negative_amounts_refused(db, factory, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**{field: Decimal("-0.01")})


def test_installment_amount_due_is_computed_by_the_database(db):
    inst = f.InstallmentFactory(principal_due=Decimal("100.10"), interest_due=Decimal("5.05"), fee_due=Decimal("1.00"))
    inst.refresh_from_db()
    assert inst.amount_due == Decimal("106.15")


def test_installment_seq_unique_per_loan(db):
    loan = f.LoanFactory()
    f.InstallmentFactory(loan=loan, seq=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.InstallmentFactory(loan=loan, seq=1)


def test_money_is_decimal_in_the_database(db):
    loan = f.LoanFactory(principal=Decimal("12345.67"))
    loan.refresh_from_db()
    assert isinstance(loan.principal, Decimal) and loan.principal == Decimal("12345.67")


def test_promise_amount_must_be_positive(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.PromiseFactory(amount=Decimal("0"))


def test_only_one_active_strategy_version(db):
    m.StrategyVersion.objects.create(number=101, status=m.StrategyStatus.ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        m.StrategyVersion.objects.create(number=102, status=m.StrategyStatus.ACTIVE)


def test_strategy_maker_cannot_be_checker(db):
    admin = f.AdminFactory(username="maker")
    with pytest.raises(IntegrityError), transaction.atomic():
        m.StrategyVersion.objects.create(number=103, created_by=admin, approved_by=admin)


def test_approval_cannot_be_decided_by_requester(db):
    sup = f.SupervisorFactory(username="sup9")
    with pytest.raises(IntegrityError), transaction.atomic():
        m.ApprovalRequest.objects.create(kind=m.ApprovalKind.WRITE_OFF, requested_by=sup, decided_by=sup)


def test_target_is_for_a_team_or_a_collector_not_both(team, collector):
    import datetime as dt

    with pytest.raises(IntegrityError), transaction.atomic():
        m.Target.objects.create(period="month", period_start=dt.date(2026, 11, 1), team=team, collector=collector, amount=1)


def test_state_changes_keep_history(db):
    case = f.CaseFactory(bucket="M1")
    case.bucket = "M2"
    case.save()
    assert [h.bucket for h in case.history.order_by("history_date")] == ["M1", "M2"]
