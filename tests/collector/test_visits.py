"""Field visits: the agent's list, plan, result (cash as a payment), extension requests."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app import models as m
from collections_app.services import visits as svc
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(db):
    return f.FieldAgentFactory(username="agent1")


@pytest.fixture
def visit(lender, collector, agent):
    case = f.CaseFactory(lender=lender, assigned_to=collector, field_agent=agent)
    today = timezone.localdate()
    return m.FieldVisit.objects.create(
        case=case, agent=agent, requested_by=collector, status="approved", handed_over_on=today - dt.timedelta(days=5),
        due_on=today - dt.timedelta(days=1), address="Somewhere 1",
    )


def test_supervisor_request_is_approved_and_due_in_two_working_days(lender, supervisor, agent):
    case = f.CaseFactory(lender=lender)
    thursday = dt.date(2026, 11, 19)
    v = svc.request_visit(case=case, user=supervisor, agent=agent, today=thursday)
    assert (v.status, v.handed_over_on, v.due_on) == ("approved", thursday, dt.date(2026, 11, 23))
    case.refresh_from_db()
    assert case.field_agent == agent
    assert not m.ApprovalRequest.objects.exists()


def test_agent_sees_own_visits_overdue_flagged(client, visit, agent):
    other_agent = f.FieldAgentFactory(username="agent2")
    hidden = m.FieldVisit.objects.create(case=f.CaseFactory(), agent=other_agent, status="approved")
    client.force_login(agent)
    r = client.get("/visits/")
    assert r.status_code == 200
    body = r.content.decode()
    assert f'id="visit-{visit.pk}"' in body and f'id="visit-{hidden.pk}"' not in body
    assert "card visit overdue" in body


def test_collector_cannot_open_visit_list(client, collector):
    client.force_login(collector)
    assert client.get("/visits/").status_code == 403


def test_plan_visit(client, visit, agent):
    client.force_login(agent)
    day = timezone.localdate() + dt.timedelta(days=1)
    client.post(f"/visits/{visit.pk}/plan/", {"planned_for": day.isoformat()})
    visit.refresh_from_db()
    assert (visit.status, visit.planned_for) == ("planned", day)
    client.post(f"/visits/{visit.pk}/plan/", {"planned_for": "2001-01-01"})
    visit.refresh_from_db()
    assert visit.planned_for == day


def test_other_agent_cannot_touch_visit(client, visit):
    client.force_login(f.FieldAgentFactory(username="agent3"))
    assert client.post(f"/visits/{visit.pk}/plan/", {"planned_for": "2030-01-01"}).status_code == 404


def test_result_with_cash_records_field_payment(client, visit, agent):
    loan = f.LoanFactory(lender=visit.case.lender, borrower=visit.case.borrower, case=visit.case)
    f.InstallmentFactory(loan=loan, seq=1, due_date=timezone.localdate() - dt.timedelta(days=40))
    client.force_login(agent)
    r = client.post(
        f"/visits/{visit.pk}/result/",
        {"met_whom": "borrower", "place": "shop", "agreement": "pays rest Friday", "signed_acknowledgement": "on",
         "cash_collected": "300"},
    )
    assert r.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.cash_collected, visit.signed_acknowledgement) == ("done", Decimal("300.00"), True)
    pay = m.Payment.objects.get(loan=loan)
    assert (pay.amount, pay.source, pay.external_id) == (Decimal("300.00"), "field", f"VISIT-{visit.pk}")


def test_result_needs_whom_and_where(client, visit, agent):
    client.force_login(agent)
    client.post(f"/visits/{visit.pk}/result/", {"met_whom": "", "place": "", "cash_collected": "-1"})
    visit.refresh_from_db()
    assert visit.status == "approved"
    assert not m.Payment.objects.exists()


def test_extension_creates_approval_request(client, visit, agent):
    client.force_login(agent)
    new_due = (visit.due_on + dt.timedelta(days=3)).isoformat()
    client.post(f"/visits/{visit.pk}/extension/", {"new_due_on": new_due, "reason": "borrower away"})
    approval = m.ApprovalRequest.objects.get(kind="visit_extension")
    assert approval.payload == {"visit_id": visit.pk, "new_due_on": new_due}
    assert approval.requested_by == agent
    client.post(f"/visits/{visit.pk}/extension/", {"new_due_on": new_due, "reason": ""})
    assert m.ApprovalRequest.objects.count() == 1


def test_visit_card_shows_masked_phone_map_link_and_late_plan_warning(client, visit, agent):
    b = visit.case.borrower
    f.ContactPointFactory(borrower=b, value="13800001111", is_primary=False)
    f.ContactPointFactory(borrower=b, value="13912345678", is_primary=True)
    f.ContactPointFactory(borrower=b, value="13700000000", is_primary=True, status="wrong")
    today = timezone.localdate()
    visit.status, visit.due_on, visit.planned_for = "planned", today + dt.timedelta(days=1), today + dt.timedelta(days=4)
    visit.address = "上海市浦东新区 世纪大道 100 号"
    visit.save()
    client.force_login(agent)
    body = client.get("/visits/").content.decode()
    assert "139****5678" in body and "13912345678" not in body  # masked for a field agent
    assert "https://uri.amap.com/search?keyword=%E4%B8%8A%E6%B5%B7" in body
    assert "after the visit&#x27;s due date" in body or "after the visit's due date" in body
    # the masked phone is not a view of personal data; the address shown is, and is recorded
    assert not m.PersonalDataAccess.objects.exclude(what="address").exists()
    assert m.PersonalDataAccess.objects.filter(what="address", borrower=b, user=agent).count() == 1


def test_visit_card_without_late_plan_has_no_warning(client, visit, agent):
    today = timezone.localdate()
    visit.status, visit.due_on, visit.planned_for = "planned", today + dt.timedelta(days=2), today + dt.timedelta(days=1)
    visit.save()
    client.force_login(agent)
    assert "planned-late" not in client.get("/visits/").content.decode()


def test_admin_sees_full_phone_and_the_view_is_recorded(client, visit, admin_user):
    f.ContactPointFactory(borrower=visit.case.borrower, value="13912345678", is_primary=True)
    client.force_login(admin_user)
    body = client.get("/visits/").content.decode()
    assert 'href="tel:13912345678"' in body
    assert m.PersonalDataAccess.objects.filter(user=admin_user, borrower=visit.case.borrower, what="phone").exists()


def test_planning_after_the_due_date_warns(client, visit, agent):
    visit.due_on = timezone.localdate() + dt.timedelta(days=1)
    visit.save()
    client.force_login(agent)
    late = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(f"/visits/{visit.pk}/plan/", {"planned_for": late}, follow=True)
    assert any("request an extension" in str(msg) for msg in response.context["messages"])


def test_visit_list_query_count_does_not_grow(client, lender, collector, agent, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(agent)
    client.get("/visits/")  # the session's first request stores its last-seen time
    counts = []
    for n in (1, 8):
        while m.FieldVisit.objects.filter(agent=agent).count() < n:
            case = f.CaseFactory(lender=lender, assigned_to=collector, field_agent=agent)
            f.ContactPointFactory(borrower=case.borrower)
            f.LoanFactory(lender=lender, borrower=case.borrower, case=case)
            m.FieldVisit.objects.create(case=case, agent=agent, status="approved", due_on=timezone.localdate())
        with CaptureQueriesContext(connection) as ctx:
            client.get("/visits/")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
