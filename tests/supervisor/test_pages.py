"""The supervisor's pages: who may open them, what they show and what their forms do."""
import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db
PAGES = ["supervisor_dashboard", "supervisor_allocation", "supervisor_approvals"]


@pytest.mark.parametrize("name", PAGES)
def test_collector_and_field_agent_get_403(client, collector, name):
    for user in (collector, f.FieldAgentFactory()):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_goes_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", PAGES)
def test_supervisor_and_admin_get_the_page(client, supervisor, admin_user, name):
    for user in (supervisor, admin_user):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 200


def test_dashboard_shows_figures_and_chart_data(client, supervisor, collector, lender, team):
    today = dt.date.today()
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team, bucket="M2", overdue_amount=D("1234.50"))
    loan = f.LoanFactory(lender=lender, borrower=case.borrower, case=case)
    f.InstallmentFactory(loan=loan, seq=1, due_date=today - dt.timedelta(days=70), principal_due=D("1534.50"),
                         interest_due=D("0"))
    f.PaymentFactory(loan=loan, paid_on=today, amount=D("300.00"))
    m.BucketHistory.objects.create(loan=loan, lender=lender, on_date=today - dt.timedelta(days=8), from_bucket="M1",
                                   to_bucket="M2", dpd=61)
    client.force_login(supervisor)
    response = client.get(reverse("supervisor_dashboard"), {"team": team.id})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="aging-data"' in body and '"M2"' in body
    assert "300.00" in body and "1,234.50" in body
    assert "coll1" in body  # league table


def test_dashboard_bad_dates_and_foreign_team_do_not_break_it(client, supervisor):
    other = f.TeamFactory()
    client.force_login(supervisor)
    response = client.get(reverse("supervisor_dashboard"), {"from": "yesterday", "to": "2026-13-40", "team": other.id,
                                                              "lender": "x"})
    assert response.status_code == 200
    texts = [str(msg) for msg in response.context["messages"]]
    assert len(texts) == 3


@pytest.mark.parametrize("table", ["summary", "aging", "roll", "sla", "league"])
def test_dashboard_csv_exports(client, admin_user, collector, lender, team, table):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team, bucket="M1", overdue_amount=D("10.00"))
    loan = f.LoanFactory(lender=lender, borrower=case.borrower, case=case)
    f.InstallmentFactory(loan=loan, seq=1, due_date=dt.date.today() - dt.timedelta(days=40), principal_due=D("10.00"),
                         interest_due=D("0"))
    m.BucketHistory.objects.create(loan=loan, lender=lender, on_date=dt.date.today() - dt.timedelta(days=9),
                                   from_bucket="M0", to_bucket="M1", dpd=31)
    client.force_login(admin_user)
    response = client.get(reverse("supervisor_dashboard"), {"export": "csv", "table": table})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) >= (2 if table in ("summary", "aging", "league") else 1)
    if table == "aging":
        assert rows[1][:4] == ["M1", "1", "1", "10.00"]


