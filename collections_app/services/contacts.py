"""Logging contacts behind the compliance guard — one service for the page, the API and commands.

    class ContactRefused(Exception):
        rule: str            # machine-readable rule code, e.g. "contact_hours", "daily_cap"
        detail: str          # translated human message
        allowed_from: datetime | None   # aware datetime when contact becomes allowed, None = not by waiting

Whether a contact is allowed now (the verdict, for the page, the queue and this service) is a read:
selectors.contact_verdicts.

    def log_contact(*, case, user, channel, outcome, contact_point=None, number_used="", note="",
                    promise_amount=None, promise_date=None, callback_at=None, overdue_reason="",
                    borrower_type="", recording=None, recording_ref="", already_happened=False,
                    stop_confirmed=True, stop_reason="", now=None) -> ContactLog
        raises ContactRefused when the compliance rules forbid the attempt (nothing is stored),
        unless ``already_happened``: the contact really took place (a number dialled by hand), so
        it is stored flagged with the rule it broke (``breach_rule``; still a call attempt for the
        caps) and a supervisor gets a quality-review request (approval kind rule_breach).
        An outcome that sets a stop flag (dispute, deceased, cease_contact, bankruptcy, lawyer) needs
        ``stop_confirmed`` (the page asks; API callers confirm by choosing the outcome) and records
        ``stop_reason`` (else the note): services.stop_flags.set_stop_flag.
        django.core.exceptions.ValidationError for bad input (field -> messages).
        Three steps, each a function: validate_contact -> check_compliance (contact_verdict, the one
        place a verdict is built from the database) -> write_contact; a promise is taken by
        services.promises.take_promise, as on the API.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.domain import compliance as rules_mod
from collections_app.domain.compliance import Verdict
from collections_app.models import (
    ActionKind,
    ApprovalKind,
    ApprovalRequest,
    Borrower,
    BorrowerType,
    CaseStatus,
    Channel,
    CollectionCase,
    ContactLog,
    ContactPoint,
    ContactStatus,
    Outcome,
    OverdueReason,
)
from collections_app.models.choices import CONVERSATION_OUTCOMES
from collections_app.selectors.contact_verdicts import contact_verdict, is_third_party_contact, lender_zone
from collections_app.services import limitation, promises, stop_flags
from collections_app.services.inputs import MONEY_LIMIT, text_errors
from collections_app.services.notes import NOTE_MAX_LENGTH, note_too_long
from collections_app.services.recordings import recording_errors

RETRY_AFTER_NO_ANSWER = dt.timedelta(hours=2)


class ContactRefused(Exception):
    def __init__(self, rule: str, detail: str, allowed_from: dt.datetime | None = None):
        super().__init__(detail)
        self.rule = rule
        self.detail = detail
        self.allowed_from = allowed_from

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "detail": str(self.detail),
            "allowed_from": self.allowed_from.isoformat() if self.allowed_from else None,
        }


# --- validation --------------------------------------------------------------------------------

def _money(value, field, errors):
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Enter an amount such as 1500.00."))
        return None
    if not amount.is_finite() or amount <= 0:
        errors.setdefault(field, []).append(_("The promised amount must be greater than zero."))
        return None
    if amount >= MONEY_LIMIT:
        errors.setdefault(field, []).append(_("The amount is too large."))
        return None
    return amount.quantize(Decimal("0.01"))


def _date(value, field, errors):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.setdefault(field, []).append(_("Enter a date as YYYY-MM-DD."))
        return None


def _aware(value, field, errors, tz):
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors.setdefault(field, []).append(_("Enter a date and time as YYYY-MM-DD HH:MM."))
            return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        errors.setdefault(field, []).append(_("Enter a date and time as YYYY-MM-DD HH:MM."))
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=tz)
    return value


# --- the service ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContactInput:
    """A contact's cleaned input (what :func:`validate_contact` returns)."""

    channel: str
    outcome: str
    contact_point: ContactPoint | None
    number_used: str
    note: str
    promise_amount: Decimal | None
    promise_date: dt.date | None
    callback_at: dt.datetime | None
    overdue_reason: str
    borrower_type: str
    recording_ref: str
    already_happened: bool = False
    stop_reason: str = ""


