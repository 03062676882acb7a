"""The life of a strategy action after the nightly run created it (docs/messages.md, "Strategy
actions"): a call task is done when a phone contact is logged on the case; an SMS reminder is
executed by sending its template (beat: :func:`execute_sms_actions`) and done when the provider
accepted it (services.messages.record_sent); one that may not be sent is cancelled with the reason."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from collections_app.models import ActionKind, ActionStatus, CaseAction, CaseStatus, Channel, CollectionCase

SMS_BATCH = 500


def complete_action(*, action_id: int, by, how: str, now: dt.datetime) -> bool:
    """Mark an open action done, with who or what did it (once: a done or cancelled action stays)."""
    return bool(CaseAction.objects.filter(pk=action_id, status=ActionStatus.OPEN).update(
        status=ActionStatus.DONE, done_at=now, done_by=by if getattr(by, "is_authenticated", False) else None,
        done_how=str(how)[:200]))


def complete_call_actions(*, case, user, today: dt.date, now: dt.datetime) -> int:
    """A phone contact was logged on ``case``: its open call tasks due by ``today`` are done (one UPDATE)."""
    return CaseAction.objects.filter(case=case, kind=ActionKind.CALL, status=ActionStatus.OPEN,
                                     due_on__lte=today).update(
        status=ActionStatus.DONE, done_at=now, done_by=user if getattr(user, "is_authenticated", False) else None,
        done_how=_("contact logged"))


def complete_letter_actions(*, case, kind: str, user, today: dt.date, now: dt.datetime) -> int:
    """A letter was produced on ``case``: its open letter actions of that kind due by ``today`` are
    done (an overdue notice: "letter"; a lawyer's letter: "lawyer_letter")."""
    action_kind = ActionKind.LAWYER_LETTER if kind == "lawyer" else ActionKind.LETTER
    return CaseAction.objects.filter(case=case, kind=action_kind, status=ActionStatus.OPEN, due_on__lte=today).update(
        status=ActionStatus.DONE, done_at=now, done_by=user if getattr(user, "is_authenticated", False) else None,
        done_how=_("letter produced"))


def cancel_action(*, action: CaseAction, how: str, now: dt.datetime) -> None:
    CaseAction.objects.filter(pk=action.pk, status=ActionStatus.OPEN).update(
        status=ActionStatus.CANCELLED, done_at=now, done_how=str(how)[:200])


def execute_sms_actions(*, today: dt.date, now: dt.datetime, limit: int = SMS_BATCH) -> dict[str, int]:
    """Send the template ``SMS_ACTION_TEMPLATE`` for open SMS-reminder actions due by ``today`` on
    open cases (at most ``limit`` a run). Safe to run twice: each action's message has the
    idempotency key ``action-<id>``, so a second run finds the first message. A refusal that waiting
    does not cure (stop flag, no number) cancels the action with the reason; a cap or the contact
    window leaves it for a later run or schedules it."""
    from collections_app.services.contacts import ContactRefused
    from collections_app.services.messages import plan_message

    actions = list(CaseAction.objects.filter(
        Q(messages__isnull=True), kind=ActionKind.SMS_REMINDER, status=ActionStatus.OPEN, due_on__lte=today,
        case__status=CaseStatus.OPEN,
    ).select_related("case__lender", "case__borrower", "case__assigned_to").order_by("due_on", "id")[:limit])
    counts = {"planned": 0, "cancelled": 0, "waiting": 0}
    for action in actions:
        try:
            plan_message(case=action.case, user=None, channel=Channel.SMS, template_code=settings.SMS_ACTION_TEMPLATE,
                         now=now, idempotency_key=f"action-{action.pk}", action=action)
            counts["planned"] += 1
        except ContactRefused as refused:
            if refused.allowed_from is None:
                cancel_action(action=action, how=_("not sent: %(detail)s") % {"detail": refused.detail}, now=now)
                counts["cancelled"] += 1
            else:
                counts["waiting"] += 1
        except ValidationError as exc:
            cancel_action(action=action, how=_("not sent: %(detail)s") % {"detail": " ".join(exc.messages)}, now=now)
            counts["cancelled"] += 1
    return counts


def supersede_stale_actions(*, now: dt.datetime) -> int:
    """An open action with a newer open action of the same kind on its case no longer applies: it
    becomes superseded (one UPDATE over the book), and the cases it touched get their next action
    again. Run by services.nightly.run.finish_run after every night, whichever backend ran it."""
    newer = CaseAction.objects.filter(case_id=OuterRef("case_id"), kind=OuterRef("kind"), status=ActionStatus.OPEN).filter(
        Q(due_on__gt=OuterRef("due_on")) | Q(due_on=OuterRef("due_on"), id__gt=OuterRef("id")))
    stale = CaseAction.objects.filter(Exists(newer), status=ActionStatus.OPEN)
    case_ids = set(stale.values_list("case_id", flat=True))
    if not case_ids:
        return 0
    count = stale.update(status=ActionStatus.SUPERSEDED, done_at=now, done_how=_("a newer action of the same kind"))
    from collections_app.services.nightly.python.cases import _set_next_actions

    _set_next_actions(list(CollectionCase.objects.filter(id__in=case_ids).only("id", "next_action", "next_action_at")))
    return count
