import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from collections_app import models as m
from collections_app.selectors.approvals import approvals_visible_to
from collections_app.services import approvals
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(lender, collector):
    return f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team)


def test_request_then_approve_by_supervisor_records_history(case, collector, supervisor):
    req = approvals.request_approval(kind=m.ApprovalKind.AGENCY, case=case, user=collector, reason="small balance, M4", payload={"agency": "X"})
    assert req.status == m.ApprovalStatus.PENDING
    approvals.decide(approval=req, user=supervisor, approve=True, note="ok")
    req.refresh_from_db()
    assert (req.status, req.decided_by, req.decision_note) == (m.ApprovalStatus.APPROVED, supervisor, "ok")
    assert req.decided_at is not None
    assert req.history.count() == 2
    assert req.history.first().history_change_reason == "approved"
    action = m.CaseAction.objects.get(case=case)
    assert (action.kind, action.status, action.approval) == (m.ActionKind.AGENCY, m.ActionStatus.OPEN, req)


def test_requester_cannot_decide_own_request(case, supervisor):
    req = approvals.request_approval(kind=m.ApprovalKind.LITIGATION, case=case, user=supervisor, reason="refuses")
    with pytest.raises(ValidationError):
        approvals.decide(approval=req, user=supervisor, approve=True)
    req.refresh_from_db()
    assert req.status == m.ApprovalStatus.PENDING


def test_database_also_refuses_maker_as_checker(case, supervisor):
    req = approvals.request_approval(kind=m.ApprovalKind.LITIGATION, case=case, user=supervisor, reason="refuses")
    req.decided_by = supervisor
    with pytest.raises(IntegrityError), transaction.atomic():
        req.save()


def test_collector_cannot_decide(case, collector, other_collector):
    req = approvals.request_approval(kind=m.ApprovalKind.AGENCY, case=case, user=collector)
    with pytest.raises(PermissionDenied):
        approvals.decide(approval=req, user=other_collector, approve=True)


def test_other_teams_supervisor_cannot_decide(case, collector):
    stranger = f.SupervisorFactory()
    req = approvals.request_approval(kind=m.ApprovalKind.AGENCY, case=case, user=collector)
    with pytest.raises(PermissionDenied):
        approvals.decide(approval=req, user=stranger, approve=True)


def test_decided_twice_is_refused(case, collector, supervisor, admin_user):
    req = approvals.request_approval(kind=m.ApprovalKind.AGENCY, case=case, user=collector)
    approvals.decide(approval=req, user=supervisor, approve=False, note="not yet")
    with pytest.raises(ValidationError):
        approvals.decide(approval=req, user=admin_user, approve=True)
    req.refresh_from_db()
    assert req.status == m.ApprovalStatus.REJECTED and req.decided_by == supervisor


def test_reject_needs_a_note(case, collector, supervisor):
    req = approvals.request_approval(kind=m.ApprovalKind.AGENCY, case=case, user=collector)
    with pytest.raises(ValidationError):
        approvals.decide(approval=req, user=supervisor, approve=False, note="  ")


def test_one_pending_request_per_case_and_kind(case, collector):
    approvals.request_approval(kind=m.ApprovalKind.WRITE_OFF, case=case, user=collector)
    with pytest.raises(ValidationError):
        approvals.request_approval(kind=m.ApprovalKind.WRITE_OFF, case=case, user=collector)


def test_write_off_keeps_case_open_and_marks_loans(case, collector, admin_user, lender):
    loan = f.LoanFactory(lender=lender, borrower=case.borrower, case=case)
    req = approvals.request_approval(kind=m.ApprovalKind.WRITE_OFF, case=case, user=collector, reason="unreachable 2 years")
    approvals.decide(approval=req, user=admin_user, approve=True)
    case.refresh_from_db()
    loan.refresh_from_db()
    assert case.written_off and case.status == m.CaseStatus.OPEN
    assert loan.status == m.LoanStatus.WRITTEN_OFF
    assert case.history.first().written_off is True


