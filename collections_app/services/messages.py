"""Outbound messages: planning one behind the compliance rules, sending it once through its
provider, delivery receipts (docs/messages.md). The case page, the API, bulk sends and the strategy's
SMS actions all call :func:`plan_message`; the Celery tasks call :func:`deliver_message`.

    plan_message(*, case, user, channel, template_code, contact_point=None, now=None,
                 idempotency_key=None, action=None) -> Message
        raises contacts.ContactRefused (409: stop flag, third party, message cap, a debt-stating
        text to a third party) or ValidationError (no template, no number or address).
    deliver_message(*, message_id, now=None) -> Message | None
        sends a due message exactly once (the row is claimed by a conditional UPDATE first).
"""
from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.domain import compliance as rules_mod
from collections_app.domain import message_templates as texts
from collections_app.models import (
    ActionStatus,
    Borrower,
    CaseAction,
    CaseStatus,
    Channel,
    CollectionCase,
    ContactKind,
    ContactLog,
    ContactPoint,
    ContactStatus,
    Message,
    MessageStatus,
    Outcome,
    Relation,
)
from collections_app.providers import ProviderError, backend_for
from collections_app.selectors.contact_verdicts import borrower_zone, contact_verdict
from collections_app.services import message_templates
from collections_app.services.contacts import ContactRefused

MESSAGE_CAP = "message_cap"
THIRD_PARTY_DEBT = "third_party_debt"
SENDABLE_CHANNELS = (Channel.SMS, Channel.EMAIL)


def default_recipient(case: CollectionCase, channel: str) -> ContactPoint | None:
    """The borrower's own valid phone (SMS) or e-mail address, primary first."""
    kind = ContactKind.EMAIL if channel == Channel.EMAIL else ContactKind.PHONE
    return (ContactPoint.objects.filter(borrower_id=case.borrower_id, kind=kind, relation=Relation.SELF)
            .exclude(status__in=[ContactStatus.WRONG, ContactStatus.DISCONNECTED])
            .order_by("-is_primary", "id").first())


def _inputs(case, channel, template_code, contact_point):
    errors: dict[str, list] = {}
    if channel not in SENDABLE_CHANNELS:
        errors["channel"] = [_("Messages go by SMS or e-mail.")]
    template = None
    if not errors:
        template = message_templates.select_template(code=template_code or "", case=case, channel=channel)
        if template is None:
            errors["template"] = [_("No active %(channel)s template with this code fits the case.")
                                  % {"channel": channel}]
    if contact_point is None and not errors:
        contact_point = default_recipient(case, channel)
        if contact_point is None:
            errors["contact_point"] = [_("The borrower has no valid number or address for this channel.")]
    elif contact_point is not None and contact_point.borrower_id != case.borrower_id:
        errors["contact_point"] = [_("This contact point belongs to another borrower.")]
    if case.status == CaseStatus.CLOSED:
        errors["__all__"] = [_("This case is closed.")]
    if errors:
        raise ValidationError(errors)
    return template, contact_point


def messages_on_day(*, borrower: Borrower, day_start: dt.datetime, day_end: dt.datetime) -> int:
    """Messages planned for the borrower in [day_start, day_end) that count towards the daily cap
    (every one not failed)."""
    return (Message.objects.filter(borrower=borrower, send_at__gte=day_start, send_at__lt=day_end)
            .exclude(status=MessageStatus.FAILED).count())


def send_time(*, case: CollectionCase, contact_point: ContactPoint, channel: str, now: dt.datetime) -> dt.datetime:
    """``now`` when the rules allow the message now; the start of the next allowed window (the
    borrower's time zone) when only the time of day stands in the way. Raises ContactRefused when
    waiting does not help (stop flags, third parties before their bucket)."""
    verdict = contact_verdict(case, now=now, contact_point=contact_point, channel=channel)
    if verdict.allowed:
        return now
    if verdict.allowed_from is None:
        raise ContactRefused(verdict.rule, verdict.detail, None)
    return verdict.allowed_from