def log_contact(
    *,
    case,
    user,
    channel,
    outcome,
    contact_point=None,
    number_used="",
    note="",
    promise_amount=None,
    promise_date=None,
    callback_at=None,
    overdue_reason="",
    borrower_type="",
    recording=None,
    recording_ref="",
    already_happened=False,
    stop_confirmed=True,
    stop_reason="",
    now=None,
) -> ContactLog:
    """Validate, check compliance and store one contact with its consequences, atomically.

    The borrower row is locked for the check and the write, and the time of the attempt is read
    after the lock, so two simultaneous attempts cannot both pass a cap. A refused or invalid
    contact stores nothing, unless ``already_happened`` (see the module's docstring)."""
    clock_given = now is not None
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be aware")
    entry = validate_contact(
        case=case, channel=channel, outcome=outcome, contact_point=contact_point, number_used=number_used,
        note=note, promise_amount=promise_amount, promise_date=promise_date, callback_at=callback_at,
        overdue_reason=overdue_reason, borrower_type=borrower_type, recording=recording, recording_ref=recording_ref,
        now=now, already_happened=already_happened, stop_confirmed=stop_confirmed, stop_reason=stop_reason,
    )
    with transaction.atomic():
        # FOR NO KEY UPDATE: concurrent contacts with one borrower still wait for each other (the caps
        # hold), but the foreign-key checks of other writers (KEY SHARE: the nightly run committing a
        # chunk that references this borrower) do not — with FOR UPDATE the two deadlocked, the
        # contact holding the borrower and waiting for the case, the run the other way round
        borrower = Borrower.objects.select_for_update(no_key=True).get(pk=case.borrower_id)
        if not clock_given:
            # a clock read before the lock could be earlier than an attempt another request
            # stored while this one waited
            now = timezone.now()
        case.borrower = borrower
        breach = check_compliance(case=case, entry=entry, now=now)
        log = write_contact(case=case, borrower=borrower, user=user, entry=entry, recording=recording, now=now,
                            breach=breach)
    return log


