"""Settlement offers: limits and approvals, paid in full by the date closes the case with the
forgiven amount recorded, a day late lapses; the payoff amount reflects an accepted offer."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from collections_app.models import (
    ApprovalRequest,
    ApprovalStatus,
    CaseCloseReason,
    CaseStatus,
    Loan,
    LoanStatus,
    OfferStatus,
    SettlementTerms,
)
from collections_app.selectors.payoff import case_payoff_amount
from collections_app.services.approvals import decide
from collections_app.services.payments import record_payment
from collections_app.services.settlements.offers import cancel_offer, propose_offer
from tests import factories as f

from .conftest import run_to

D = dt.date
M = Decimal
pytestmark = pytest.mark.django_db
TODAY = D(2026, 2, 15)


def pay(loan, amount, on, ext):
    return record_payment(loan=loan, external_id=ext, paid_on=on, amount=M(amount), source="api", as_of=on)


def test_within_the_collectors_limit_the_offer_is_active_and_the_payoff_reflects_it(book, collector):
    loan, case = book
    full = case_payoff_amount(case, TODAY)
    assert full == M("2950.00")  # overdue 2,000 + principal not yet due 950 (its interest waived)
    offer = propose_offer(case=case, user=collector, amount=M("2700"), valid_until=D(2026, 2, 28))
    assert offer.status == OfferStatus.ACTIVE and offer.discount_percent == M("8.47")
    assert case_payoff_amount(case, TODAY) == M("2700")
    assert case_payoff_amount(case, TODAY, with_offer=False) == full
    pay(loan, "700", TODAY, "P1")
    assert case_payoff_amount(case, TODAY) == M("2000")


def test_an_offer_at_or_above_the_payoff_or_ending_in_the_past_is_refused(book, collector):
    _loan, case = book
    with pytest.raises(ValidationError) as err:
        propose_offer(case=case, user=collector, amount=M("2950"), valid_until=D(2026, 2, 28))
    assert "amount" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        propose_offer(case=case, user=collector, amount=M("2000"), valid_until=D(2026, 2, 14))
    assert "valid_until" in err.value.message_dict


def test_limits_per_lender_and_bucket_send_bigger_discounts_to_a_supervisor_then_an_admin(
        book, collector, supervisor, admin_user):
    loan, case = book
    SettlementTerms.objects.create(lender=case.lender, bucket="", collector_max_discount=M("5"),
                                   supervisor_max_discount=M("50"))
    SettlementTerms.objects.create(lender=case.lender, bucket=case.bucket, collector_max_discount=M("20"),
                                   supervisor_max_discount=M("40"))
    # the bucket's own row wins over the lender's default: 8.47% is within 20%
    assert propose_offer(case=case, user=collector, amount=M("2700"), valid_until=D(2026, 2, 28)).status == "active"
    cancel_offer(offer=case.settlement_offers.get(), user=collector)
    offer = propose_offer(case=case, user=collector, amount=M("2000"), valid_until=D(2026, 2, 28))  # 32.20%
    assert offer.status == OfferStatus.PENDING_APPROVAL and offer.level == "supervisor"
    assert offer.approval.kind == "settlement" and offer.approval.payload["amount"] == "2000"
    decide(approval=offer.approval, user=supervisor, approve=False, note="too generous")
    offer.refresh_from_db()
    assert offer.status == OfferStatus.REJECTED
    offer = propose_offer(case=case, user=collector, amount=M("1500"), valid_until=D(2026, 2, 28))  # 49.15%
    assert offer.level == "admin"
    with pytest.raises(PermissionDenied):
        decide(approval=offer.approval, user=supervisor, approve=True)
    decide(approval=offer.approval, user=admin_user, approve=True)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE


def test_one_open_offer_per_case(book, collector):
    _loan, case = book
    propose_offer(case=case, user=collector, amount=M("2700"), valid_until=D(2026, 2, 28))
    with pytest.raises(ValidationError):
        propose_offer(case=case, user=collector, amount=M("2500"), valid_until=D(2026, 2, 28))


@pytest.mark.parametrize("paid_on, settled", [(D(2026, 2, 20), True), (D(2026, 2, 21), False)])
def test_paid_on_the_last_valid_day_closes_the_case_a_day_late_does_not(book, collector, settings, paid_on, settled):
    loan, case = book
    offer = propose_offer(case=case, user=collector, amount=M("2700"), valid_until=D(2026, 2, 20))
    for day in range(16, paid_on.day):
        run_to(D(2026, 2, day), settings)
    pay(loan, "1700", D(2026, 2, 16), "P1") if paid_on.day > 16 else None
    run_to(paid_on, settings)  # the night of the payment's date: it is not known yet
    offer.refresh_from_db()
    assert offer.status == (OfferStatus.ACTIVE if settled else OfferStatus.LAPSED)
    pay(loan, "1000", paid_on, "P2")
    offer.refresh_from_db()
    case.refresh_from_db()
    loan.refresh_from_db()
    if settled:
        assert offer.status == OfferStatus.PAID and offer.ended_on == paid_on and offer.paid_amount == M("2700")
        assert case.status == CaseStatus.CLOSED and case.close_reason == CaseCloseReason.DISCOUNTED
        assert loan.status == LoanStatus.DISCOUNTED and loan.dpd == 0 and loan.overdue_amount == 0
        # what the loan's payoff quote still says after the payments: the waterfall paid the third
        # instalment's interest (50) before its principal, so 950 − 650 of principal is left
        assert offer.forgiven_amount == M("300.00") and offer.forgiven_by_loan == {loan.external_id: "300.00"}
        run_to(D(2026, 3, 20), settings)  # later nights leave the settled loan and the case alone
        loan.refresh_from_db()
        case.refresh_from_db()
        assert loan.status == LoanStatus.DISCOUNTED and case.status == CaseStatus.CLOSED
    else:
        assert offer.status == OfferStatus.LAPSED and offer.ended_on == D(2026, 2, 21)
        assert offer.paid_amount == M("1700")
        # the late money pays the overdue instalments like any payment: the case is cured, not settled,
        # and the rest is still owed
        assert case.close_reason == CaseCloseReason.CURED and loan.status == LoanStatus.OPEN
        assert loan.outstanding_amount == M("300.00")  # 3 × 1,000 scheduled − 2,700 paid
        assert case_payoff_amount(case, paid_on) == case_payoff_amount(case, paid_on, with_offer=False)


def test_a_pending_offer_nobody_decided_lapses_and_its_request_is_withdrawn(book, collector, settings):
    _loan, case = book
    offer = propose_offer(case=case, user=collector, amount=M("1800"), valid_until=D(2026, 2, 17))
    run_to(D(2026, 2, 18), settings)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED
    assert ApprovalRequest.objects.get(pk=offer.approval_id).status == ApprovalStatus.CANCELLED


def test_approved_late_the_money_already_paid_counts(book, collector, supervisor):
    loan, case = book
    offer = propose_offer(case=case, user=collector, amount=M("2200"), valid_until=D(2026, 2, 28))  # 25.42%
    pay(loan, "2200", TODAY, "P1")
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.OPEN  # not accepted yet: nothing settles
    decide(approval=offer.approval, user=supervisor, approve=True)
    offer.refresh_from_db()
    case.refresh_from_db()
    assert offer.status == OfferStatus.PAID and case.close_reason == CaseCloseReason.DISCOUNTED
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.DISCOUNTED


def test_an_offer_on_another_lenders_case_does_not_count_its_payments(book, collector, settings):
    loan, case = book
    other = f.LoanFactory(borrower=loan.borrower)
    f.InstallmentFactory(loan=other, seq=1, due_date=D(2026, 1, 10))
    offer = propose_offer(case=case, user=collector, amount=M("2700"), valid_until=D(2026, 2, 20))
    pay(other, "2700", TODAY, "Q1")
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE and offer.paid_amount == 0
