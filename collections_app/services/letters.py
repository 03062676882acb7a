"""Letters (docs/messages.md, "Letters"): an overdue notice (逾期催收函) or a lawyer's letter (律师函)
written from its letter template with the debt as of the day, stored as a private PDF with the case;
a lawyer's letter waits for a supervisor's approval (ApprovalKind.LETTER) before it may be sent; a
sent letter is a contact on the timeline (channel letter) — a demand, whose date the statute of
limitations counts from.

    produce_letter(*, case, user, kind, language=None, now=None) -> Letter
    send_letter(*, letter, user, now=None) -> Letter
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.domain import compliance as rules_mod
from collections_app.domain.message_templates import language_for
from collections_app.letters_pdf import render_letter_pdf
from collections_app.models import (
    ApprovalKind,
    ApprovalStatus,
    CaseStatus,
    Channel,
    CollectionCase,
    ContactLog,
    Letter,
    LetterKind,
    LetterStatus,
    Outcome,
    TemplateChannel,
)
from collections_app.services import message_templates

TEMPLATE_FOR_KIND = {LetterKind.OVERDUE_NOTICE: "overdue_notice", LetterKind.LAWYER: "lawyer_letter"}
NEEDS_APPROVAL = frozenset({LetterKind.LAWYER})


def letter_date(case: CollectionCase, now: dt.datetime) -> dt.date:
    if settings.BUSINESS_DATE:
        return dt.date.fromisoformat(str(settings.BUSINESS_DATE))
    return now.astimezone(rules_mod.zone(case.lender.timezone, settings.TIME_ZONE)).date()


def produce_letter(*, case: CollectionCase, user, kind: str, language: str | None = None,
                   now: dt.datetime | None = None) -> Letter:
    """Write the letter and its PDF; a lawyer's letter is sent to a supervisor for approval."""
    now = now or timezone.now()
    errors = {}
    if kind not in TEMPLATE_FOR_KIND:
        errors["kind"] = [_("Choose an overdue notice or a lawyer's letter.")]
    if case.status == CaseStatus.CLOSED:
        errors["__all__"] = [_("This case is closed.")]
    if errors:
        raise ValidationError(errors)
    language = language or language_for(case.borrower.preferred_language)
    template = message_templates.select_template(code=TEMPLATE_FOR_KIND[kind], case=case,
                                                 channel=TemplateChannel.LETTER, language=language)
    on_date = letter_date(case, now)
    if template is None:
        reason = _("No active letter template fits this case.")
        from collections_app.services.actions import fail_letter_actions

        fail_letter_actions(case=case, kind=kind, reason=reason, today=on_date, now=now)  # not producible
        raise ValidationError({"kind": [reason]})
    title, body = message_templates.render_template(template=template, case=case, on_date=on_date)
    figures = message_templates.case_figures(case, on_date)
    pdf = render_letter_pdf(title=title or LetterKind(kind).label, body=body, author=case.lender.name)
    by = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        letter = Letter.objects.create(case=case, kind=kind, status=LetterStatus.DRAFT, address=case.borrower.address,
                                       amount_as_of=figures["payoff"], as_of=on_date, body=body, created_by=by,
                                       language=template.language)
        letter.pdf.save(f"letter-{letter.pk}.pdf", ContentFile(pdf), save=True)
        if kind not in NEEDS_APPROVAL:  # a letter of legal weight counts once approved and sent (send_letter)
            from collections_app.services.actions import complete_letter_actions

            complete_letter_actions(case=case, kind=kind, user=by, today=on_date, now=now, how=_("letter produced"))
        else:
            from collections_app.services.approvals import request_approval

            # one pending letter approval per case: a second lawyer's letter while one waits is refused
            request_approval(kind=ApprovalKind.LETTER, case=case, user=by,
                             reason=_("Lawyer's letter of %(d)s") % {"d": on_date.isoformat()},
                             payload={"letter_id": letter.pk})
            letter.refresh_from_db()
    return letter


def send_letter(*, letter: Letter, user, now: dt.datetime | None = None) -> Letter:
    """Record the letter as sent (dispatched by post or handed over): a contact on the timeline with
    channel letter. A lawyer's letter must have been approved first."""
    now = now or timezone.now()
    letter = Letter.objects.select_related("case__borrower", "approval").get(pk=letter.pk)
    if letter.status != LetterStatus.DRAFT:
        raise ValidationError({"__all__": [_("Only a draft letter can be sent (this one is %(s)s).")
                                           % {"s": letter.get_status_display()}]})
    if letter.kind in NEEDS_APPROVAL and (letter.approval is None or letter.approval.status != ApprovalStatus.APPROVED):
        raise ValidationError({"__all__": [_("A lawyer's letter is sent only after a supervisor approved it.")]})
    by = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        changed = Letter.objects.filter(pk=letter.pk, status=LetterStatus.DRAFT).update(
            status=LetterStatus.SENT, sent_at=now)
        if not changed:  # sent meanwhile by someone else
            return Letter.objects.get(pk=letter.pk)
        ContactLog.objects.create(
            case=letter.case, borrower=letter.case.borrower, user=by, channel=Channel.LETTER, outcome=Outcome.SENT,
            number_used=letter.address[:300], is_attempt=False, is_conversation=False,
            note=f"{letter.get_kind_display()} ({letter.as_of.isoformat()})", occurred_at=now,
        )
        if letter.kind in NEEDS_APPROVAL:  # approved (checked above) and dispatched: its action is done
            from collections_app.services.actions import complete_letter_actions

            complete_letter_actions(case=letter.case, kind=letter.kind, user=by, today=letter_date(letter.case, now),
                                    now=now, how=_("letter approved and sent"))
    letter.refresh_from_db()
    return letter
