"""A dispute stops collection contact until it is answered; upheld corrects the debt (an adjustment
the engine applies) or closes the case; rejected resumes collection and writes to the borrower."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from collections_app import models as m
from collections_app.domain.delinquency import PaymentRecord, ScheduledInstallment, evaluate
from collections_app.selectors.case_page import timeline
from collections_app.selectors.queue import queue_page
from collections_app.services import contacts
from collections_app.services.disputes import open_dispute, resolve_dispute
from collections_app.services.stop_flags import lift_stop_flag
from tests import factories as f

from .conftest import TODAY, at

pytestmark = pytest.mark.django_db
NOW = at(TODAY)


def call(case, user, now=NOW, **kw):
    kw.setdefault("channel", "phone")
    kw.setdefault("outcome", "no_answer")
    return contacts.log_contact(case=case, user=user, now=now, **kw)


def test_a_dispute_refuses_contact_until_it_is_rejected(case, collector, supervisor):
    call(case, collector)  # allowed before
    dispute = open_dispute(case=case, user=collector, reason="Paid in cash at the branch", now=NOW)
    assert dispute.status == m.DisputeStatus.OPEN
    assert dispute.respond_by == TODAY + dt.timedelta(days=30)
    case.refresh_from_db()
    assert case.status == m.CaseStatus.SUSPENDED
    for channel in ("phone", "sms", "letter", "visit"):
        with pytest.raises(contacts.ContactRefused) as refused:
            call(case, collector, now=at(TODAY, 11), channel=channel)
        assert refused.value.rule == "dispute" and refused.value.allowed_from is None
    assert not contacts.contact_verdict(case, now=at(TODAY, 11)).allowed
    _page, rows = queue_page(collector, now=at(TODAY, 11))
    assert case.pk not in [r.pk for r in rows]

    resolve_dispute(dispute=dispute, user=supervisor, outcome="rejected", note="The receipt is for another loan.",
                    now=at(TODAY, 12))
    dispute.refresh_from_db()
    assert dispute.status == m.DisputeStatus.REJECTED and dispute.resolved_by == supervisor
    case.refresh_from_db()
    assert case.status == m.CaseStatus.OPEN
    letter = m.ContactLog.objects.get(case=case, channel=m.Channel.LETTER)
    assert letter.outcome == m.Outcome.SENT and "another loan" in letter.note and letter.user == supervisor
    assert case.limitation_date == dt.date(2029, 3, 4)  # the letter is a demand
    call(case, collector, now=at(TODAY, 13))  # allowed again
    labels = [item.label for item in timeline(case)]
    assert "Dispute rejected" in labels and "Dispute opened: Paid in cash at the branch" in labels


def _pure_overdue(case, as_of, extra=()):
    loan = case.loans.get()
    schedule = [ScheduledInstallment(i.seq, i.due_date, i.principal_due, i.interest_due, i.fee_due)
                for i in loan.installments.all()]
    payments = [PaymentRecord(p.id, p.paid_on, p.amount) for p in loan.payments.all()]
    return evaluate(schedule, payments + list(extra), as_of)


def test_upheld_with_an_adjustment_corrects_the_debt_as_the_engine_says(case, collector, supervisor):
    dispute = open_dispute(case=case, user=collector, reason="Late fee charged twice", now=NOW)
    before = _pure_overdue(case, TODAY).overdue_amount
    resolve_dispute(dispute=dispute, user=supervisor, outcome="upheld", note="Refund the second fee",
                    adjustment="300.00", now=NOW)
    adjustment = m.Payment.objects.get(loan__case=case)
    assert adjustment.source == m.Payment.Source.ADJUSTMENT and adjustment.amount == Decimal("300.00")
    assert adjustment.external_id == f"dispute-{dispute.pk}"
    loan = case.loans.get()
    expected = _pure_overdue(case, TODAY)
    assert expected.overdue_amount == before - Decimal("300.00")
    assert (loan.overdue_amount, loan.dpd) == (expected.overdue_amount, expected.dpd)
    case.refresh_from_db()
    assert case.overdue_amount == expected.overdue_amount and case.status == m.CaseStatus.OPEN
    dispute.refresh_from_db()
    assert dispute.adjustment == Decimal("300.00") and not dispute.closed_case
    call(case, collector, now=at(TODAY, 13))


def test_an_adjustment_is_not_money_collected(case, collector, supervisor, team):
    from rest_framework.test import APIClient

    dispute = open_dispute(case=case, user=collector, reason="Wrong fee", now=NOW)
    resolve_dispute(dispute=dispute, user=supervisor, outcome="upheld", note="ok", adjustment="300.00", now=NOW)
    assert m.Payment.objects.filter(loan__case=case, source=m.Payment.Source.ADJUSTMENT).exists()
    client = APIClient()
    client.force_authenticate(supervisor)
    day = m.Payment.objects.get(loan__case=case).paid_on
    body = client.get(f"/api/kpis/?from={day - dt.timedelta(days=30)}&to={day}").json()
    assert Decimal(str(body["collected"])) == Decimal("0")


def test_upheld_closing_the_case(case, collector, supervisor):
    action = m.CaseAction.objects.create(case=case, rule_code="x", kind=m.ActionKind.CALL, due_on=TODAY,
                                         occurrence_key="k")
    dispute = open_dispute(case=case, user=collector, reason="Identity theft", now=NOW)
    resolve_dispute(dispute=dispute, user=supervisor, outcome="upheld", note="Police report checks out",
                    close_case=True, now=NOW)
    case.refresh_from_db()
    assert case.status == m.CaseStatus.CLOSED and case.close_reason == m.CaseCloseReason.DISPUTE_UPHELD
    action.refresh_from_db()
    assert action.status == m.ActionStatus.SUPERSEDED and action.done_how == "system: the case closed"
    assert not m.Payment.objects.filter(loan__case=case).exists()


@pytest.mark.parametrize("kw, field", [
    ({"outcome": "upheld", "note": "x"}, "adjustment"),  # neither an amount nor closing
    ({"outcome": "upheld", "note": "x", "adjustment": "10", "close_case": True}, "adjustment"),  # both
    ({"outcome": "rejected", "note": "x", "adjustment": "10"}, "outcome"),
    ({"outcome": "rejected", "note": " "}, "note"),
    ({"outcome": "maybe", "note": "x"}, "outcome"),
    ({"outcome": "upheld", "note": "x", "adjustment": "-5"}, "adjustment"),
    ({"outcome": "upheld", "note": "x", "adjustment": "99999"}, "adjustment"),  # more than the payoff
])
def test_bad_answers_are_refused_and_change_nothing(case, collector, supervisor, kw, field):
    dispute = open_dispute(case=case, user=collector, reason="r", now=NOW)
    with pytest.raises(ValidationError) as exc:
        resolve_dispute(dispute=dispute, user=supervisor, now=NOW, **kw)
    assert field in exc.value.message_dict
    dispute.refresh_from_db()
    assert dispute.status == m.DisputeStatus.OPEN
    assert not m.Payment.objects.exists()


def test_only_a_supervisor_of_the_team_or_an_admin_answers(case, collector, admin_user):
    dispute = open_dispute(case=case, user=collector, reason="r", now=NOW)
    with pytest.raises(PermissionDenied):
        resolve_dispute(dispute=dispute, user=collector, outcome="rejected", note="no", now=NOW)
    outsider = f.SupervisorFactory(username="super-other")
    f.TeamFactory(supervisor=outsider)
    with pytest.raises(PermissionDenied):
        resolve_dispute(dispute=dispute, user=outsider, outcome="rejected", note="no", now=NOW)
    resolve_dispute(dispute=dispute, user=admin_user, outcome="rejected", note="no", now=NOW)
    with pytest.raises(ValidationError):  # answered once
        resolve_dispute(dispute=dispute, user=admin_user, outcome="rejected", note="again", now=NOW)


def test_one_open_dispute_per_case_and_the_database_says_so(case, collector):
    open_dispute(case=case, user=collector, reason="first", now=NOW)
    with pytest.raises(ValidationError):
        open_dispute(case=case, user=collector, reason="second", now=NOW)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        m.Dispute.objects.create(case=case, reason="raw", opened_at=NOW, respond_by=TODAY)


def test_the_answer_is_due_per_lender(case, collector):
    m.Lender.objects.filter(pk=case.lender_id).update(dispute_response_days=15)
    case.lender.refresh_from_db()
    dispute = open_dispute(case=case, user=collector, reason="r", now=NOW)
    assert dispute.respond_by == TODAY + dt.timedelta(days=15)


def test_a_closed_case_takes_no_dispute(case, collector):
    m.CollectionCase.objects.filter(pk=case.pk).update(status=m.CaseStatus.CLOSED, close_reason="cured")
    case.refresh_from_db()
    with pytest.raises(ValidationError):
        open_dispute(case=case, user=collector, reason="r", now=NOW)


def test_lifting_a_stop_flag_does_not_resume_a_disputed_case(case, collector, supervisor):
    call(case, collector, outcome="deceased", note="wife says he died")
    dispute = open_dispute(case=case, user=collector, reason="the estate disputes it", now=NOW)
    lift_stop_flag(borrower=case.borrower, flag="deceased", user=supervisor, reason="he is alive")
    case.refresh_from_db()
    assert case.status == m.CaseStatus.SUSPENDED
    with pytest.raises(contacts.ContactRefused) as refused:
        call(case, collector, now=at(TODAY, 11))
    assert refused.value.rule == "dispute"
    resolve_dispute(dispute=dispute, user=supervisor, outcome="rejected", note="no", now=NOW)
    case.refresh_from_db()
    assert case.status == m.CaseStatus.OPEN


def test_a_stop_flag_still_holds_the_case_after_the_dispute_is_answered(case, collector, supervisor):
    dispute = open_dispute(case=case, user=collector, reason="r", now=NOW)
    m.Borrower.objects.filter(pk=case.borrower_id).update(bankruptcy=True)
    resolve_dispute(dispute=dispute, user=supervisor, outcome="rejected", note="no", now=NOW)
    case.refresh_from_db()
    assert case.status == m.CaseStatus.SUSPENDED
    with pytest.raises(contacts.ContactRefused) as refused:
        call(case, collector, now=at(TODAY, 11))
    assert refused.value.rule == "stop_flag"