def check_cap(*, case, borrower, contact_point, channel, send_at: dt.datetime) -> None:
    """The lender's daily message cap for the borrower's local day of ``send_at`` (borrower locked)."""
    cap = case.lender.max_messages_per_day
    tz = borrower_zone(borrower, case.lender)
    start, end = rules_mod.local_day_bounds(send_at, tz)
    if messages_on_day(borrower=borrower, day_start=start, day_end=end) < cap:
        return
    allowed_from = None
    if cap:
        allowed_from = send_time(case=case, contact_point=contact_point, channel=channel, now=end)
    raise ContactRefused(
        MESSAGE_CAP,
        _("The borrower has already had %(n)s messages planned for that day (local day).") % {"n": cap},
        allowed_from,
    )


def plan_message(*, case: CollectionCase, user, channel: str, template_code: str,
                 contact_point: ContactPoint | None = None, now: dt.datetime | None = None,
                 idempotency_key: str | None = None, action=None) -> Message:
    """Render the template for the case and store the message, due now or at the next allowed
    time; it is sent after the transaction commits (now) or by the beat sweep (later)."""
    if idempotency_key:
        existing = Message.objects.filter(idempotency_key=idempotency_key, case=case).first()
        if existing is not None:
            return existing
    template, contact_point = _inputs(case, channel, template_code, contact_point)
    third_party = contact_point.is_third_party
    if third_party and texts.states_debt(template.subject, template.body):
        raise ContactRefused(THIRD_PARTY_DEBT,
                             _("This template states the debt; messages to third parties may not."), None)
    clock_given = now is not None
    with transaction.atomic():
        borrower = Borrower.objects.select_for_update().get(pk=case.borrower_id)
        now = now if clock_given else timezone.now()
        case.borrower = borrower
        send_at = send_time(case=case, contact_point=contact_point, channel=channel, now=now)
        check_cap(case=case, borrower=borrower, contact_point=contact_point, channel=channel, send_at=send_at)
        on_date = send_at.astimezone(rules_mod.zone(case.lender.timezone, settings.TIME_ZONE)).date()
        if settings.BUSINESS_DATE:
            on_date = dt.date.fromisoformat(str(settings.BUSINESS_DATE))
        subject, body = message_templates.render_template(template=template, case=case, on_date=on_date)
        message = Message.objects.create(
            case=case, borrower=borrower, contact_point=contact_point, channel=channel, template=template,
            template_version=message_templates.current_version(template), to_address=contact_point.value,
            is_third_party=third_party, subject=subject, body=body, send_at=send_at,
            idempotency_key=idempotency_key or uuid.uuid4().hex, action=action,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        if send_at <= now:
            transaction.on_commit(lambda: enqueue(message))
    return message


def enqueue(message: Message) -> None:
    from collections_app.tasks.messages import send_email_message, send_sms_message

    task = send_email_message if message.channel == Channel.EMAIL else send_sms_message
    task.delay(message.pk)


def claim(*, message_id: int, now: dt.datetime) -> bool:
    """Take a due message for sending: one conditional UPDATE, so of two deliveries of the same task
    (or a task and the sweep) exactly one gets it."""
    return bool(Message.objects.filter(pk=message_id, status=MessageStatus.SCHEDULED, claimed_at__isnull=True,
                                       send_at__lte=now).update(claimed_at=now))


def _fail(message: Message, error: str, action_status: str = ActionStatus.FAILED) -> Message:
    """The message failed; the strategy action it carried out (if any) ends with ``action_status``
    and the reason: failed (the provider refused it), skipped (a stop flag), superseded (the case closed)."""
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, error=error[:500])
    message.status, message.error = MessageStatus.FAILED, error[:500]
    if message.action_id:
        from collections_app.services.actions import end_actions, system

        end_actions(actions=CaseAction.objects.filter(pk=message.action_id), status=action_status,
                    how=system(error), now=timezone.now())
    return message