def test_rejected_litigation_changes_nothing(case, collector, supervisor):
    req = approvals.request_approval(kind=m.ApprovalKind.LITIGATION, case=case, user=collector)
    approvals.decide(approval=req, user=supervisor, approve=False, note="balance too small")
    assert not m.CaseAction.objects.filter(case=case).exists()


def test_visit_extension_moves_due_date(case, collector, supervisor):
    visit = m.FieldVisit.objects.create(case=case, status=m.VisitStatus.APPROVED, due_on=dt.date(2026, 11, 24))
    req = approvals.request_approval(
        kind=m.ApprovalKind.VISIT_EXTENSION, case=case, user=collector, reason="borrower away", payload={"visit_id": visit.id, "new_due_on": "2026-11-27"}
    )
    approvals.decide(approval=req, user=supervisor, approve=True)
    visit.refresh_from_db()
    assert visit.due_on == dt.date(2026, 11, 27)
    assert visit.history.count() == 2


def test_visit_extension_needs_a_valid_date(case, collector):
    with pytest.raises(ValidationError):
        approvals.request_approval(kind=m.ApprovalKind.VISIT_EXTENSION, case=case, user=collector, reason="", payload={"visit_id": 1, "new_due_on": "soon"})


def test_field_visit_approval_and_rejection(case, collector, supervisor):
    v1 = m.FieldVisit.objects.create(case=case, status=m.VisitStatus.REQUESTED)
    req = approvals.request_approval(kind=m.ApprovalKind.FIELD_VISIT, case=case, user=collector, reason="", payload={"visit_id": v1.id})
    agent = f.FieldAgentFactory(team=collector.team)
    approvals.decide(approval=req, user=supervisor, approve=True, agent=agent)
    v1.refresh_from_db()
    assert v1.status == m.VisitStatus.APPROVED and v1.due_on is not None and v1.agent == agent
    v2 = m.FieldVisit.objects.create(case=case, status=m.VisitStatus.REQUESTED)
    req2 = approvals.request_approval(kind=m.ApprovalKind.FIELD_VISIT, case=case, user=collector, reason="", payload={"visit_id": v2.id})
    approvals.decide(approval=req2, user=supervisor, approve=False, note="call first")
    v2.refresh_from_db()
    assert v2.status == m.VisitStatus.CANCELLED


def test_actions_waiting_for_approval_follow_the_decision(case, collector, supervisor):
    req = approvals.request_approval(kind=m.ApprovalKind.LETTER, case=case, user=collector)
    action = m.CaseAction.objects.create(
        case=case, rule_code="m3-lawyer", kind=m.ActionKind.LAWYER_LETTER, due_on=dt.date(2026, 11, 23),
        occurrence_key="x", status=m.ActionStatus.AWAITING_APPROVAL, approval=req,
    )
    approvals.decide(approval=req, user=supervisor, approve=True)
    action.refresh_from_db()
    assert action.status == m.ActionStatus.OPEN


def test_approved_litigation_uses_the_waiting_strategy_action(case, collector, supervisor):
    req = approvals.request_approval(kind=m.ApprovalKind.LITIGATION, case=case, user=collector)
    m.CaseAction.objects.create(
        case=case, rule_code="m4-sue", kind=m.ActionKind.LITIGATION, due_on=dt.date(2026, 11, 23),
        occurrence_key="x", status=m.ActionStatus.AWAITING_APPROVAL, approval=req,
    )
    approvals.decide(approval=req, user=supervisor, approve=True)
    assert m.CaseAction.objects.filter(case=case).count() == 1
    assert m.CaseAction.objects.get(case=case).status == m.ActionStatus.OPEN


def test_rejected_promise_extension_cancels_the_promise(case, collector, supervisor):
    promise = f.PromiseFactory(case=case)
    req = approvals.request_approval(kind=m.ApprovalKind.PROMISE_EXTENSION, case=case, user=collector, reason="", payload={"promise_id": promise.id})
    approvals.decide(approval=req, user=supervisor, approve=False, note="too far")
    promise.refresh_from_db()
    assert promise.status == m.PromiseStatus.CANCELLED and promise.approval == req


