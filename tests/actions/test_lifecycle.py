"""Each transition of a strategy action (docs/messages.md, "Strategy actions"): planned → due (derived
from the business date), → done / skipped / expired / superseded / failed, each with who or what and
when, and the case's next action recomputed every time."""
import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from collections_app import models as m
from collections_app.domain.actions import action_state
from collections_app.providers import ProviderError
from collections_app.selectors.actions import case_actions, next_action_state, with_state
from collections_app.services import actions as svc
from collections_app.services.approvals import decide, request_approval
from collections_app.services.contacts import log_contact
from collections_app.services.messages import deliver_message
from collections_app.services.nightly.rules import COLLECTOR_TIME_ACTIONS
from tests import factories as f

from .conftest import MORNING, TODAY, make_action

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def test_an_open_action_is_planned_before_its_day_and_due_from_it():
    assert action_state(m.ActionStatus.OPEN, TODAY + DAY, TODAY) == m.ActionState.PLANNED
    assert action_state(m.ActionStatus.OPEN, TODAY, TODAY) == m.ActionState.DUE
    assert action_state(m.ActionStatus.OPEN, TODAY - DAY, TODAY) == m.ActionState.DUE
    for status in m.ActionStatus:
        if status != m.ActionStatus.OPEN:
            assert action_state(status, TODAY, TODAY) == status.value


def test_the_database_and_the_page_derive_the_same_state(act_case):
    planned = make_action(act_case, m.ActionKind.CALL, due=TODAY + DAY)
    due = make_action(act_case, m.ActionKind.LETTER, due=TODAY)
    states = dict(with_state(m.CaseAction.objects.all(), today=TODAY).values_list("id", "state"))
    assert states == {planned.id: "planned", due.id: "due"}
    # the next day the planned one is due: nothing stored changed
    assert set(with_state(m.CaseAction.objects.all(), today=TODAY + DAY).values_list("state", flat=True)) == {"due"}
    rows = case_actions(case=act_case, today=TODAY)
    assert [(r.kind, r.state, r.is_next) for r in rows] == [("letter", "due", True), ("call", "planned", False)]


def test_the_case_page_shows_the_state_and_the_next_action(client, act_case):
    make_action(act_case, m.ActionKind.CALL, due=TODAY + DAY)
    svc.refresh_next_actions(case_ids=[act_case.pk])
    client.force_login(act_case.assigned_to)
    page = client.get(f"/cases/{act_case.pk}/").content.decode()
    assert 'class="action-planned"' in page and "Planned" in page and "next" in page


def test_due_to_done_by_a_logged_call_with_who_and_when(act_case):
    call = make_action(act_case, m.ActionKind.CALL)
    svc.refresh_next_actions(case_ids=[act_case.pk])
    assert fresh(act_case).next_action == m.ActionKind.CALL
    log_contact(case=act_case, user=act_case.assigned_to, channel="phone", outcome="rpc", now=MORNING)
    call = fresh(call)
    assert (call.status, call.done_by, call.done_how, call.done_at) == (
        m.ActionStatus.DONE, act_case.assigned_to, "contact logged", MORNING)
    assert fresh(act_case).next_action == ""  # recomputed: nothing open left


class Refusing:
    name = "refusing"

    def send(self, message):
        raise ProviderError("gateway said 400: invalid number")


def test_a_provider_error_fails_the_sms_action_with_the_error(act_case, monkeypatch):
    sms = make_action(act_case, m.ActionKind.SMS_REMINDER)
    assert svc.execute_sms_actions(today=TODAY, now=MORNING)["planned"] == 1
    message = m.Message.objects.get(action=sms)
    monkeypatch.setattr("collections_app.services.messages.backend_for", lambda channel: Refusing())
    deliver_message(message_id=message.pk, now=MORNING)
    sms = fresh(sms)
    assert sms.status == m.ActionStatus.FAILED and sms.done_by is None
    assert sms.done_how == "system: gateway said 400: invalid number" and sms.done_at is not None
    assert fresh(act_case).next_action == ""


def test_a_stop_flag_at_send_time_skips_the_action(act_case):
    sms = make_action(act_case, m.ActionKind.SMS_REMINDER)
    svc.execute_sms_actions(today=TODAY, now=MORNING)
    message = m.Message.objects.get(action=sms)
    m.Borrower.objects.filter(pk=act_case.borrower_id).update(deceased=True)
    deliver_message(message_id=message.pk, now=MORNING)
    sms = fresh(sms)
    assert sms.status == m.ActionStatus.SKIPPED and sms.done_how.startswith("system: Not sent")


