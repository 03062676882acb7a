"""The case page's "Send a message" card and the template preview page."""
import pytest
from django.utils import timezone

from collections_app import models as m
from tests import factories as f
from tests.messages.conftest import MORNING, NIGHT

pytestmark = pytest.mark.django_db


def test_the_case_page_loads_the_card_and_sends_from_a_template(client, msg_case, monkeypatch, settings, tmp_path,
                                                                django_capture_on_commit_callbacks):
    settings.MESSAGE_FILE_DIR = str(tmp_path)
    monkeypatch.setattr(timezone, "now", lambda: MORNING)
    client.force_login(msg_case.assigned_to)
    page = client.get(f"/cases/{msg_case.pk}/").content.decode()
    assert f'hx-get="/cases/{msg_case.pk}/messages/"' in page
    card = client.get(f"/cases/{msg_case.pk}/messages/").content.decode()
    assert 'value="sms:polite_reminder"' in card and "No messages yet." in card
    with django_capture_on_commit_callbacks(execute=True):  # the send queued on commit runs (eager Celery)
        sent = client.post(f"/cases/{msg_case.pk}/messages/", {"choice": "sms:polite_reminder"},
                           HTTP_HX_REQUEST="true")
    assert sent.status_code == 200
    assert 'class="pill ok">Sent<' in client.get(f"/cases/{msg_case.pk}/messages/").content.decode()
    message = m.Message.objects.get(case=msg_case)
    assert message.status == m.MessageStatus.SENT and message.created_by == msg_case.assigned_to
    timeline = client.get(f"/cases/{msg_case.pk}/").content.decode()
    assert "Sent (letter or message)" in timeline


def test_at_night_the_card_says_when_it_goes_and_a_stop_flag_refuses(client, msg_case, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NIGHT)
    client.force_login(msg_case.assigned_to)
    later = client.post(f"/cases/{msg_case.pk}/messages/", {"choice": "sms:polite_reminder"}).content.decode()
    assert "Scheduled for 2026-03-05 08:00" in later
    m.Borrower.objects.filter(pk=msg_case.borrower_id).update(cease_contact=True)
    refused = client.post(f"/cases/{msg_case.pk}/messages/", {"choice": "sms:polite_reminder"})
    assert refused.status_code == 409 and "Contact stopped" in refused.content.decode()
    assert m.Message.objects.count() == 1


def test_another_collector_gets_404(client, msg_case):
    client.force_login(f.CollectorFactory())
    assert client.get(f"/cases/{msg_case.pk}/messages/").status_code == 404
    assert client.post(f"/cases/{msg_case.pk}/messages/", {"choice": "sms:polite_reminder"}).status_code == 404


def test_supervisors_preview_a_template_on_a_case_they_may_see(client, msg_case, admin_user):
    template = m.MessageTemplate.objects.get(code="polite_reminder", language="en")
    client.force_login(msg_case.assigned_to)
    assert client.get("/messages/templates/").status_code == 403
    client.force_login(admin_user)
    listing = client.get("/messages/templates/").content.decode()
    assert f"/messages/templates/{template.pk}/" in listing
    page = client.get(f"/messages/templates/{template.pk}/?case={msg_case.pk}").content.decode()
    assert f"Dear {msg_case.borrower.name}" in page and "ICBC 6222 0000 1111" in page
    assert "{{ borrower_name }}" in page  # the raw text and its placeholders are shown too
    supervisor = f.SupervisorFactory()
    client.force_login(supervisor)
    hidden = client.get(f"/messages/templates/{template.pk}/?case={msg_case.pk}").content.decode()
    assert "No case with this number" in hidden and msg_case.borrower.name not in hidden
