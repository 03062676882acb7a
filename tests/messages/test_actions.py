"""Strategy actions that really happen: a call task done by a logged phone contact, an SMS reminder
executed by sending its template and done when the provider accepted it, skipped with the reason
when it may not be sent; safe to run twice."""
import datetime as dt

import pytest

from collections_app import models as m
from collections_app.services import actions as svc
from collections_app.services.contacts import log_contact
from collections_app.services.messages import deliver_message, plan_message
from tests import factories as f
from tests.messages.conftest import MORNING, NIGHT

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 4)


def action(case, kind, due=TODAY, key="1"):
    return m.CaseAction.objects.create(case=case, rule_code=f"r-{kind}", kind=kind, due_on=due, occurrence_key=key)


def test_a_phone_contact_completes_the_call_tasks_due(msg_case):
    due = action(msg_case, m.ActionKind.CALL)
    letter = action(msg_case, m.ActionKind.LETTER)
    log_contact(case=msg_case, user=msg_case.assigned_to, channel="phone", outcome="no_answer", now=MORNING)
    due.refresh_from_db(), letter.refresh_from_db()
    assert (due.status, due.done_by, due.done_how) == (m.ActionStatus.DONE, msg_case.assigned_to, "contact logged")
    assert due.done_at == MORNING
    assert letter.status == m.ActionStatus.OPEN
    future = action(msg_case, m.ActionKind.CALL, due=TODAY + dt.timedelta(days=2), key="2")  # planned
    log_contact(case=msg_case, user=msg_case.assigned_to, channel="phone", outcome="no_answer", now=MORNING)
    future.refresh_from_db()
    assert future.status == m.ActionStatus.OPEN


def test_an_sms_action_is_sent_and_done_when_the_provider_accepts(msg_case):
    sms = action(msg_case, m.ActionKind.SMS_REMINDER)
    assert svc.execute_sms_actions(today=TODAY, now=MORNING) == {"planned": 1, "skipped": 0, "waiting": 0}
    message = m.Message.objects.get(action=sms)
    sms.refresh_from_db()
    assert sms.status == m.ActionStatus.OPEN  # planned, not yet accepted
    assert svc.execute_sms_actions(today=TODAY, now=MORNING) == {"planned": 0, "skipped": 0, "waiting": 0}
    deliver_message(message_id=message.pk, now=MORNING)
    sms.refresh_from_db()
    assert (sms.status, sms.done_how) == (m.ActionStatus.DONE, "message sent")
    assert m.Message.objects.filter(action=sms).count() == 1


def test_a_night_run_schedules_the_sms_for_the_window(msg_case):
    sms = action(msg_case, m.ActionKind.SMS_REMINDER)
    svc.execute_sms_actions(today=TODAY, now=NIGHT)
    message = m.Message.objects.get(action=sms)
    assert message.status == m.MessageStatus.SCHEDULED and message.send_at > NIGHT


def test_an_sms_action_that_may_not_be_sent_is_cancelled_with_the_reason(msg_case):
    sms = action(msg_case, m.ActionKind.SMS_REMINDER)
    m.Borrower.objects.filter(pk=msg_case.borrower_id).update(deceased=True)
    assert svc.execute_sms_actions(today=TODAY, now=MORNING)["skipped"] == 1
    sms.refresh_from_db()
    assert sms.status == m.ActionStatus.SKIPPED and "reported deceased" in sms.done_how
    assert not m.Message.objects.exists()


def test_the_cap_leaves_the_sms_action_for_a_later_run(msg_case):
    m.Lender.objects.filter(pk=msg_case.lender_id).update(max_messages_per_day=0)
    sms = action(msg_case, m.ActionKind.SMS_REMINDER)
    assert svc.execute_sms_actions(today=TODAY, now=MORNING)["skipped"] == 1  # a cap of 0: never
    sms.refresh_from_db()
    assert sms.status == m.ActionStatus.SKIPPED
    m.Lender.objects.filter(pk=msg_case.lender_id).update(max_messages_per_day=1)
    msg_case.lender.refresh_from_db()
    plan_message(case=msg_case, user=msg_case.assigned_to, channel=m.Channel.SMS, template_code="polite_reminder",
                 now=MORNING)  # today's one message
    second = action(msg_case, m.ActionKind.SMS_REMINDER, key="b")
    assert svc.execute_sms_actions(today=TODAY, now=MORNING) == {"planned": 0, "skipped": 0, "waiting": 1}
    second.refresh_from_db()
    assert second.status == m.ActionStatus.OPEN


def test_producing_a_letter_completes_the_letter_action(msg_case, settings, tmp_path):
    from collections_app.services.letters import produce_letter

    settings.MEDIA_ROOT = str(tmp_path)
    notice = action(msg_case, m.ActionKind.LETTER)
    produce_letter(case=msg_case, user=msg_case.assigned_to, kind=m.LetterKind.OVERDUE_NOTICE, now=MORNING)
    notice.refresh_from_db()
    assert (notice.status, notice.done_how, notice.done_by) == (m.ActionStatus.DONE, "letter produced",
                                                                 msg_case.assigned_to)


def test_the_supervisor_sees_the_overdue_actions_of_their_teams(client, msg_case, settings):
    settings.BUSINESS_DATE = "2026-03-04"
    team = f.TeamFactory()
    m.CollectionCase.objects.filter(pk=msg_case.pk).update(team=team)
    type(msg_case.assigned_to).objects.filter(pk=msg_case.assigned_to_id).update(team=team)
    action(msg_case, m.ActionKind.CALL, due=TODAY - dt.timedelta(days=3), key="late")
    action(msg_case, m.ActionKind.LETTER, due=TODAY, key="today")
    client.force_login(team.supervisor)
    page = client.get("/supervisor/actions/").content.decode()
    assert "Call task" in page and "2026-03-01" in page and "Overdue notice letter" not in page
    client.force_login(f.SupervisorFactory())
    assert "Call task" not in client.get("/supervisor/actions/").content.decode()
    client.force_login(msg_case.assigned_to)
    assert client.get("/supervisor/actions/").status_code == 403