def validate_contact(*, case, channel, outcome, contact_point, number_used, note, promise_amount, promise_date,
                     callback_at, overdue_reason, borrower_type, recording_ref, now, already_happened=False,
                     stop_confirmed=True, stop_reason="", recording=None) -> ContactInput:
    """The cleaned input, or django ValidationError (field -> messages) listing everything wrong."""
    errors: dict[str, list] = {}
    channel = channel or ""
    outcome = outcome or ""
    if channel not in Channel.values:
        errors.setdefault("channel", []).append(_("Choose a channel."))
    if outcome not in Outcome.values:
        errors.setdefault("outcome", []).append(_("Choose an outcome."))
    if overdue_reason and overdue_reason not in OverdueReason.values:
        errors.setdefault("overdue_reason", []).append(_("Unknown overdue reason."))
    if borrower_type and borrower_type not in BorrowerType.values:
        errors.setdefault("borrower_type", []).append(_("Unknown borrower type."))
    if contact_point is not None and contact_point.borrower_id != case.borrower_id:
        errors.setdefault("contact_point", []).append(_("This contact point belongs to another borrower."))
    if note and len(note) > NOTE_MAX_LENGTH:
        errors.setdefault("note", []).append(note_too_long(note))
    for field, messages in text_errors({"note": (note, None), "number_used": (number_used, 300),
                                        "recording_ref": (recording_ref, 200)}).items():
        errors.setdefault(field, []).extend(messages)
    if recording and (problems := recording_errors(upload=recording)):
        errors["recording"] = problems
    stop_flag = rules_mod.STOP_FLAG_FOR_OUTCOME.get(outcome)
    if stop_flag and not stop_confirmed:
        errors.setdefault("confirm_stop", []).append(
            _("“%(outcome)s” stops all collection contact with this borrower and sends the case to a supervisor. "
              "Confirm it, and say why.") % {"outcome": Outcome(outcome).label}
        )
    if stop_reason and len(stop_reason) > stop_flags.REASON_MAX:
        errors.setdefault("stop_reason", []).append(
            _("The reason is too long: at most %(max)s characters (this one has %(n)s).")
            % {"max": stop_flags.REASON_MAX, "n": len(stop_reason)}
        )

    ltz = lender_zone(case.lender)
    today = now.astimezone(ltz).date()
    amount = _money(promise_amount, "promise_amount", errors)
    pdate = _date(promise_date, "promise_date", errors)
    callback = _aware(callback_at, "callback_at", errors, ltz)
    wants_promise = amount is not None or pdate is not None or promise_amount not in (None, "") or promise_date not in (None, "")
    if outcome == Outcome.PROMISE:
        if promise_amount in (None, ""):
            errors.setdefault("promise_amount", []).append(_("A promise needs an amount."))
        if promise_date in (None, ""):
            errors.setdefault("promise_date", []).append(_("A promise needs a date."))
    elif wants_promise and outcome in Outcome.values:
        errors.setdefault("outcome", []).append(_("To record a promise choose the outcome “Promise to pay”."))
    # the promise's own rules, under this form's field names
    for field, messages in promises.promise_errors(case=case, amount=amount, date=pdate, today=today).items():
        errors.setdefault(PROMISE_FIELDS.get(field, field), []).extend(messages)
    if callback is not None and callback <= now:
        errors.setdefault("callback_at", []).append(_("The callback time must be in the future."))
    if case.status == CaseStatus.CLOSED:
        errors.setdefault("__all__", []).append(_("This case is closed."))
    if errors:
        raise ValidationError(errors)
    return ContactInput(
        channel=channel, outcome=outcome, contact_point=contact_point, number_used=number_used or "",
        note=note or "", promise_amount=amount, promise_date=pdate, callback_at=callback,
        overdue_reason=overdue_reason or "", borrower_type=borrower_type or "", recording_ref=recording_ref or "",
        already_happened=bool(already_happened), stop_reason=(stop_reason or "").strip(),
    )


# the promise service's field names -> this form's
PROMISE_FIELDS = {"amount": "promise_amount", "promised_date": "promise_date"}


def check_compliance(*, case: CollectionCase, entry: ContactInput, now: dt.datetime) -> Verdict | None:
    """Raises ContactRefused when the rules forbid this contact at ``now`` (case.borrower locked);
    for a contact that already happened, returns the refusing verdict instead (the breach to
    record). None when the contact is allowed."""
    verdict = contact_verdict(case, now=now, contact_point=entry.contact_point, channel=entry.channel,
                              third_party=is_third_party_contact(entry.contact_point, entry.outcome))
    if verdict.allowed:
        return None
    if entry.already_happened:
        return verdict
    raise ContactRefused(verdict.rule, verdict.detail, verdict.allowed_from)