def test_an_action_refused_by_the_supervisor_is_skipped_by_them(act_case):
    supervisor = act_case.team.supervisor
    approval = request_approval(kind=m.ApprovalKind.LITIGATION, case=act_case, user=act_case.assigned_to,
                                reason="large balance")
    proposal = make_action(act_case, m.ActionKind.LITIGATION, status=m.ActionStatus.AWAITING_APPROVAL,
                           approval=approval)
    decide(approval=approval, user=supervisor, approve=False, note="not yet")
    proposal = fresh(proposal)
    assert (proposal.status, proposal.done_by, proposal.done_how) == (
        m.ActionStatus.SKIPPED, supervisor, "approval refused")


def test_an_approved_proposal_opens_and_supersedes_the_open_one_of_its_kind(act_case):
    supervisor = act_case.team.supervisor
    older = make_action(act_case, m.ActionKind.FIELD_VISIT, due=TODAY - DAY, key="old")
    approval = request_approval(kind=m.ApprovalKind.FIELD_VISIT, case=act_case, user=act_case.assigned_to,
                                reason="visit")
    proposal = make_action(act_case, m.ActionKind.FIELD_VISIT, status=m.ActionStatus.AWAITING_APPROVAL,
                           approval=approval, key="new")
    decide(approval=approval, user=supervisor, approve=True, note="go", agent=f.FieldAgentFactory(team=act_case.team))
    assert fresh(proposal).status == m.ActionStatus.OPEN
    older = fresh(older)
    assert older.status == m.ActionStatus.SUPERSEDED and older.done_how == "system: a newer action of the same kind"
    assert fresh(act_case).next_action == m.ActionKind.FIELD_VISIT


def test_expiry_after_the_kinds_window(act_case, settings):
    settings.ACTION_EXPIRE_AFTER_DAYS = {"call": 7}
    late = make_action(act_case, m.ActionKind.CALL, due=TODAY - 8 * DAY)
    in_window = make_action(act_case, m.ActionKind.SMS_REMINDER, due=TODAY - 30 * DAY)  # no window: never
    letter = make_action(act_case, m.ActionKind.LETTER, due=TODAY - 7 * DAY)
    svc.refresh_next_actions(case_ids=[act_case.pk])
    assert fresh(act_case).next_action == m.ActionKind.SMS_REMINDER
    counts = svc.settle_actions(today=TODAY, now=MORNING)
    assert counts["expired"] == 1
    late = fresh(late)
    assert (late.status, late.done_at, late.done_by) == (m.ActionStatus.EXPIRED, MORNING, None)
    assert late.done_how.startswith("system: not done within")
    assert fresh(in_window).status == fresh(letter).status == m.ActionStatus.OPEN
    settings.ACTION_EXPIRE_AFTER_DAYS = {"call": 7, "letter": 7}
    assert svc.settle_actions(today=TODAY, now=MORNING)["expired"] == 0  # 7 days late is still in the window
    assert svc.settle_actions(today=TODAY + DAY, now=MORNING)["expired"] == 1


def test_superseded_when_the_case_closed(act_case):
    call = make_action(act_case, m.ActionKind.CALL)
    m.CollectionCase.objects.filter(pk=act_case.pk).update(status=m.CaseStatus.CLOSED)
    assert svc.settle_actions(today=TODAY, now=MORNING)["closed"] == 1
    call = fresh(call)
    assert (call.status, call.done_how) == (m.ActionStatus.SUPERSEDED, "system: the case closed")


def test_superseded_when_the_case_left_the_rules_bucket(act_case):
    from collections_app.services.strategy import ensure_default_strategy

    version = ensure_default_strategy()
    m1_rule = version.rules.get(code="m1-reminder-calls")
    any_rule = version.rules.get(code="day7-notice-letter")  # no bucket: applies in any
    call = make_action(act_case, m.ActionKind.CALL, rule=m1_rule, rule_code=m1_rule.code)
    letter = make_action(act_case, m.ActionKind.LETTER, rule=any_rule, rule_code=any_rule.code)
    assert svc.settle_actions(today=TODAY, now=MORNING)["stage"] == 0  # still M1
    m.CollectionCase.objects.filter(pk=act_case.pk).update(bucket="M2", stage="M2")
    assert svc.settle_actions(today=TODAY, now=MORNING)["stage"] == 1
    call = fresh(call)
    assert (call.status, call.done_how) == (m.ActionStatus.SUPERSEDED, "system: the case moved to another stage")
    assert fresh(letter).status == m.ActionStatus.OPEN
    assert fresh(act_case).next_action == m.ActionKind.LETTER


def test_superseded_when_back_in_a_reminders_only_bucket(act_case):
    call = make_action(act_case, m.ActionKind.CALL, rule_code="approval")  # no rule: made on an approval
    sms = make_action(act_case, m.ActionKind.SMS_REMINDER)
    m.CollectionCase.objects.filter(pk=act_case.pk).update(bucket="M0", stage="M0")
    counts = svc.settle_actions(today=TODAY, now=MORNING, reminder_only=["M0"], collector_time=COLLECTOR_TIME_ACTIONS)
    assert counts["reminders_only"] == 1
    assert fresh(call).status == m.ActionStatus.SUPERSEDED and fresh(sms).status == m.ActionStatus.OPEN