def test_supervisor_sees_own_teams_requests_only(case, collector, supervisor, admin_user):
    mine = approvals.request_approval(kind=m.ApprovalKind.AGENCY, case=case, user=collector)
    other_case = f.CaseFactory(lender=case.lender)
    theirs = approvals.request_approval(kind=m.ApprovalKind.AGENCY, case=other_case, user=f.CollectorFactory(team=f.TeamFactory()))
    assert list(approvals_visible_to(supervisor)) == [mine]
    assert set(approvals_visible_to(admin_user)) == {mine, theirs}


# --- approving a visit hands it to a field agent ---------------------------------------------------


def test_visit_cannot_be_approved_without_an_agent(case, collector, supervisor):
    visit = m.FieldVisit.objects.create(case=case, status=m.VisitStatus.REQUESTED)
    req = approvals.request_approval(kind=m.ApprovalKind.FIELD_VISIT, case=case, user=collector, reason="", payload={"visit_id": visit.id})
    with pytest.raises(ValidationError) as exc:
        approvals.decide(approval=req, user=supervisor, approve=True)
    assert "field agent" in str(exc.value)
    req.refresh_from_db()
    visit.refresh_from_db()
    assert req.status == m.ApprovalStatus.PENDING and visit.status == m.VisitStatus.REQUESTED


def test_approved_visit_reaches_the_chosen_agents_list(case, collector, supervisor):
    from collections_app.selectors.visits import agent_visits
    from collections_app.services.visits import request_visit

    agent = f.FieldAgentFactory(team=collector.team)
    visit = request_visit(case=case, user=collector)
    req = m.ApprovalRequest.objects.get(kind=m.ApprovalKind.FIELD_VISIT, case=case)
    approvals.decide(approval=req, user=supervisor, approve=True, agent=agent, now=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC))
    visit.refresh_from_db()
    case.refresh_from_db()
    assert (visit.agent, visit.status, visit.handed_over_on, visit.due_on) == (
        agent, m.VisitStatus.APPROVED, dt.date(2026, 11, 20), dt.date(2026, 11, 24)
    )
    assert case.field_agent == agent
    assert list(agent_visits(agent, today=dt.date(2026, 11, 20))) == [visit]


def test_requesters_agent_is_kept_unless_the_supervisor_changes_it(case, collector, supervisor):
    from collections_app.services.visits import request_visit

    chosen, other = f.FieldAgentFactory(team=collector.team), f.FieldAgentFactory(team=collector.team)
    visit = request_visit(case=case, user=collector, agent=chosen)
    req = m.ApprovalRequest.objects.get(kind=m.ApprovalKind.FIELD_VISIT, case=case)
    approvals.decide(approval=req, user=supervisor, approve=True, agent=other)
    visit.refresh_from_db()
    assert visit.agent == other
    case.refresh_from_db()
    assert case.field_agent == other


def test_strategy_visit_proposal_approved_with_an_agent_creates_the_visit(case, collector, supervisor):
    agent = f.FieldAgentFactory(team=collector.team)
    req = m.ApprovalRequest.objects.create(
        kind=m.ApprovalKind.FIELD_VISIT, case=case, reason="Day 4: field visit", payload={"rule": "d4", "occurrence": "1"}
    )
    approvals.decide(approval=req, user=supervisor, approve=True, agent=agent)
    visit = m.FieldVisit.objects.get(case=case)
    assert (visit.agent, visit.status, visit.reason) == (agent, m.VisitStatus.APPROVED, "Day 4: field visit")


def test_supervisor_cannot_send_another_teams_agent(case, collector, supervisor):
    visit = m.FieldVisit.objects.create(case=case, status=m.VisitStatus.REQUESTED)
    req = approvals.request_approval(kind=m.ApprovalKind.FIELD_VISIT, case=case, user=collector, reason="", payload={"visit_id": visit.id})
    stranger = f.FieldAgentFactory(team=f.TeamFactory())
    with pytest.raises(PermissionDenied):
        approvals.decide(approval=req, user=supervisor, approve=True, agent=stranger)
    with pytest.raises(ValidationError):
        approvals.decide(approval=req, user=supervisor, approve=True, agent=collector)