def deliver_message(*, message_id: int, now: dt.datetime | None = None) -> Message | None:
    """Send one due message through its channel's backend; None when it was not due or already
    taken. A stop flag set or a case closed since it was planned fails it unsent."""
    now = now or timezone.now()
    if not claim(message_id=message_id, now=now):
        return None
    message = Message.objects.select_related("borrower", "case").get(pk=message_id)
    if message.borrower.stop_flags:
        return _fail(message, _("Not sent: collection contact stopped (%(flags)s).") % {
            "flags": ", ".join(rules_mod.stop_flag_label(f) for f in message.borrower.stop_flags)},
            ActionStatus.SKIPPED)
    if message.case.status == CaseStatus.CLOSED:
        return _fail(message, _("Not sent: the case closed."), ActionStatus.SUPERSEDED)
    backend = backend_for(message.channel)
    try:
        provider_id = backend.send(message)
    except ProviderError as exc:
        return _fail(message, str(exc.detail))
    return record_sent(message=message, provider=backend.name, provider_id=provider_id, now=timezone.now())


def record_sent(*, message: Message, provider: str, provider_id: str, now: dt.datetime) -> Message:
    """The provider accepted the message: it is sent, and a contact on the case's timeline."""
    with transaction.atomic():
        contact = ContactLog.objects.create(
            case_id=message.case_id, borrower_id=message.borrower_id, user=message.created_by,
            channel=message.channel, outcome=Outcome.SENT, contact_point=message.contact_point,
            number_used=message.to_address[:300], is_third_party=message.is_third_party, is_attempt=False,
            is_conversation=False, note=(f"{message.subject}\n{message.body}" if message.subject else message.body),
            occurred_at=now,
        )
        Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, sent_at=now, provider=provider,
                                                     provider_id=provider_id, contact=contact, error="")
        message.status, message.sent_at, message.provider, message.provider_id = (
            MessageStatus.SENT, now, provider, provider_id)
        message.contact = contact
        if message.action_id:
            from collections_app.services.actions import complete_action

            complete_action(action_id=message.action_id, by=message.created_by, how=_("message sent"), now=now)
    return message


def record_receipt(*, provider_id: str, delivered: bool, error: str = "", now: dt.datetime | None = None) -> int:
    """A delivery receipt: the sent message becomes delivered or failed. Returns the rows changed
    (0 for an unknown id or a repeated receipt)."""
    now = now or timezone.now()
    qs = Message.objects.filter(provider_id=provider_id, status=MessageStatus.SENT)
    if delivered:
        return qs.update(status=MessageStatus.DELIVERED, delivered_at=now)
    return qs.update(status=MessageStatus.FAILED, error=(error or _("not delivered"))[:500])


def due_message_ids(*, now: dt.datetime, limit: int = 1000) -> list[tuple[int, str]]:
    """(id, channel) of scheduled messages due and not taken, oldest first."""
    return list(Message.objects.filter(status=MessageStatus.SCHEDULED, claimed_at__isnull=True, send_at__lte=now)
                .order_by("send_at", "id").values_list("id", "channel")[:limit])


def fail_stale_claims(*, now: dt.datetime) -> int:
    """Messages taken by a sender that died mid-send: failed with the reason, never sent again."""
    cutoff = now - dt.timedelta(minutes=settings.MESSAGE_CLAIM_TIMEOUT_MINUTES)
    rows = list(Message.objects.filter(status=MessageStatus.SCHEDULED, claimed_at__lt=cutoff)
                .values_list("id", "action_id"))
    action_ids = [a for _id, a in rows if a]
    error = _("The sender stopped before the provider answered; not sent again.")
    count = Message.objects.filter(id__in=[i for i, _a in rows], status=MessageStatus.SCHEDULED).update(
        status=MessageStatus.FAILED, error=error)
    if action_ids:
        from collections_app.services.actions import end_actions, system

        end_actions(actions=CaseAction.objects.filter(pk__in=action_ids), status=ActionStatus.FAILED,
                    how=system(error), now=now)
    return count
