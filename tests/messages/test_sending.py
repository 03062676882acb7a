"""Sending through the provider backends: the console/file backend, Django's e-mail, the HTTP SMS
gateway against a local test server (a failing provider, a retried and never duplicated send),
redelivered tasks, delivery receipts, the timeline contact."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from rest_framework.test import APIClient

from collections_app import models as m
from collections_app.services import messages as svc
from collections_app.tasks import send_due_messages, send_sms_message
from tests.messages.conftest import MORNING, NIGHT

pytestmark = pytest.mark.django_db


class Gateway:
    """A local HTTP SMS gateway: answers each POST with the next status of ``script`` (then 200)."""

    def __init__(self, script=()):
        self.script = list(script)
        self.requests = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.requests.append({"body": body, "auth": self.headers.get("Authorization")})
                code = gateway.script.pop(0) if gateway.script else 200
                payload = {"id": f"gw-{len(gateway.requests)}"} if code == 200 else {"error": "nope"}
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    gw = Gateway()
    settings.SMS_BACKEND = "collections_app.providers.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = gw.url
    settings.SMS_GATEWAY_KEY = "k-123"
    settings.SMS_SENDER_ID = "ACME"
    settings.SMS_GATEWAY_BACKOFF = 0
    yield gw
    gw.close()


def plan(case, *, now=MORNING, channel="sms", code="polite_reminder", **kw):
    return svc.plan_message(case=case, user=case.assigned_to, channel=channel, template_code=code, now=now, **kw)


def test_console_backend_writes_the_file_and_the_timeline_gets_a_contact(msg_case, settings, tmp_path,
                                                                      django_capture_on_commit_callbacks):
    settings.MESSAGE_FILE_DIR = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        message = plan(msg_case)
    message.refresh_from_db()  # due at once: the task queued after the commit sent it
    assert message.status == m.MessageStatus.SENT and message.provider == "console"
    written = list(tmp_path.iterdir())
    assert len(written) == 1 and msg_case.borrower.name in written[0].read_text()
    contact = message.contact
    assert (contact.channel, contact.outcome, contact.case_id) == ("sms", m.Outcome.SENT, msg_case.pk)
    assert not contact.is_attempt and contact.note == message.body
    assert "ICBC 6222 0000 1111" in message.body and "13800000001" == message.to_address


def test_email_goes_through_django_email(msg_case, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = plan(msg_case, channel="email", code="email_reminder")
    svc.deliver_message(message_id=message.pk, now=MORNING)
    message.refresh_from_db()
    assert message.status == m.MessageStatus.SENT
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["borrower@example.com"]
    assert mail.outbox[0].subject == "关于您在Acme Finance的借款"


def test_http_gateway_sends_with_key_and_sender(msg_case, gateway):
    message = plan(msg_case)
    svc.deliver_message(message_id=message.pk, now=MORNING)
    message.refresh_from_db()
    assert (message.status, message.provider, message.provider_id) == (m.MessageStatus.SENT, "http-sms", "gw-1")
    sent = gateway.requests[0]
    assert sent["auth"] == "Bearer k-123"
    assert sent["body"] == {"to": "13800000001", "from": "ACME", "text": message.body,
                            "reference": message.idempotency_key}


def test_a_5xx_is_retried_and_sent_once(msg_case, gateway):
    gateway.script = [503, 502]
    message = plan(msg_case)
    svc.deliver_message(message_id=message.pk, now=MORNING)
    message.refresh_from_db()
    assert message.status == m.MessageStatus.SENT and message.provider_id == "gw-3"
    assert len(gateway.requests) == 3
    assert len({r["body"]["reference"] for r in gateway.requests}) == 1  # the same reference each time


def test_a_failing_provider_fails_the_message_with_its_reason(msg_case, gateway):
    gateway.script = [400]
    message = plan(msg_case)
    svc.deliver_message(message_id=message.pk, now=MORNING)
    message.refresh_from_db()
    assert message.status == m.MessageStatus.FAILED and "refused" in message.error
    assert message.contact is None and not m.ContactLog.objects.filter(case=msg_case).exists()
    gateway.script = [503, 503, 503]
    other = plan(msg_case, idempotency_key="k2")
    svc.deliver_message(message_id=other.pk, now=MORNING)
    other.refresh_from_db()
    assert other.status == m.MessageStatus.FAILED and "503" in other.error


def test_a_redelivered_task_never_sends_twice(msg_case, gateway, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: MORNING)
    message = plan(msg_case)
    assert send_sms_message.delay(message.pk).get() == "sent"
    assert send_sms_message.delay(message.pk).get() == "not due or already taken"
    send_due_messages.delay().get()
    assert len(gateway.requests) == 1
    assert m.ContactLog.objects.filter(case=msg_case).count() == 1


def test_the_sweep_sends_what_falls_due_and_fails_stale_claims(msg_case, monkeypatch):
    from django.utils import timezone

    message = plan(msg_case, now=NIGHT)  # scheduled for 08:00 the next morning
    assert message.send_at > NIGHT
    monkeypatch.setattr(timezone, "now", lambda: NIGHT)
    send_due_messages.delay().get()
    message.refresh_from_db()
    assert message.status == m.MessageStatus.SCHEDULED
    monkeypatch.setattr(timezone, "now", lambda: message.send_at)
    send_due_messages.delay().get()
    message.refresh_from_db()
    assert message.status == m.MessageStatus.SENT
    stuck = plan(msg_case, now=message.send_at, idempotency_key="stuck")
    assert svc.claim(message_id=stuck.pk, now=message.send_at)  # a sender took it and died
    import datetime as dt

    assert svc.fail_stale_claims(now=message.send_at + dt.timedelta(minutes=16)) == 1
    stuck.refresh_from_db()
    assert stuck.status == m.MessageStatus.FAILED


def test_delivery_receipts_need_the_secret_and_update_the_status(msg_case, gateway, settings):
    message = plan(msg_case)
    svc.deliver_message(message_id=message.pk, now=MORNING)
    api = APIClient()
    url = "/api/messages/receipts/"
    settings.SMS_WEBHOOK_SECRET = ""
    assert api.post(url, {"id": "gw-1", "status": "delivered"}, format="json").status_code == 404
    settings.SMS_WEBHOOK_SECRET = "s3cret"
    assert api.post(url, {"id": "gw-1", "status": "delivered"}, format="json").status_code == 403
    assert api.post(url, {"id": "gw-1", "status": "delivered"}, format="json",
                    HTTP_X_WEBHOOK_SECRET="wrong").status_code == 403
    ok = api.post(url, {"id": "gw-1", "status": "delivered"}, format="json", HTTP_X_WEBHOOK_SECRET="s3cret")
    assert ok.status_code == 200 and ok.json() == {"updated": 1}
    message.refresh_from_db()
    assert message.status == m.MessageStatus.DELIVERED and message.delivered_at is not None
    again = api.post(url, {"id": "gw-1", "status": "failed"}, format="json", HTTP_X_WEBHOOK_SECRET="s3cret")
    assert again.json() == {"updated": 0}  # a delivered message stays delivered