def test_dashboard_unknown_export_table_falls_back_to_page(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("supervisor_dashboard"), {"export": "csv", "table": "nope"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_dashboard_query_count_is_bounded(client, supervisor, team, lender, django_assert_max_num_queries):
    for i in range(5):
        c = f.CollectorFactory(username=f"c{i}", team=team)
        case = f.CaseFactory(lender=lender, assigned_to=c, team=team)
        f.ContactLogFactory(case=case, user=c)
    client.force_login(supervisor)
    with django_assert_max_num_queries(41):  # 40 + the league's quality scores (docs/quality.md)
        assert client.get(reverse("supervisor_dashboard")).status_code == 200


# --- allocation --------------------------------------------------------------------------------


def test_allocation_lists_only_the_supervisors_cases_and_the_pool(client, supervisor, collector, lender):
    mine = f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team)
    pool = f.CaseFactory(lender=lender)
    stranger = f.CollectorFactory(team=f.TeamFactory())
    theirs = f.CaseFactory(lender=lender, assigned_to=stranger, team=stranger.team)
    client.force_login(supervisor)
    ids = {c.id for c in client.get(reverse("supervisor_allocation")).context["page"]}
    assert ids == {mine.id, pool.id}
    assert theirs.id not in ids
    unassigned = client.get(reverse("supervisor_allocation"), {"collector": "none"}).context["page"]
    assert [c.id for c in unassigned] == [pool.id]


def test_bulk_assign_from_the_page(client, supervisor, collector, lender):
    cases = f.CaseFactory.create_batch(3, lender=lender)
    client.force_login(supervisor)
    response = client.post(reverse("supervisor_allocation"),
                           {"action": "assign", "to_user": collector.id, "cases": [c.id for c in cases[:2]]})
    assert response.status_code == 302
    assert m.CollectionCase.objects.filter(assigned_to=collector).count() == 2
    assert m.AssignmentHistory.objects.filter(by_user=supervisor).count() == 2


def test_assign_to_someone_outside_the_team_is_refused_with_a_message(client, supervisor, lender):
    stranger = f.CollectorFactory(team=f.TeamFactory())
    case = f.CaseFactory(lender=lender)
    client.force_login(supervisor)
    response = client.post(reverse("supervisor_allocation"),
                           {"action": "assign", "to_user": stranger.id, "cases": [case.id]}, follow=True)
    assert response.status_code == 200
    assert any("choose" in str(msg).lower() or "选择" in str(msg) for msg in response.context["messages"])
    case.refresh_from_db()
    assert case.assigned_to is None


def test_garbage_post_is_a_message_not_a_500(client, supervisor):
    client.force_login(supervisor)
    for data in ({"action": "assign", "to_user": "x", "cases": ["a"]}, {"action": "nope"},
                 {"action": "handover", "from_user": "1;drop", "to_user": ""}, {"action": "field", "agent": "?"}):
        response = client.post(reverse("supervisor_allocation"), data, follow=True)
        assert response.status_code == 200
        assert list(response.context["messages"])


def test_auto_allocate_button(client, supervisor, collector, lender):
    f.CaseFactory.create_batch(2, lender=lender)
    client.force_login(supervisor)
    client.post(reverse("supervisor_allocation"), {"action": "auto"})
    assert m.CollectionCase.objects.filter(assigned_to=collector).count() == 2


def test_hand_over_form(client, supervisor, collector, other_collector, lender):
    f.CaseFactory.create_batch(2, lender=lender, assigned_to=collector, team=collector.team)
    client.force_login(supervisor)
    client.post(reverse("supervisor_allocation"),
                {"action": "handover", "from_user": collector.id, "to_user": other_collector.id})
    assert m.CollectionCase.objects.filter(assigned_to=other_collector).count() == 2


def test_hand_to_field_agent_form(client, supervisor, collector, lender, team):
    agent = f.FieldAgentFactory(team=team)
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team)
    client.force_login(supervisor)
    client.post(reverse("supervisor_allocation"), {"action": "field", "agent": agent.id, "cases": [case.id]})
    assert m.FieldVisit.objects.get(case=case).agent == agent


def test_allocation_page_query_count_does_not_grow(client, admin_user, lender, django_assert_max_num_queries):
    team = f.TeamFactory()
    for i in range(10):
        c = f.CollectorFactory(username=f"ac{i}", team=team)
        f.CaseFactory(lender=lender, assigned_to=c, team=team, field_agent=f.FieldAgentFactory(username=f"fa{i}"))
    client.force_login(admin_user)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("supervisor_allocation")).status_code == 200


# --- approvals ---------------------------------------------------------------------------------


@pytest.fixture
def request_on_case(collector, lender):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team)
    return m.ApprovalRequest.objects.create(kind=m.ApprovalKind.AGENCY, case=case, requested_by=collector,
                                            reason="small balance")


