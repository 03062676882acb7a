"""Placing cases with an agency through approval, recalling them, and where placed cases are not."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from collections_app import models as m
from collections_app.selectors.agency import PlacementFilters
from collections_app.selectors.queue import queue_cases
from collections_app.services import agency as svc
from collections_app.services.allocation import auto_allocate, hand_to_field_agent
from collections_app.services.approvals import decide
from tests import factories as f
from tests.agency.conftest import TODAY

pytestmark = pytest.mark.django_db


def case_for(collector, bucket="M2", dpd=70, team=None, lender=None):
    kw = {"lender": lender} if lender else {}
    return f.CaseFactory(assigned_to=collector, team=team or collector.team, bucket=bucket, stage=bucket, dpd=dpd, **kw)


def place(case, agency, requester, checker, **kw):
    approval = svc.request_placement(user=requester, agency=agency, case=case, **kw)
    decide(approval=approval, user=checker, approve=True)
    return m.AgencyPlacement.objects.get(case=case, recalled_on__isnull=True)


def test_one_case_is_placed_only_when_approved_with_the_rate_of_its_bucket(team_setup, agency):
    case = case_for(team_setup["collector"], bucket="M2")
    approval = svc.request_placement(user=team_setup["collector"], agency=agency, case=case, reason="no contact")
    assert approval.kind == m.ApprovalKind.AGENCY and approval.status == m.ApprovalStatus.PENDING
    assert not m.AgencyPlacement.objects.exists()
    decide(approval=approval, user=team_setup["sup"], approve=True)
    p = m.AgencyPlacement.objects.get(case=case)
    assert (p.agency, p.bucket, p.commission_rate, p.placed_on) == (agency, "M2", Decimal("0.1500"), TODAY)
    assert p.recall_on == TODAY + dt.timedelta(days=agency.placement_days)
    assert p.approval == approval and p.placed_by == team_setup["collector"]


def test_a_bucket_without_its_own_rate_takes_the_default(team_setup, agency):
    p = place(case_for(team_setup["collector"], bucket="M3"), agency, team_setup["collector"], team_setup["sup"])
    assert p.commission_rate == agency.default_rate


def test_rejected_request_places_nothing(team_setup, agency):
    case = case_for(team_setup["collector"])
    approval = svc.request_placement(user=team_setup["collector"], agency=agency, case=case)
    decide(approval=approval, user=team_setup["sup"], approve=False, note="keep it")
    assert not m.AgencyPlacement.objects.exists()


def test_bulk_placement_by_filter_is_one_approval_and_places_the_selection(team_setup, agency):
    col = team_setup["collector"]
    lender = f.LenderFactory()
    chosen = [case_for(col, bucket="M2", dpd=d, lender=lender) for d in (65, 75, 85)]
    case_for(col, bucket="M2", dpd=95, lender=lender)  # outside the DPD range
    case_for(col, bucket="M3", dpd=70, lender=lender)  # other bucket
    case_for(col, bucket="M2", dpd=70)  # other lender
    filters = PlacementFilters(bucket="M2", lender_id=lender.id, dpd_min=60, dpd_max=90, team_id=team_setup["team"].id)
    approval = svc.request_placement(user=team_setup["sup"], agency=agency, filters=filters,
                                     recall_on=TODAY + dt.timedelta(days=30))
    assert approval.case is None and sorted(approval.payload["case_ids"]) == sorted(c.id for c in chosen)
    assert m.ApprovalRequest.objects.filter(kind=m.ApprovalKind.AGENCY).count() == 1
    decide(approval=approval, user=team_setup["admin"], approve=True)
    placed = m.AgencyPlacement.objects.filter(approval=approval)
    assert sorted(placed.values_list("case_id", flat=True)) == sorted(c.id for c in chosen)
    assert set(placed.values_list("recall_on", flat=True)) == {TODAY + dt.timedelta(days=30)}


def test_bulk_placement_is_set_based(team_setup, agency, django_assert_max_num_queries):
    col = team_setup["collector"]
    for d in range(61, 91):
        case_for(col, dpd=d)
    approval = svc.request_placement(user=team_setup["sup"], agency=agency, filters=PlacementFilters(bucket="M2"))
    with django_assert_max_num_queries(25):
        decide(approval=approval, user=team_setup["admin"], approve=True)
    assert m.AgencyPlacement.objects.count() == 30


def test_only_supervisors_place_in_bulk_and_agency_users_never(team_setup, agency):
    case_for(team_setup["collector"])
    with pytest.raises(PermissionDenied):
        svc.request_placement(user=team_setup["collector"], agency=agency, filters=PlacementFilters())
    from tests.agency.factories import AgencyUserFactory

    with pytest.raises(PermissionDenied):
        svc.request_placement(user=AgencyUserFactory(agency=agency), agency=agency, filters=PlacementFilters())


def test_agency_outside_its_contract_takes_no_case(team_setup, agency):
    agency.contract_end = TODAY - dt.timedelta(days=1)
    agency.save()
    with pytest.raises(ValidationError):
        svc.request_placement(user=team_setup["collector"], agency=agency, case=case_for(team_setup["collector"]))


def test_a_placed_case_cannot_be_placed_again(team_setup, agency):
    case = case_for(team_setup["collector"])
    place(case, agency, team_setup["collector"], team_setup["sup"])
    with pytest.raises(ValidationError):
        svc.request_placement(user=team_setup["collector"], agency=agency, case=case)


def test_placed_cases_leave_the_queue_allocation_and_visits(team_setup, agency):
    col = team_setup["collector"]
    placed, kept = case_for(col), case_for(col)
    visit = m.FieldVisit.objects.create(case=placed, status=m.VisitStatus.APPROVED)
    place(placed, agency, col, team_setup["sup"])
    assert list(queue_cases(col).values_list("id", flat=True)) == [kept.id]
    visit.refresh_from_db()
    assert visit.status == m.VisitStatus.CANCELLED
    agent = f.FieldAgentFactory()
    assert hand_to_field_agent(case_ids=[placed.id], agent=agent) == 0
    pool = case_for(col)
    m.CollectionCase.objects.filter(pk__in=[placed.pk, pool.pk]).update(assigned_to=None)
    place(pool, agency, team_setup["sup"], team_setup["admin"])
    auto_allocate()
    assert m.CollectionCase.objects.get(pk=pool.pk).assigned_to is None


def test_recall_by_hand_returns_the_case_to_the_queue(team_setup, agency):
    col = team_setup["collector"]
    case = case_for(col)
    p = place(case, agency, col, team_setup["sup"])
    with pytest.raises(PermissionDenied):
        svc.recall_placement(placement=p, user=col)
    svc.recall_placement(placement=p, user=team_setup["sup"])
    p.refresh_from_db()
    assert (p.recalled_on, p.recall_reason, p.recalled_by) == (TODAY, m.RecallReason.BY_HAND, team_setup["sup"])
    assert case.id in set(queue_cases(col).values_list("id", flat=True))
    with pytest.raises(ValidationError):
        svc.recall_placement(placement=p, user=team_setup["sup"])
    assert p.history.count() == 2


def test_recall_by_date_is_the_daily_task_and_safe_twice(team_setup, agency, settings):
    from collections_app.tasks import recall_due_placements

    col = team_setup["collector"]
    due_case, later_case, closed_case = case_for(col), case_for(col), case_for(col)
    due = place(due_case, agency, col, team_setup["sup"], recall_on=TODAY + dt.timedelta(days=10))
    later = place(later_case, agency, col, team_setup["sup"], recall_on=TODAY + dt.timedelta(days=40))
    closed = place(closed_case, agency, col, team_setup["sup"])
    m.CollectionCase.objects.filter(pk=closed_case.pk).update(status=m.CaseStatus.CLOSED,
                                                              close_reason=m.CaseCloseReason.CURED)
    settings.BUSINESS_DATE = (TODAY + dt.timedelta(days=12)).isoformat()
    recall_due_placements.delay()
    for p in (due, later, closed):
        p.refresh_from_db()
    assert (due.recalled_on, due.recall_reason) == (TODAY + dt.timedelta(days=10), m.RecallReason.RECALL_DATE)
    assert later.recalled_on is None
    assert (closed.recalled_on, closed.recall_reason) == (TODAY + dt.timedelta(days=12), m.RecallReason.CASE_CLOSED)
    before = m.AgencyPlacement.history.count()
    assert svc.recall_due() == {"attributed": 0, "recalled": 0}
    assert m.AgencyPlacement.history.count() == before


def test_database_refuses_two_active_placements_and_bad_rates(team_setup, agency):
    from django.db import IntegrityError, transaction

    case = case_for(team_setup["collector"])
    place(case, agency, team_setup["collector"], team_setup["sup"])
    with pytest.raises(IntegrityError), transaction.atomic():
        m.AgencyPlacement.objects.create(case=case, agency=agency, bucket="M2", commission_rate="0.1",
                                         placed_on=TODAY, recall_on=TODAY + dt.timedelta(days=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        agency.rates.create(bucket="M9", rate="1.5")



def test_no_field_visit_on_a_placed_case(team_setup, agency):
    from collections_app.services.visits import request_visit

    case = case_for(team_setup["collector"])
    place(case, agency, team_setup["collector"], team_setup["sup"])
    with pytest.raises(ValidationError):
        request_visit(case=case, user=team_setup["collector"])
