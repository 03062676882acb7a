"""Complaints: logged from the case page, owned, due in 15 days, listed, resolved with a note, kept."""
import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db
LIST = reverse("supervisor_complaints")


@pytest.fixture
def case(lender, collector, team):
    return f.CaseFactory(lender=lender, assigned_to=collector, team=team)


def complaint(case, *, days_ago=0, **kw):
    received = timezone.now() - dt.timedelta(days=days_ago)
    return m.Complaint.objects.create(case=case, borrower=case.borrower, description=kw.pop("description", "rude"),
                                      received_at=received, due_on=timezone.localdate(received) + dt.timedelta(days=15),
                                      **kw)


def test_collector_logs_a_complaint_from_the_case_page(client, collector, supervisor, case):
    client.force_login(collector)
    page = client.get(reverse("case_detail", args=[case.id])).content.decode()
    assert reverse("case_complaint", args=[case.id]) in page
    response = client.post(reverse("case_complaint", args=[case.id]),
                           {"description": "Called five times a day", "channel": "phone", "about": collector.id})
    assert response.status_code == 302 and response["Location"] == reverse("case_detail", args=[case.id])
    c = m.Complaint.objects.get()
    assert (c.borrower, c.against_user, c.logged_by, c.owner, c.status) == (
        case.borrower, collector, collector, supervisor, "open")
    assert c.due_on == timezone.localdate() + dt.timedelta(days=15)


def test_an_empty_complaint_is_refused_and_the_typed_text_kept(client, collector, case):
    client.force_login(collector)
    response = client.post(reverse("case_complaint", args=[case.id]), {"description": "  ", "channel": "letter"})
    assert response.status_code == 200
    assert "The description is required." in response.content.decode()
    assert 'value="letter"' in response.content.decode()
    assert not m.Complaint.objects.exists()


def test_no_complaint_on_a_case_one_cannot_see(client, lender, case):
    client.force_login(f.CollectorFactory(team=f.TeamFactory()))
    assert client.post(reverse("case_complaint", args=[case.id]), {"description": "x"}).status_code == 404
    assert not m.Complaint.objects.exists()


def test_collectors_get_403_and_no_menu_link(client, collector):
    client.force_login(collector)
    assert client.get(LIST).status_code == 403
    assert 'href="/supervisor/complaints/"' not in client.get(reverse("queue")).content.decode()


def test_supervisor_sees_the_menu_link_and_their_teams_complaints(client, supervisor, case, lender):
    mine = complaint(case)
    other_case = f.CaseFactory(lender=lender, assigned_to=f.CollectorFactory(team=f.TeamFactory()))
    complaint(other_case)
    client.force_login(supervisor)
    response = client.get(LIST)
    assert 'href="/supervisor/complaints/"' in response.content.decode()
    assert [c.id for c in response.context["page"]] == [mine.id]
    assert client.get(reverse("complaint_detail", args=[other_case.complaints.get().id])).status_code == 404


def test_filters_open_overdue_resolved(client, admin_user, case):
    fresh = complaint(case)
    late = complaint(case, days_ago=20)
    done = complaint(case, days_ago=3, status="resolved", resolution="apologised", resolved_at=timezone.now())
    client.force_login(admin_user)

    def ids(show):
        return {c.id for c in client.get(LIST, {"show": show}).context["page"]}

    assert ids("open") == {fresh.id, late.id}
    assert ids("overdue") == {late.id}
    assert ids("resolved") == {done.id}
    assert ids("all") == {fresh.id, late.id, done.id}
    assert "overdue" in client.get(LIST, {"show": "overdue"}).content.decode()


def test_resolve_with_a_note_keeps_the_history(client, supervisor, case):
    c = complaint(case)
    url = reverse("complaint_detail", args=[c.id])
    client.force_login(supervisor)
    response = client.post(url, {"action": "resolve", "note": " "}, follow=True)
    assert "The resolution note is required." in response.content.decode()
    client.post(url, {"action": "resolve", "note": "Called back, apologised, contact reduced"})
    c.refresh_from_db()
    assert (c.status, c.resolution, c.resolved_by) == ("resolved", "Called back, apologised, contact reduced", supervisor)
    assert c.history.count() == 2
    response = client.post(url, {"action": "resolve", "note": "again"}, follow=True)
    assert "already resolved" in response.content.decode()
    c.refresh_from_db()
    assert c.resolution == "Called back, apologised, contact reduced"
    assert "Called back" in client.get(url).content.decode()


def test_change_owner(client, supervisor, admin_user, case):
    c = complaint(case)
    client.force_login(supervisor)
    client.post(reverse("complaint_detail", args=[c.id]), {"action": "assign", "owner": admin_user.id})
    c.refresh_from_db()
    assert c.owner == admin_user
    stranger = f.CollectorFactory()
    response = client.post(reverse("complaint_detail", args=[c.id]), {"action": "assign", "owner": stranger.id},
                           follow=True)
    assert "Choose the new owner." in response.content.decode()


def test_the_database_refuses_a_resolution_without_a_time(case):
    c = complaint(case)
    for values in ({"status": "resolved", "resolved_at": None, "resolution": "ok"},
                   {"status": "open", "resolved_at": timezone.now()}):
        with pytest.raises(IntegrityError), transaction.atomic():
            m.Complaint.objects.filter(id=c.id).update(**values)


def test_complaints_cannot_be_deleted_in_the_admin(client, admin_user, case):
    c = complaint(case)
    client.force_login(admin_user)
    response = client.post(reverse("admin:collections_app_complaint_delete", args=[c.id]), {"post": "yes"})
    assert response.status_code == 403
    assert m.Complaint.objects.filter(id=c.id).exists()


def test_other_methods_get_405(client, admin_user, case):
    from collections_app.services import strategy

    c = complaint(case)
    version = strategy.ensure_default_strategy()
    client.force_login(admin_user)
    for url in (LIST, reverse("complaint_detail", args=[c.id]), reverse("case_complaint", args=[case.id]),
                reverse("supervisor_targets"), reverse("strategy_versions"), reverse("strategy_version", args=[version.id])):
        assert client.put(url).status_code == 405, url
    assert client.post(LIST).status_code == 405