def test_approvals_page_lists_and_approves(client, supervisor, request_on_case):
    client.force_login(supervisor)
    page = client.get(reverse("supervisor_approvals"))
    assert request_on_case in page.context["pending"]
    assert "small balance" in page.content.decode()
    client.post(reverse("supervisor_approvals"), {"approval": request_on_case.id, "decision": "approve", "note": "ok"})
    request_on_case.refresh_from_db()
    assert (request_on_case.status, request_on_case.decided_by) == (m.ApprovalStatus.APPROVED, supervisor)


def test_reject_without_note_is_refused(client, supervisor, request_on_case):
    client.force_login(supervisor)
    response = client.post(reverse("supervisor_approvals"),
                           {"approval": request_on_case.id, "decision": "reject"}, follow=True)
    assert list(response.context["messages"])
    request_on_case.refresh_from_db()
    assert request_on_case.status == m.ApprovalStatus.PENDING


def test_own_request_cannot_be_approved_from_the_page(client, supervisor, lender, collector):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team)
    own = m.ApprovalRequest.objects.create(kind=m.ApprovalKind.WRITE_OFF, case=case, requested_by=supervisor)
    client.force_login(supervisor)
    assert "another supervisor decides" in client.get(reverse("supervisor_approvals")).content.decode()
    client.post(reverse("supervisor_approvals"), {"approval": own.id, "decision": "approve"})
    own.refresh_from_db()
    assert own.status == m.ApprovalStatus.PENDING


def test_other_teams_request_is_invisible(client, supervisor, lender):
    stranger = f.CollectorFactory(team=f.TeamFactory())
    case = f.CaseFactory(lender=lender, assigned_to=stranger, team=stranger.team)
    theirs = m.ApprovalRequest.objects.create(kind=m.ApprovalKind.AGENCY, case=case, requested_by=stranger)
    client.force_login(supervisor)
    assert theirs not in client.get(reverse("supervisor_approvals")).context["pending"]
    client.post(reverse("supervisor_approvals"), {"approval": theirs.id, "decision": "approve"})
    theirs.refresh_from_db()
    assert theirs.status == m.ApprovalStatus.PENDING


def _visit_request(collector, lender, region="Pudong"):
    from collections_app.services.visits import request_visit

    case = f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team)
    case.borrower.region = region
    case.borrower.save()
    visit = request_visit(case=case, user=collector)
    return case, visit, m.ApprovalRequest.objects.get(case=case, kind=m.ApprovalKind.FIELD_VISIT)


def test_visit_approval_offers_agents_by_region_then_workload(client, supervisor, collector, lender, team):
    busy_local = f.FieldAgentFactory(username="busy", team=team, region="pudong", first_name="Busy")
    idle_far = f.FieldAgentFactory(username="idle", team=team, region="Minhang")
    light_local = f.FieldAgentFactory(username="light", team=team, region="Pudong")
    f.FieldAgentFactory(username="outsider", team=f.TeamFactory(), region="Pudong")
    for _ in range(2):
        m.FieldVisit.objects.create(case=f.CaseFactory(lender=lender), agent=busy_local, status="approved")
    m.FieldVisit.objects.create(case=f.CaseFactory(lender=lender), agent=light_local, status="planned")
    case, visit, req = _visit_request(collector, lender)
    client.force_login(supervisor)
    page = client.get(reverse("supervisor_approvals"))
    row = next(a for a in page.context["pending"] if a.id == req.id)
    assert [c.agent.username for c in row.agent_choices] == ["light", "busy", "idle"]
    assert row.agent_choice_id == light_local.id
    html = page.content.decode()
    assert f'<option value="{light_local.id}" selected>' in html
    assert "1 open visit · suggested" in html and "outsider" not in html

    client.post(reverse("supervisor_approvals"), {"approval": req.id, "decision": "approve", "agent": idle_far.id})
    visit.refresh_from_db()
    case.refresh_from_db()
    assert (visit.status, visit.agent, case.field_agent) == (m.VisitStatus.APPROVED, idle_far, idle_far)


