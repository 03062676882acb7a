"""Compliance applies to messages: the contact window (a message planned at night goes at the start
of the next window in the borrower's time zone), stop flags, third parties, the daily message cap;
the API's 201 and 409."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from collections_app import models as m
from collections_app.services import messages as svc
from collections_app.services.contacts import ContactRefused
from tests import factories as f
from tests.messages.conftest import MORNING, NIGHT, SH

pytestmark = pytest.mark.django_db


def plan(case, *, now=MORNING, code="polite_reminder", channel="sms", **kw):
    return svc.plan_message(case=case, user=case.assigned_to, channel=channel, template_code=code, now=now, **kw)


def test_a_message_planned_at_night_goes_at_the_start_of_the_next_window(msg_case):
    message = plan(msg_case, now=NIGHT)
    assert message.status == m.MessageStatus.SCHEDULED
    assert message.send_at == dt.datetime(2026, 3, 5, 8, 0, tzinfo=SH)
    # the debt in the text is the one of the sending day
    assert "2026-03-05" in message.body


def test_the_window_is_the_borrowers_own_time_zone(msg_case):
    m.Borrower.objects.filter(pk=msg_case.borrower_id).update(timezone="Asia/Urumqi")  # UTC+6
    msg_case.borrower.refresh_from_db()
    early = dt.datetime(2026, 3, 4, 9, 30, tzinfo=SH)  # 07:30 in Urumqi
    message = plan(msg_case, now=early)
    assert message.send_at == dt.datetime(2026, 3, 4, 8, 0, tzinfo=ZoneInfo("Asia/Urumqi"))
    assert message.send_at > early


def test_a_stop_flag_refuses_a_message_and_stops_one_already_scheduled(msg_case):
    scheduled = plan(msg_case, now=NIGHT)
    m.Borrower.objects.filter(pk=msg_case.borrower_id).update(cease_contact=True)
    msg_case.borrower.refresh_from_db()
    with pytest.raises(ContactRefused) as refused:
        plan(msg_case)
    assert refused.value.rule == "stop_flag" and refused.value.allowed_from is None
    svc.deliver_message(message_id=scheduled.pk, now=scheduled.send_at)
    scheduled.refresh_from_db()
    assert scheduled.status == m.MessageStatus.FAILED and "stopped" in scheduled.error
    assert not m.ContactLog.objects.filter(case=msg_case).exists()


def test_third_parties_only_from_their_bucket_and_never_told_the_debt(msg_case):
    relative = f.ContactPointFactory(borrower=msg_case.borrower, value="13900000009", relation=m.Relation.RELATIVE)
    with pytest.raises(ContactRefused) as refused:
        plan(msg_case, code="callback_request", contact_point=relative)  # bucket M1, third parties from M2
    assert refused.value.rule == "third_party_bucket"
    msg_case.bucket = "M2"
    m.CollectionCase.objects.filter(pk=msg_case.pk).update(bucket="M2")
    with pytest.raises(ContactRefused) as refused:
        plan(msg_case, code="polite_reminder", contact_point=relative)
    assert refused.value.rule == "third_party_debt"
    message = plan(msg_case, code="callback_request", contact_point=relative)
    assert message.is_third_party and message.to_address == "13900000009"
    assert msg_case.borrower.name in message.body and "1050" not in message.body.replace(",", "")


def test_the_daily_message_cap_counts_the_borrowers_local_day(msg_case):
    m.Lender.objects.filter(pk=msg_case.lender_id).update(max_messages_per_day=2)
    msg_case.lender.refresh_from_db()
    plan(msg_case, idempotency_key="a")
    plan(msg_case, idempotency_key="b", channel="email", code="email_reminder")
    with pytest.raises(ContactRefused) as refused:
        plan(msg_case, idempotency_key="c")
    assert refused.value.rule == "message_cap"
    assert refused.value.allowed_from == dt.datetime(2026, 3, 5, 8, 0, tzinfo=SH)
    # a message planned at night counts for the day it is sent on
    night = plan(msg_case, now=NIGHT, idempotency_key="d")
    assert night.send_at.date() == dt.date(2026, 3, 5)
    # a failed message does not count
    m.Message.objects.filter(idempotency_key="a").update(status=m.MessageStatus.FAILED)
    assert plan(msg_case, idempotency_key="e").status == m.MessageStatus.SCHEDULED


def test_the_same_idempotency_key_answers_the_first_message(msg_case):
    first = plan(msg_case, idempotency_key="same")
    assert plan(msg_case, idempotency_key="same").pk == first.pk
    assert m.Message.objects.count() == 1


def test_api_sends_lists_and_refuses_like_a_contact(msg_case, monkeypatch, settings):
    monkeypatch.setattr(timezone, "now", lambda: NIGHT)
    api = APIClient()
    api.force_authenticate(msg_case.assigned_to)
    url = f"/api/cases/{msg_case.pk}/messages/"
    created = api.post(url, {"channel": "sms", "template": "polite_reminder"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "scheduled" and body["send_at"].startswith("2026-03-05T08:00:00+08:00")
    listed = api.get(url).json()["results"]
    assert [(r["id"], r["status"], r["template"]) for r in listed] == [(body["id"], "scheduled", "polite_reminder")]
    assert api.post(url, {"channel": "sms", "template": "nope"}, format="json").status_code == 400
    assert api.post(url, {"channel": "letter", "template": "overdue_notice"}, format="json").status_code == 400
    m.Borrower.objects.filter(pk=msg_case.borrower_id).update(dispute=True)
    refused = api.post(url, {"channel": "sms", "template": "polite_reminder"}, format="json")
    assert refused.status_code == 409 and refused.json()["rule"] == "stop_flag"
    other = f.CollectorFactory()
    api.force_authenticate(other)
    assert api.get(url).status_code == 404
    assert api.post(url, {"channel": "sms", "template": "polite_reminder"}, format="json").status_code == 404
