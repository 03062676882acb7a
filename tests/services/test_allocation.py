import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from collections_app import models as m
from collections_app.services import allocation
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_add_working_days_skips_weekends():
    friday = dt.date(2026, 11, 20)
    assert allocation.add_working_days(friday, 2) == dt.date(2026, 11, 24)  # Tuesday
    assert allocation.add_working_days(dt.date(2026, 11, 23), 2) == dt.date(2026, 11, 25)
    assert allocation.add_working_days(dt.date(2026, 11, 21), 1) == dt.date(2026, 11, 23)  # Saturday -> Monday


def test_assign_cases_sets_team_clock_and_history(collector, supervisor, lender):
    cases = f.CaseFactory.create_batch(3, lender=lender)
    now = dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # inside contact hours
    changed = allocation.assign_cases(
        case_ids=[c.id for c in cases], to_user=collector, by_user=supervisor, reason="start", now=now
    )
    assert changed == 3
    for case in cases:
        case.refresh_from_db()
        assert case.assigned_to == collector
        assert case.team == collector.team
        assert case.assigned_at == now
        assert case.first_contact_due_at == now + dt.timedelta(hours=2)
    history = m.AssignmentHistory.objects.filter(case__in=cases)
    assert history.count() == 3
    assert {(h.from_user_id, h.to_user_id, h.by_user_id, h.reason) for h in history} == {
        (None, collector.id, supervisor.id, "start")
    }


def test_first_contact_clock_counts_only_the_borrowers_contact_hours(collector, lender):
    """Assigned at 03:44 the case is due by 10:00, not 05:44; each borrower's own zone counts."""
    sh, ny = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
    lender.contact_start, lender.contact_end = dt.time(8), dt.time(21)
    lender.lunch_start, lender.lunch_end = dt.time(12), dt.time(13)
    lender.timezone = "Asia/Shanghai"
    lender.save()
    local = f.CaseFactory(lender=lender)
    abroad = f.CaseFactory(lender=lender)
    abroad.borrower.timezone = "America/New_York"
    abroad.borrower.save()
    now = dt.datetime(2026, 3, 4, 3, 44, tzinfo=sh)  # 14:44 the day before in New York
    assert allocation.assign_cases(case_ids=[local.id, abroad.id], to_user=collector, now=now) == 2
    local.refresh_from_db()
    abroad.refresh_from_db()
    assert local.first_contact_due_at == dt.datetime(2026, 3, 4, 10, 0, tzinfo=sh)
    assert abroad.first_contact_due_at == dt.datetime(2026, 3, 3, 16, 44, tzinfo=ny)
    assert local.assigned_at == abroad.assigned_at == now


def test_reassign_records_previous_collector_and_skips_unchanged(collector, other_collector, lender):
    moved = f.CaseFactory(lender=lender, assigned_to=collector)
    stays = f.CaseFactory(lender=lender, assigned_to=other_collector)
    changed = allocation.assign_cases(case_ids=[moved.id, stays.id], to_user=other_collector)
    assert changed == 1
    row = m.AssignmentHistory.objects.get()
    assert (row.case_id, row.from_user_id, row.to_user_id) == (moved.id, collector.id, other_collector.id)


def test_closed_cases_are_not_assigned(collector, lender):
    closed = f.CaseFactory(lender=lender, status=m.CaseStatus.CLOSED, close_reason=m.CaseCloseReason.CURED)
    assert allocation.assign_cases(case_ids=[closed.id], to_user=collector) == 0
    closed.refresh_from_db()
    assert closed.assigned_to is None


def test_assign_to_field_agent_or_inactive_user_is_refused(lender):
    case = f.CaseFactory(lender=lender)
    with pytest.raises(ValidationError):
        allocation.assign_cases(case_ids=[case.id], to_user=f.FieldAgentFactory())
    with pytest.raises(ValidationError):
        allocation.assign_cases(case_ids=[case.id], to_user=f.CollectorFactory(is_active=False))


