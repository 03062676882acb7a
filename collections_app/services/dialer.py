"""Call events from a dialer or phone system (docs/disputes.md, "Click-to-call").

    record_call_event(*, call_id, event, number, extension="", case_id=None, at=None, outcome="",
                      duration_seconds=None, recording_url="") -> tuple[ContactLog, bool]
        The first event of a call (``call_id``) logs a phone contact through the contact service,
        as a call that already happened — so the compliance guard still judges it and a call it
        would have refused is flagged for a supervisor's review. Later events of the same call
        update that contact (answered: the outcome; ended: duration and recording). A repeated
        delivery changes nothing. Returns (contact, created).
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import CaseStatus, Channel, CollectionCase, ContactLog, ContactPoint, Outcome
from collections_app.models.choices import CONVERSATION_OUTCOMES

EVENTS = ("started", "answered", "ended")
UNANSWERED = Outcome.NO_ANSWER
ANSWERED = Outcome.RPC  # the dialer cannot tell who answered; the collector corrects it on the page
CALL_OUTCOMES = {o for o in Outcome.values if o not in ("sent",)}


def _digits(number: str) -> str:
    return "".join(ch for ch in (number or "") if ch.isdigit() or ch == "+")


def _find_case(*, number, user, case_id) -> tuple[CollectionCase | None, ContactPoint | None]:
    working = CollectionCase.objects.filter(status__in=(CaseStatus.OPEN, CaseStatus.SUSPENDED)).select_related(
        "lender", "borrower")
    if case_id is not None:
        case = CollectionCase.objects.select_related("lender", "borrower").filter(pk=case_id).first()
        point = ContactPoint.objects.filter(borrower_id=case.borrower_id, value=number).first() if case else None
        return case, point
    points = list(ContactPoint.objects.filter(value=number).only("id", "borrower_id", "relation"))
    cases = list(working.filter(borrower_id__in={p.borrower_id for p in points}))
    if user is not None:  # the collector's own case first
        cases.sort(key=lambda c: c.assigned_to_id != user.pk)
    if not cases:
        return None, None
    case = cases[0]
    return case, next((p for p in points if p.borrower_id == case.borrower_id), None)


def _check(*, call_id, event, number, outcome, duration_seconds, recording_url) -> None:
    errors = {}
    if not call_id or len(call_id) > 100:
        errors["call_id"] = [_("A call id of at most 100 characters is required.")]
    if event not in EVENTS:
        errors["event"] = [_("One of: started, answered, ended.")]
    if not number:
        errors["number"] = [_("The number called is required.")]
    if outcome and outcome not in CALL_OUTCOMES:
        errors["outcome"] = [_("Unknown outcome.")]
    if duration_seconds is not None and duration_seconds < 0:
        errors["duration_seconds"] = [_("A duration cannot be negative.")]
    if recording_url and len(recording_url) > 200:
        errors["recording_url"] = [_("At most 200 characters.")]
    if errors:
        raise ValidationError(errors)


def _update(log: ContactLog, *, event, outcome, duration_seconds, recording_url) -> ContactLog:
    changes = {}
    new_outcome = outcome or (ANSWERED if event == "answered" else "")
    if new_outcome and log.outcome != new_outcome and (outcome or log.outcome == UNANSWERED):
        changes.update(outcome=new_outcome, is_conversation=new_outcome in CONVERSATION_OUTCOMES)
    if duration_seconds is not None:
        note = _("Dialer call, %(n)s s") % {"n": duration_seconds}
        if log.note != note:
            changes["note"] = note
        if log.duration_seconds != duration_seconds:
            changes["duration_seconds"] = duration_seconds
    if recording_url and log.recording_ref != recording_url:
        changes["recording_ref"] = recording_url
    if changes:
        ContactLog.objects.filter(pk=log.pk).update(**changes)
        for k, v in changes.items():
            setattr(log, k, v)
    return log


def record_call_event(*, call_id: str, event: str, number: str, extension: str = "", case_id: int | None = None,
                      at: dt.datetime | None = None, outcome: str = "", duration_seconds: int | None = None,
                      recording_url: str = "") -> tuple[ContactLog, bool]:
    from collections_app.services.contacts import log_contact

    call_id, number = (call_id or "").strip(), _digits(number)
    _check(call_id=call_id, event=event, number=number, outcome=outcome, duration_seconds=duration_seconds,
           recording_url=recording_url)
    existing = ContactLog.objects.filter(dialer_call_id=call_id).first()
    if existing is not None:
        return _update(existing, event=event, outcome=outcome, duration_seconds=duration_seconds,
                       recording_url=recording_url), False
    user = User.objects.filter(phone_extension=extension, is_active=True).first() if extension else None
    case, point = _find_case(number=number, user=user, case_id=case_id)
    if case is None:
        raise ValidationError({"number": [_("No working case has this number.")]})
    first = outcome or (ANSWERED if event == "answered" else UNANSWERED)
    try:
        with transaction.atomic():
            log = log_contact(case=case, user=user, channel=Channel.PHONE, outcome=first, contact_point=point,
                              number_used=number, recording_ref=recording_url, already_happened=True,
                              stop_confirmed=True, now=at or timezone.now())
            ContactLog.objects.filter(pk=log.pk).update(dialer_call_id=call_id)
            log.dialer_call_id = call_id
    except IntegrityError:  # the same call delivered twice at once: the other delivery stored it
        existing = ContactLog.objects.get(dialer_call_id=call_id)
        return _update(existing, event=event, outcome=outcome, duration_seconds=duration_seconds,
                       recording_url=recording_url), False
    return _update(log, event=event, outcome="", duration_seconds=duration_seconds, recording_url=""), True