def write_contact(*, case, borrower, user, entry: ContactInput, recording, now, breach: Verdict | None = None) -> ContactLog:
    """Store the contact and its consequences (promise, borrower type, wrong number, stop flag, the
    case); a ``breach`` (the refusal of a contact that already happened) is stored on the contact
    and sent to a supervisor's quality review."""
    contact_point = entry.contact_point
    is_third_party = is_third_party_contact(contact_point, entry.outcome)
    log = ContactLog(
        case=case,
        borrower=borrower,
        user=user if getattr(user, "is_authenticated", False) else None,
        channel=entry.channel,
        outcome=entry.outcome,
        contact_point=contact_point,
        number_used=(entry.number_used or (contact_point.value if contact_point is not None else ""))[:300],
        is_third_party=is_third_party,
        is_attempt=entry.channel == Channel.PHONE,
        is_conversation=entry.outcome in CONVERSATION_OUTCOMES,
        note=entry.note,
        overdue_reason=entry.overdue_reason,
        borrower_type=entry.borrower_type,
        callback_at=entry.callback_at,
        recording_ref=entry.recording_ref[:200],
        occurred_at=now,
        breach_rule=breach.rule if breach is not None else "",
        breach_detail=str(breach.detail or "")[:300] if breach is not None else "",
    )
    if recording:
        log.recording = recording
    log.save()
    if breach is not None:
        ApprovalRequest.objects.create(
            kind=ApprovalKind.RULE_BREACH, case=case, requested_by=log.user,
            reason=_("%(rule)s: %(detail)s") % {"rule": rules_mod.rule_label(breach.rule), "detail": breach.detail},
            payload={"contact_id": log.pk, "rule": breach.rule, "occurred_at": now.isoformat(),
                     "channel": entry.channel, "outcome": entry.outcome},
        )

    if entry.channel == Channel.PHONE:  # the case's call tasks due by today are done (services.actions);
        # first: the case's next action is recomputed, then a promise or a callback sets the next call
        from collections_app.services.actions import complete_call_actions

        complete_call_actions(case=case, user=log.user, today=now.astimezone(lender_zone(case.lender)).date(), now=now)
    promise = None
    if entry.outcome == Outcome.PROMISE:
        promise = promises.take_promise(case=case, borrower=borrower, user=log.user, amount=entry.promise_amount,
                                        date=entry.promise_date, contact=log, now=now)
    if entry.borrower_type:
        Borrower.objects.filter(pk=borrower.pk).update(borrower_type=entry.borrower_type)
        borrower.borrower_type = entry.borrower_type
    if entry.outcome == Outcome.WRONG_NUMBER and contact_point is not None:
        ContactPoint.objects.filter(pk=contact_point.pk).update(status=ContactStatus.WRONG, updated_at=now)
        contact_point.status = ContactStatus.WRONG
    flag = rules_mod.STOP_FLAG_FOR_OUTCOME.get(entry.outcome)
    if flag:
        stop_flags.set_stop_flag(case=case, borrower=borrower, flag=flag, user=log.user,
                                 reason=entry.stop_reason or entry.note, contact=log, now=now)

    _update_case(case, log=log, promise=promise, callback=entry.callback_at, now=now,
                 overdue_reason=entry.overdue_reason)
    if promise is None and limitation.is_demand_contact(channel=log.channel, outcome=log.outcome,
                                                        is_third_party=log.is_third_party):
        limitation.refresh_limitation_dates(case_ids=[case.pk])  # a demand restarts the period
    log.promise_obj = promise
    return log


def _update_case(case, *, log, promise, callback, now, overdue_reason):
    """The case after a contact. A promise has already set the next call (promises.take_promise);
    a callback time, when given, overrides it."""
    changes = {"last_contact_at": now, "last_outcome": log.outcome, "updated_at": now}
    if case.first_worked_at is None:
        changes["first_worked_at"] = now
    if overdue_reason:
        changes["overdue_reason"] = overdue_reason
    if callback is not None:
        changes.update(callback_at=callback, next_action_at=callback, next_action=ActionKind.CALL)
    else:
        if case.callback_at is not None and case.callback_at <= now:
            changes["callback_at"] = None  # the scheduled callback is done
        if promise is None and log.outcome in (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.SWITCHED_OFF):
            changes.update(next_action_at=now + RETRY_AFTER_NO_ANSWER, next_action=ActionKind.CALL)
    CollectionCase.objects.filter(pk=case.pk).update(**changes)
    for k, v in changes.items():
        setattr(case, k, v)