def test_supervisor_cannot_assign_to_another_teams_collector(supervisor, collector, lender):
    outsider = f.CollectorFactory(team=f.TeamFactory())
    case = f.CaseFactory(lender=lender)
    with pytest.raises(PermissionDenied):
        allocation.assign_cases(case_ids=[case.id], to_user=outsider, by_user=supervisor)


def test_collector_cannot_assign(collector, other_collector, lender):
    case = f.CaseFactory(lender=lender, assigned_to=collector)
    with pytest.raises(PermissionDenied):
        allocation.assign_cases(case_ids=[case.id], to_user=other_collector, by_user=collector)


def test_supervisor_cannot_take_another_teams_cases(supervisor, collector, lender):
    other_team_member = f.CollectorFactory(team=f.TeamFactory())
    theirs = f.CaseFactory(lender=lender, assigned_to=other_team_member, team=other_team_member.team)
    assert allocation.assign_cases(case_ids=[theirs.id], to_user=collector, by_user=supervisor) == 0
    theirs.refresh_from_db()
    assert theirs.assigned_to == other_team_member


def test_unassign(collector, lender):
    case = f.CaseFactory(lender=lender, assigned_to=collector)
    assert allocation.assign_cases(case_ids=[case.id], to_user=None) == 1
    case.refresh_from_db()
    assert case.assigned_to is None
    assert m.AssignmentHistory.objects.get().to_user is None


# --- auto allocation ---------------------------------------------------------------------------


def _collector(team, **kw):
    return f.CollectorFactory(team=team, **kw)


def test_auto_allocate_respects_team_lender_and_buckets():
    acme, beta = f.LenderFactory(code="acme"), f.LenderFactory(code="beta")
    acme_m1 = _collector(f.TeamFactory(lender=acme, buckets="M1, m2"))
    beta_any = _collector(f.TeamFactory(lender=beta))
    acme_case = f.CaseFactory(lender=acme, bucket="M2")
    beta_case = f.CaseFactory(lender=beta, bucket="M3")
    orphan = f.CaseFactory(lender=acme, bucket="M4")  # no team takes acme M4
    assert allocation.auto_allocate() == 2
    for case in (acme_case, beta_case, orphan):
        case.refresh_from_db()
    assert acme_case.assigned_to == acme_m1
    assert beta_case.assigned_to == beta_any
    assert orphan.assigned_to is None
    assert m.AssignmentHistory.objects.count() == 2


def test_auto_allocate_prefers_the_specific_team_then_region():
    lender = f.LenderFactory(code="acme")
    general = _collector(f.TeamFactory())
    specific = _collector(f.TeamFactory(lender=lender, buckets="M1"))
    north = _collector(f.TeamFactory(region="华北"))
    c1 = f.CaseFactory(lender=lender, bucket="M1")
    c2 = f.CaseFactory(lender=lender, bucket="M3", borrower=f.BorrowerFactory(lender=lender, region="华北"))
    c3 = f.CaseFactory(lender=lender, bucket="M3")
    allocation.auto_allocate()
    for c in (c1, c2, c3):
        c.refresh_from_db()
    assert c1.assigned_to == specific
    assert c2.assigned_to == north
    assert c3.assigned_to == general


def test_auto_allocate_balances_workload_and_caps(lender):
    team = f.TeamFactory()
    busy = _collector(team, max_open_cases=10)
    idle = _collector(team, max_open_cases=10)
    small = _collector(team, max_open_cases=1)
    f.CaseFactory.create_batch(4, lender=lender, assigned_to=busy)
    new = f.CaseFactory.create_batch(6, lender=lender)
    assert allocation.auto_allocate() == 6
    counts = {u.id: m.CollectionCase.objects.filter(assigned_to=u).count() for u in (busy, idle, small)}
    # 10 cases in all; small takes 1 (its cap), the others even out at 4/5 or 5/4 within 1 case.
    assert counts[small.id] == 1
    assert counts[busy.id] + counts[idle.id] == 9
    assert abs(counts[busy.id] - counts[idle.id]) <= 1
    assert all(c.assigned_to_id for c in m.CollectionCase.objects.filter(id__in=[c.id for c in new]))