def test_a_letter_not_producible_fails_its_action(act_case, settings, tmp_path):
    from django.core.exceptions import ValidationError

    from collections_app.services.letters import produce_letter

    settings.MEDIA_ROOT = str(tmp_path)
    m.MessageTemplate.objects.filter(code="overdue_notice").update(is_active=False)
    notice = make_action(act_case, m.ActionKind.LETTER)
    with pytest.raises(ValidationError):
        produce_letter(case=act_case, user=act_case.assigned_to, kind=m.LetterKind.OVERDUE_NOTICE, now=MORNING)
    notice = fresh(notice)
    assert notice.status == m.ActionStatus.FAILED and "No active letter template" in notice.done_how


def test_a_lawyers_letter_counts_only_once_approved_and_sent(act_case, settings, tmp_path):
    supervisor = act_case.team.supervisor
    from collections_app.services.letters import produce_letter, send_letter

    settings.MEDIA_ROOT = str(tmp_path)
    task = make_action(act_case, m.ActionKind.LAWYER_LETTER)
    letter = produce_letter(case=act_case, user=act_case.assigned_to, kind=m.LetterKind.LAWYER, now=MORNING)
    assert fresh(task).status == m.ActionStatus.OPEN  # produced, not yet approved nor dispatched
    decide(approval=letter.approval, user=supervisor, approve=True, note="ok")
    assert fresh(task).status == m.ActionStatus.OPEN  # approved, not yet dispatched
    send_letter(letter=letter, user=act_case.assigned_to, now=MORNING + DAY)
    task = fresh(task)
    assert (task.status, task.done_by, task.done_how, task.done_at) == (
        m.ActionStatus.DONE, act_case.assigned_to, "letter approved and sent", MORNING + DAY)


def test_the_database_keeps_one_open_action_per_kind_and_the_end_recorded(act_case):
    make_action(act_case, m.ActionKind.CALL, key="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_action(act_case, m.ActionKind.CALL, key="b")
    make_action(act_case, m.ActionKind.CALL, key="c", status=m.ActionStatus.SUPERSEDED, done_at=MORNING,
                done_how="system: test")  # an ended one beside it is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        make_action(act_case, m.ActionKind.LETTER, key="d", status=m.ActionStatus.DONE)  # no done_at


def test_the_api_shows_the_next_actions_state(client, act_case):
    make_action(act_case, m.ActionKind.CALL, due=TODAY + DAY)
    svc.refresh_next_actions(case_ids=[act_case.pk])
    assert next_action_state(fresh(act_case), today=TODAY) == "planned"
    assert next_action_state(act_case, today=TODAY + DAY) == "due"
    client.force_login(act_case.assigned_to)
    body = client.get(f"/api/cases/{act_case.pk}/").json()
    assert body["next_action"] == "call" and body["next_action_state"] == "planned"
    m.CaseAction.objects.update(status=m.ActionStatus.SKIPPED, done_at=MORNING, done_how="x")
    svc.refresh_next_actions(case_ids=[act_case.pk])
    assert client.get(f"/api/cases/{act_case.pk}/").json()["next_action_state"] is None


def test_a_promise_on_the_call_that_completes_the_task_sets_the_next_call(act_case):
    make_action(act_case, m.ActionKind.CALL)
    svc.refresh_next_actions(case_ids=[act_case.pk])
    log_contact(case=act_case, user=act_case.assigned_to, channel="phone", outcome="promise",
                promise_amount="100.00", promise_date=TODAY + 2 * DAY, now=MORNING)
    act_case = fresh(act_case)
    assert act_case.next_action == m.ActionKind.CALL  # the promise's follow-up call, not cleared by the task
    assert timezone.localtime(act_case.next_action_at).date() == TODAY + 3 * DAY


def test_the_data_migration_maps_cancelled_to_skipped_with_the_end_recorded(act_case):
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("collections_app.migrations.0030_action_lifecycle")
    old = make_action(act_case, m.ActionKind.CALL, status="cancelled", done_at=MORNING)
    kept = make_action(act_case, m.ActionKind.LETTER, status=m.ActionStatus.DONE, done_at=MORNING,
                       done_how="letter produced")
    migration.forwards(django_apps, None)
    old, kept = fresh(old), fresh(kept)
    assert (old.status, old.done_at) == (m.ActionStatus.SKIPPED, MORNING)
    assert old.done_how == "system: ended before the action's end was recorded"
    assert (kept.status, kept.done_how) == (m.ActionStatus.DONE, "letter produced")
