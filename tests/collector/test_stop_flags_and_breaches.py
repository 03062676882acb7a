"""Outcomes that stop collection contact (dispute, deceased, cease contact, bankruptcy, lawyer) and
contacts that already happened although the rules refused them (recorded as rule breaches)."""
import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from collections_app import models as m
from collections_app.selectors.queue import QueueFilters, queue_page
from collections_app.services import approvals
from collections_app.services import contacts as svc
from collections_app.services.stop_flags import lift_stop_flag
from tests import factories as f

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(h, mi=0, day=4):
    return dt.datetime(2026, 3, day, h, mi, tzinfo=SH)


@pytest.fixture
def case(lender, collector):
    return f.CaseFactory(lender=lender, assigned_to=collector, bucket="M1")


def call(case, user, now, **kw):
    kw.setdefault("channel", "phone")
    kw.setdefault("outcome", "no_answer")
    return svc.log_contact(case=case, user=user, now=now, **kw)


@pytest.mark.parametrize(
    "outcome, flag",
    [("dispute", "dispute"), ("deceased", "deceased"), ("cease_contact", "cease_contact"),
     ("bankruptcy", "bankruptcy"), ("lawyer", "lawyer_represented")],
)
def test_stop_outcome_sets_flag_suspends_case_and_asks_supervisor(case, collector, outcome, flag):
    log = call(case, collector, at(10), outcome=outcome, note="says the loan was repaid in cash",
               stop_reason="Borrower says the loan was repaid in cash to the branch")
    borrower = m.Borrower.objects.get(pk=case.borrower_id)
    assert getattr(borrower, flag) is True
    assert borrower.history.first().history_change_reason.startswith(f"{flag}: Borrower says")
    case.refresh_from_db()
    assert case.status == m.CaseStatus.SUSPENDED
    review = m.ApprovalRequest.objects.get(case=case, kind=m.ApprovalKind.STOP_FLAG)
    assert review.status == m.ApprovalStatus.PENDING
    assert review.requested_by == collector
    assert review.reason == "Borrower says the loan was repaid in cash to the branch"
    assert review.payload == {"flag": flag, "contact_id": log.pk, "outcome": outcome}
    # further collection contact is refused, with the flag as the rule
    with pytest.raises(svc.ContactRefused) as exc:
        call(case, collector, at(11))
    assert exc.value.rule == "stop_flag"
    assert exc.value.allowed_from is None


def test_stop_outcome_needs_confirmation_when_the_page_asks(case, collector):
    with pytest.raises(ValidationError) as exc:
        call(case, collector, at(10), outcome="deceased", stop_confirmed=False, note="wife says he died")
    assert "confirm_stop" in exc.value.message_dict
    assert not m.ContactLog.objects.exists()
    assert m.Borrower.objects.get(pk=case.borrower_id).deceased is False


def test_reason_defaults_to_the_note(case, collector):
    call(case, collector, at(10), outcome="lawyer", note="Lawyer Wang, 139 0000 0000, handles it now")
    review = m.ApprovalRequest.objects.get(kind=m.ApprovalKind.STOP_FLAG)
    assert review.reason == "Lawyer Wang, 139 0000 0000, handles it now"


def test_suspended_case_leaves_the_open_queue_and_shows_not_callable(case, collector):
    call(case, collector, at(10), outcome="dispute")
    _page, rows = queue_page(collector, now=at(11))
    assert case.pk not in [r.pk for r in rows]
    _page, rows = queue_page(collector, now=at(11), filters=QueueFilters(status="suspended"))
    (row,) = rows
    assert (row.pk, row.verdict.allowed, row.verdict.rule) == (case.pk, False, "stop_flag")


def test_supervisor_lifts_the_flag_recorded_and_the_case_resumes(case, collector, supervisor):
    call(case, collector, at(10), outcome="dispute")
    borrower = m.Borrower.objects.get(pk=case.borrower_id)
    with pytest.raises(PermissionDenied):
        lift_stop_flag(borrower=borrower, flag="dispute", user=collector, reason="resolved")
    with pytest.raises(ValidationError):
        lift_stop_flag(borrower=borrower, flag="dispute", user=supervisor, reason=" ")
    lift_stop_flag(borrower=borrower, flag="dispute", user=supervisor, reason="Lender confirmed the debt")
    borrower.refresh_from_db()
    assert borrower.dispute is False
    last = borrower.history.first()
    assert (last.history_user, last.history_change_reason) == (supervisor, "lifted dispute: Lender confirmed the debt")
    case.refresh_from_db()
    assert case.status == m.CaseStatus.OPEN
    review = m.ApprovalRequest.objects.get(kind=m.ApprovalKind.STOP_FLAG)
    assert (review.status, review.decided_by, review.decision_note) == ("rejected", supervisor, "Lender confirmed the debt")
    call(case, collector, at(11))  # allowed again


def test_rejecting_the_review_lifts_the_flag_approving_keeps_it(case, collector, supervisor, lender):
    call(case, collector, at(10), outcome="bankruptcy")
    review = m.ApprovalRequest.objects.get(kind=m.ApprovalKind.STOP_FLAG)
    approvals.decide(approval=review, user=supervisor, approve=True, note="court file seen")
    assert m.Borrower.objects.get(pk=case.borrower_id).bankruptcy is True

    other = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M2")
    call(other, collector, at(10), outcome="cease_contact")
    review = m.ApprovalRequest.objects.get(kind=m.ApprovalKind.STOP_FLAG, case=other)
    approvals.decide(approval=review, user=supervisor, approve=False, note="the borrower withdrew the request in writing")
    assert m.Borrower.objects.get(pk=other.borrower_id).cease_contact is False
    other.refresh_from_db()
    assert other.status == m.CaseStatus.OPEN