def test_auto_allocate_leaves_cases_when_everyone_is_full(lender):
    _collector(f.TeamFactory(), max_open_cases=1)
    f.CaseFactory.create_batch(3, lender=lender)
    assert allocation.auto_allocate() == 1
    assert m.CollectionCase.objects.filter(assigned_to__isnull=True).count() == 2


def test_auto_allocate_prefers_the_borrowers_language(lender):
    team = f.TeamFactory()
    _collector(team)
    cantonese = _collector(team, languages_spoken="粤语, 普通话")
    borrower = f.BorrowerFactory(lender=lender, preferred_language="粤语")
    case = f.CaseFactory(lender=lender, borrower=borrower)
    allocation.auto_allocate()
    case.refresh_from_db()
    assert case.assigned_to == cantonese


def test_auto_allocate_largest_debts_first_when_capacity_is_short(lender):
    _collector(f.TeamFactory(), max_open_cases=1)
    small = f.CaseFactory(lender=lender, overdue_amount=Decimal("10"))
    big = f.CaseFactory(lender=lender, overdue_amount=Decimal("9000"))
    allocation.auto_allocate()
    small.refresh_from_db()
    big.refresh_from_db()
    assert big.assigned_to_id and not small.assigned_to_id


def test_auto_allocate_ignores_assigned_suspended_and_inactive(lender, collector):
    f.CollectorFactory(team=collector.team, is_active=False)
    taken = f.CaseFactory(lender=lender, assigned_to=collector)
    suspended = f.CaseFactory(lender=lender, status=m.CaseStatus.SUSPENDED)
    assert allocation.auto_allocate() == 0
    suspended.refresh_from_db()
    assert suspended.assigned_to is None
    assert m.AssignmentHistory.objects.filter(case=taken).count() == 0


def test_auto_allocate_query_count_does_not_grow_with_cases(lender, django_assert_max_num_queries):
    team = f.TeamFactory()
    for _ in range(3):
        _collector(team)
    f.CaseFactory.create_batch(30, lender=lender)
    with django_assert_max_num_queries(12):
        assert allocation.auto_allocate() == 30


# --- hand-over ---------------------------------------------------------------------------------


def test_hand_over_moves_every_open_case_in_one_action(supervisor, collector, other_collector, lender):
    open_cases = f.CaseFactory.create_batch(3, lender=lender, assigned_to=collector)
    suspended = f.CaseFactory(lender=lender, assigned_to=collector, status=m.CaseStatus.SUSPENDED)
    closed = f.CaseFactory(
        lender=lender, assigned_to=collector, status=m.CaseStatus.CLOSED, close_reason=m.CaseCloseReason.CURED
    )
    assert allocation.hand_over(from_user=collector, to_user=other_collector, by_user=supervisor) == 4
    assert m.CollectionCase.objects.filter(assigned_to=other_collector).count() == 4
    closed.refresh_from_db()
    assert closed.assigned_to == collector
    rows = m.AssignmentHistory.objects.all()
    assert rows.count() == 4
    assert {r.case_id for r in rows} == {c.id for c in open_cases} | {suspended.id}
    assert all(r.by_user_id == supervisor.id and r.from_user_id == collector.id for r in rows)
    assert "coll1" in rows[0].reason or collector.get_full_name() in rows[0].reason


def test_hand_over_outside_the_team_is_refused(supervisor, collector):
    stranger = f.CollectorFactory(team=f.TeamFactory())
    with pytest.raises(PermissionDenied):
        allocation.hand_over(from_user=collector, to_user=stranger, by_user=supervisor)