def test_visit_approval_without_any_agent_is_refused_with_a_message(client, supervisor, collector, lender):
    case, visit, req = _visit_request(collector, lender)
    client.force_login(supervisor)
    response = client.post(reverse("supervisor_approvals"), {"approval": req.id, "decision": "approve"}, follow=True)
    assert any("field agent" in str(msg) for msg in response.context["messages"])
    req.refresh_from_db()
    assert req.status == m.ApprovalStatus.PENDING


def test_approvals_page_query_count_is_fixed(client, supervisor, collector, lender, team, django_assert_max_num_queries):
    for i in range(3):
        f.FieldAgentFactory(team=team, region=f"R{i}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(supervisor)
    client.get(reverse("supervisor_approvals"))  # the session's first request stores its last-seen time
    counts = []
    for n in (1, 6):
        while m.ApprovalRequest.objects.filter(kind=m.ApprovalKind.FIELD_VISIT).count() < n:
            _visit_request(collector, lender)
        with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as ctx:
            client.get(reverse("supervisor_approvals"))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_top_menu_has_approvals_for_supervisors_only(client, supervisor, collector):
    client.force_login(supervisor)
    assert '<a href="/supervisor/approvals/">Approvals</a>' in client.get(reverse("supervisor_dashboard")).content.decode()
    client.force_login(collector)
    assert 'href="/supervisor/approvals/"' not in client.get("/queue/").content.decode()


def test_approvals_show_the_promise_amount(client, supervisor, collector, lender):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team, overdue_amount=D("8855.66"))
    extension = m.ApprovalRequest.objects.create(kind=m.ApprovalKind.PROMISE_EXTENSION, case=case, requested_by=collector)
    f.PromiseFactory(case=case, amount=D("4321.5"), promised_date=dt.date.today() + dt.timedelta(days=30),
                     approval=extension)
    settlement = m.ApprovalRequest.objects.create(
        kind=m.ApprovalKind.SETTLEMENT, case=f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team),
        requested_by=collector, payload={"amount": "5000"},
    )
    client.force_login(supervisor)
    page = client.get(reverse("supervisor_approvals"))
    rows = {a.kind: a for a in page.context["pending"]}
    assert rows["promise_extension"].amount == D("4321.50")
    assert rows[settlement.kind].amount == D("5000.00")
    html = page.content.decode()
    assert "4,321.50" in html and "of 8,855.66 overdue" in html and "5,000.00" in html


def test_allocation_shows_names_and_load_in_one_query(client, supervisor, lender, team, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    zhang = f.CollectorFactory(username="zhang", first_name="敏", last_name="张", team=team)
    f.CaseFactory.create_batch(3, lender=lender, assigned_to=zhang, team=team)
    f.CaseFactory(lender=lender, assigned_to=zhang, team=team, status=m.CaseStatus.CLOSED, close_reason=m.CaseCloseReason.CURED)
    agent = f.FieldAgentFactory(username="wang", first_name="强", last_name="王", team=team, region="Pudong")
    m.FieldVisit.objects.create(case=f.CaseFactory(lender=lender), agent=agent, status="approved")
    client.force_login(supervisor)
    client.get(reverse("supervisor_allocation"))  # the session's first request stores its last-seen time
    counts = []
    for extra in (0, 5):
        for _ in range(extra):
            f.CollectorFactory(team=team)
        with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("supervisor_allocation"))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    loads = {u.username: u.open_cases for u in page.context["collectors"]}
    assert loads["zhang"] == 3
    html = page.content.decode()
    assert "张敏 (zhang) · 3 open cases" in html or "敏 张 (zhang) · 3 open cases" in html
    assert "(wang) · 1 open visit · Pudong" in html