def test_a_flag_left_keeps_the_case_suspended(case, collector, supervisor):
    call(case, collector, at(10), outcome="dispute")
    call(case, collector, at(10, 5), outcome="lawyer", already_happened=True)  # a breach: contact was stopped
    borrower = m.Borrower.objects.get(pk=case.borrower_id)
    assert borrower.stop_flags == ["dispute", "lawyer_represented"]
    lift_stop_flag(borrower=borrower, flag="dispute", user=supervisor, reason="withdrawn")
    case.refresh_from_db()
    assert case.status == m.CaseStatus.SUSPENDED


# --- a refused contact that already happened ------------------------------------------------------

def test_refused_call_is_still_refused_by_default(case, collector):
    with pytest.raises(svc.ContactRefused) as exc:
        call(case, collector, at(3, 45))
    assert exc.value.rule == "contact_hours"
    assert not m.ContactLog.objects.exists()


def test_call_that_already_happened_is_recorded_as_a_breach_for_review(case, collector):
    log = call(case, collector, at(3, 45), outcome="rpc", note="he called back at night", already_happened=True)
    assert (log.breach_rule, log.is_attempt) == ("contact_hours", True)
    assert "08:00 to 21:00" in log.breach_detail
    review = m.ApprovalRequest.objects.get(kind=m.ApprovalKind.RULE_BREACH)
    assert review.case == case and review.requested_by == collector
    assert review.payload["contact_id"] == log.pk and review.payload["rule"] == "contact_hours"
    assert review.reason.startswith("Outside contact hours:")


def test_allowed_call_marked_already_happened_is_no_breach(case, collector):
    log = call(case, collector, at(10), already_happened=True)
    assert log.breach_rule == ""
    assert not m.ApprovalRequest.objects.filter(kind=m.ApprovalKind.RULE_BREACH).exists()


def test_breach_counts_as_an_attempt_for_the_caps(case, collector):
    call(case, collector, at(9))
    call(case, collector, at(10))
    call(case, collector, at(3, 0), already_happened=True)  # before hours: a breach, still an attempt
    with pytest.raises(svc.ContactRefused) as exc:
        call(case, collector, at(11))
    assert exc.value.rule == "daily_cap"


def test_third_party_number_typed_by_hand_is_checked_as_third_party(case, collector):
    # M1: third parties only from M2; a number typed by hand with outcome "third party reached"
    with pytest.raises(svc.ContactRefused) as exc:
        call(case, collector, at(10), outcome="third_party", number_used="13900001111")
    assert exc.value.rule == "third_party_bucket"


def test_api_already_happened(case, collector):
    client = APIClient()
    client.force_authenticate(collector)
    url = f"/api/cases/{case.pk}/contacts/"
    # outside hours (the lender's default zone is Asia/Shanghai); a clock fixed at 03:45
    with mock.patch("django.utils.timezone.now", return_value=at(3, 45)):
        refused = client.post(url, {"channel": "phone", "outcome": "no_answer"}, format="json")
        stored = client.post(url, {"channel": "phone", "outcome": "no_answer", "already_happened": True}, format="json")
    assert refused.status_code == 409
    assert set(refused.json()) == {"rule", "detail", "allowed_from"}
    assert stored.status_code == 201, stored.content
    assert stored.json()["breach_rule"] == "contact_hours"
    assert m.ContactLog.objects.get().breach_rule == "contact_hours"


def test_api_stop_outcome(case, collector):
    client = APIClient()
    client.force_authenticate(collector)
    with mock.patch("django.utils.timezone.now", return_value=at(10)):
        resp = client.post(f"/api/cases/{case.pk}/contacts/",
                           {"channel": "phone", "outcome": "lawyer", "stop_reason": "Lawyer letter received"},
                           format="json")
    assert resp.status_code == 201, resp.content
    assert m.Borrower.objects.get(pk=case.borrower_id).lawyer_represented is True
    assert m.ApprovalRequest.objects.get(kind="stop_flag").reason == "Lawyer letter received"


def test_supervisor_inbox_lists_stop_flags_and_breaches(client, case, collector, supervisor):
    call(case, collector, at(3, 30), already_happened=True)
    call(case, collector, at(10), outcome="lawyer", note="Lawyer Wang represents him")
    client.force_login(supervisor)
    body = client.get("/supervisor/approvals/").content.decode()
    assert 'data-kind="stop_flag"' in body and 'data-kind="rule_breach"' in body
    assert "represented by a lawyer" in body and "Lawyer Wang represents him" in body
    assert "Outside contact hours:" in body
    assert "Lift the flag" in body and "Reviewed: not acceptable" in body
    review = m.ApprovalRequest.objects.get(kind="stop_flag")
    r = client.post("/supervisor/approvals/", {"approval": review.pk, "decision": "reject", "note": "wrong borrower"})
    assert r.status_code in (200, 302)
    assert m.Borrower.objects.get(pk=case.borrower_id).lawyer_represented is False