def test_field_agent_hand_over_moves_visits(admin_user, lender):
    a, b = f.FieldAgentFactory(), f.FieldAgentFactory()
    case = f.CaseFactory(lender=lender, field_agent=a)
    visit = m.FieldVisit.objects.create(case=case, agent=a, status=m.VisitStatus.APPROVED)
    done = m.FieldVisit.objects.create(case=case, agent=a, status=m.VisitStatus.DONE)
    assert allocation.hand_over(from_user=a, to_user=b, by_user=admin_user) == 1
    visit.refresh_from_db()
    done.refresh_from_db()
    assert visit.agent == b and done.agent == a


# --- field visits ------------------------------------------------------------------------------


def test_hand_to_field_agent_creates_visits_due_in_two_working_days(supervisor, collector, lender):
    agent = f.FieldAgentFactory()
    cases = f.CaseFactory.create_batch(2, lender=lender, assigned_to=collector, team=collector.team)
    friday = dt.date(2026, 11, 20)
    assert allocation.hand_to_field_agent(case_ids=[c.id for c in cases], agent=agent, by_user=supervisor, today=friday) == 2
    visits = m.FieldVisit.objects.filter(case__in=cases)
    assert {v.due_on for v in visits} == {dt.date(2026, 11, 24)}
    assert {v.status for v in visits} == {m.VisitStatus.APPROVED}
    assert all(v.handed_over_on == friday and v.agent == agent for v in visits)
    # Again: the open visits are not duplicated.
    assert allocation.hand_to_field_agent(case_ids=[c.id for c in cases], agent=agent, by_user=supervisor, today=friday) == 0
    assert m.CollectionCase.objects.filter(field_agent=agent).count() == 2


def test_collector_handing_to_field_agent_only_requests(collector, lender):
    agent = f.FieldAgentFactory()
    case = f.CaseFactory(lender=lender, assigned_to=collector)
    allocation.hand_to_field_agent(case_ids=[case.id], agent=agent, by_user=collector, today=dt.date(2026, 11, 23))
    assert m.FieldVisit.objects.get().status == m.VisitStatus.REQUESTED


def test_hand_to_non_field_agent_refused(collector, lender):
    case = f.CaseFactory(lender=lender)
    with pytest.raises(ValidationError):
        allocation.hand_to_field_agent(case_ids=[case.id], agent=collector)


def test_auto_allocate_writes_the_clock_team_and_history_of_every_case(lender, admin_user):
    """Every field an allocation writes, per case (PostgreSQL writes them for all collectors at once,
    other databases collector by collector): collector, team, assigned_at, the first-contact deadline
    in the borrower's own zone, and one history row from nobody, by whoever ran it."""
    sh, ny = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
    lender.contact_start, lender.contact_end, lender.timezone = dt.time(8), dt.time(21), "Asia/Shanghai"
    lender.save()
    first, second = _collector(f.TeamFactory(lender=lender)), _collector(f.TeamFactory(lender=lender))
    cases = [f.CaseFactory(lender=lender, overdue_amount=Decimal(100 - i)) for i in range(4)]
    cases[1].borrower.timezone = "America/New_York"
    cases[1].borrower.save()
    now = dt.datetime(2026, 3, 4, 3, 44, tzinfo=sh)
    assert allocation.auto_allocate(now=now, by_user=admin_user) == 4
    holders = []
    for case in cases:
        case.refresh_from_db()
        holders.append(case.assigned_to)
        assert case.team_id == case.assigned_to.team_id
        assert case.assigned_at == now
        due = dt.datetime(2026, 3, 3, 16, 44, tzinfo=ny) if case is cases[1] else dt.datetime(2026, 3, 4, 10, 0, tzinfo=sh)
        assert case.first_contact_due_at == due
        row = m.AssignmentHistory.objects.get(case=case)
        assert (row.from_user, row.from_team, row.to_user, row.team_id, row.by_user, row.reason) == (
            None, None, case.assigned_to, case.team_id, admin_user, "Automatic allocation")
    assert holders == [first, second, first, second]  # largest debt first, the lighter load next
