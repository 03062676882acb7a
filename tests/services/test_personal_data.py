"""Views of national ids, phone numbers and addresses are recorded (PersonalDataAccess): admin list
pages (one insert per page), searches and change pages; full numbers in the contacts API; address
views on the case page, the visits page and the borrowers API."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db


def accesses(**filters):
    return list(m.PersonalDataAccess.objects.filter(**filters).order_by("borrower_id", "id"))


def inserts_into_access_log(queries) -> int:
    table = m.PersonalDataAccess._meta.db_table
    return sum(1 for q in queries if q["sql"].upper().startswith("INSERT") and table in q["sql"])


@pytest.fixture
def borrowers(lender):
    out = []
    for _ in range(3):
        b = f.BorrowerFactory(lender=lender)
        f.ContactPointFactory(borrower=b)
        out.append(b)
    return out


# --- admin -------------------------------------------------------------------------------------


def test_admin_borrower_list_records_each_borrower_shown_in_one_insert(client, admin_user, borrowers):
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/admin/collections_app/borrower/").status_code == 200
    assert inserts_into_access_log(ctx.captured_queries) == 1
    rows = accesses(user=admin_user)
    assert [r.borrower_id for r in rows] == sorted(b.id for b in borrowers)
    assert {r.what for r in rows} == {"national_id,phones,address"}
    assert {r.where for r in rows} == {"/admin/collections_app/borrower/"}


def test_admin_search_by_national_id_is_recorded_with_its_terms(client, admin_user, borrowers):
    target = borrowers[1]
    client.force_login(admin_user)
    assert client.get("/admin/collections_app/borrower/", {"q": target.national_id}).status_code == 200
    (row,) = accesses(user=admin_user)
    assert row.borrower_id == target.id
    assert row.what.endswith("(search)") and target.national_id in row.where


def test_admin_borrower_change_page_is_recorded(client, admin_user, borrowers):
    client.force_login(admin_user)
    assert client.get(f"/admin/collections_app/borrower/{borrowers[0].id}/change/").status_code == 200
    (row,) = accesses(user=admin_user)
    assert row.borrower_id == borrowers[0].id


def test_admin_borrower_history_version_is_recorded(client, admin_user, borrowers):
    b = borrowers[0]
    version = b.history.latest()
    client.force_login(admin_user)
    url = f"/admin/collections_app/borrower/{b.id}/history/{version.history_id}/"
    assert client.get(url).status_code == 200
    assert [r.borrower_id for r in accesses(user=admin_user)] == [b.id]


def test_admin_contact_point_list_and_change_page_are_recorded(client, admin_user, borrowers):
    f.ContactPointFactory(borrower=borrowers[0], kind=m.ContactKind.ADDRESS, value="1 Road")
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/admin/collections_app/contactpoint/").status_code == 200
    assert inserts_into_access_log(ctx.captured_queries) == 1
    # one record per borrower shown, not per row
    assert [r.borrower_id for r in accesses(user=admin_user)] == sorted(b.id for b in borrowers)
    point = borrowers[2].contact_points.get()
    assert client.get(f"/admin/collections_app/contactpoint/{point.id}/change/").status_code == 200
    assert len(accesses(user=admin_user, borrower=borrowers[2])) == 2


def test_admin_contact_log_list_with_numbers_is_recorded(client, admin_user, lender):
    case = f.CaseFactory(lender=lender)
    f.ContactLogFactory(case=case, number_used="13800001111")
    client.force_login(admin_user)
    assert client.get("/admin/collections_app/contactlog/").status_code == 200
    (row,) = accesses(user=admin_user)
    assert row.borrower_id == case.borrower_id and row.what == "number_used"


def test_admin_blacklist_and_visit_pages_are_recorded(client, admin_user, lender, borrowers):
    m.BlacklistEntry.objects.create(lender=lender, borrower=borrowers[0], name="x", national_id="1101", reason="fraud")
    m.BlacklistEntry.objects.create(lender=lender, borrower=None, name="y", national_id="1102", reason="fraud")
    case = f.CaseFactory(lender=lender, borrower=borrowers[1])
    visit = m.FieldVisit.objects.create(case=case, status="approved", address="Somewhere 1")
    client.force_login(admin_user)
    assert client.get("/admin/collections_app/blacklistentry/").status_code == 200
    assert [r.borrower_id for r in accesses(user=admin_user, what="national_id")] == [borrowers[0].id]
    assert client.get(f"/admin/collections_app/fieldvisit/{visit.id}/change/").status_code == 200
    assert [r.borrower_id for r in accesses(user=admin_user, what="address")] == [borrowers[1].id]


def test_admin_pages_without_personal_data_record_nothing(client, admin_user, borrowers):
    client.force_login(admin_user)
    assert client.get("/admin/collections_app/lender/").status_code == 200
    assert client.get("/admin/collections_app/borrower/add/").status_code == 200
    assert not m.PersonalDataAccess.objects.exists()


# --- API ---------------------------------------------------------------------------------------


@pytest.fixture
def case_with_calls(lender, collector, team):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team)
    f.ContactLogFactory(case=case, channel=m.Channel.PHONE, number_used="13912345678")
    f.ContactLogFactory(case=case, channel=m.Channel.SMS, number_used="13987654321")
    return case


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_supervisor_reading_full_numbers_in_the_contacts_api_is_recorded(supervisor, case_with_calls):
    rows = api_as(supervisor).get(f"/api/cases/{case_with_calls.id}/contacts/").json()["results"]
    assert {r["number_used"] for r in rows} == {"13912345678", "13987654321"}
    (row,) = accesses(user=supervisor)
    assert row.borrower_id == case_with_calls.borrower_id and row.what == "number_used"
    assert row.where == f"/api/cases/{case_with_calls.id}/contacts/"


def test_collector_sees_masked_numbers_including_sms_and_nothing_is_recorded(collector, case_with_calls):
    rows = api_as(collector).get(f"/api/cases/{case_with_calls.id}/contacts/").json()["results"]
    assert {r["number_used"] for r in rows} == {"139****5678", "139****4321"}
    assert not m.PersonalDataAccess.objects.exists()


def test_addresses_in_the_contacts_api_are_recorded_for_every_role(collector, lender, team):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team)
    f.ContactLogFactory(case=case, channel=m.Channel.VISIT, outcome=m.Outcome.RPC, is_attempt=False,
                        number_used="1 Road")
    api_as(collector).get(f"/api/cases/{case.id}/contacts/")
    assert [r.what for r in accesses(user=collector)] == ["address"]


def test_borrower_api_records_address_views_for_collectors(collector, lender, team):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team)
    assert api_as(collector).get(f"/api/borrowers/{case.borrower_id}/").status_code == 200
    assert [(r.borrower_id, r.what) for r in accesses(user=collector)] == [(case.borrower_id, "address")]


# --- pages -------------------------------------------------------------------------------------


def test_case_page_records_a_collectors_view_of_addresses(client, collector, lender, team):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team)
    f.ContactPointFactory(borrower=case.borrower)
    f.ContactPointFactory(borrower=case.borrower, kind=m.ContactKind.ADDRESS, value="1 Road")
    client.force_login(collector)
    assert client.get(f"/cases/{case.id}/").status_code == 200
    assert [r.what for r in accesses(user=collector)] == ["address"]


def test_visits_page_records_the_addresses_shown_in_one_insert(client, lender):
    agent = f.FieldAgentFactory(username="agent1")
    today = timezone.localdate()
    cases = [f.CaseFactory(lender=lender, field_agent=agent) for _ in range(3)]
    for case in cases:
        m.FieldVisit.objects.create(case=case, agent=agent, status="approved", handed_over_on=today,
                                    due_on=today, address="Somewhere 1")
    client.force_login(agent)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/visits/").status_code == 200
    assert inserts_into_access_log(ctx.captured_queries) == 1
    assert [r.borrower_id for r in accesses(user=agent, what="address")] == sorted(c.borrower_id for c in cases)
