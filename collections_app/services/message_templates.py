"""Message templates: the save-time checks, choosing a template for a case, and filling it in with
the debt as of the sending day (docs/messages.md). The admin form (MessageTemplate.clean), the API
and the preview page all call these functions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext as _

from collections_app.domain import message_templates as texts
from collections_app.domain.false_threats import forbidden_claims
from collections_app.formats import format_money
from collections_app.models import CollectionCase, Loan, MessageTemplate
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.payoff import loan_payoff, loan_payoff_total

SMS_MAX_CHARS = 500
ZERO = Decimal("0")


def template_errors(*, channel: str, subject: str, body: str, code: str = "",
                    channel_of_code: str | None = None) -> dict[str, list[str]]:
    """Everything wrong with a template's text (field -> messages); empty when it may be saved.
    A forbidden claim (domain.false_threats) or an unknown placeholder refuses it."""
    errors: dict[str, list[str]] = {}
    claims = forbidden_claims(subject, body)
    if claims:
        errors.setdefault("body", []).append(
            _("The text makes a false threat, which collection messages may not: %(claims)s.")
            % {"claims": "; ".join(str(c.label) for c in claims)}
        )
    unknown = texts.unknown_placeholders(subject, body)
    if unknown:
        errors.setdefault("body", []).append(
            _("Unknown placeholders: %(names)s. Known: %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(sorted(texts.PLACEHOLDERS))}
        )
    if not (body or "").strip():
        errors.setdefault("body", []).append(_("The text is empty."))
    if channel == "sms" and len(body or "") > SMS_MAX_CHARS:
        errors.setdefault("body", []).append(
            _("An SMS template has at most %(n)s characters.") % {"n": SMS_MAX_CHARS})
    if channel == "email" and not (subject or "").strip():
        errors.setdefault("subject", []).append(_("An e-mail needs a subject."))
    if code and channel_of_code and channel_of_code != channel:
        errors.setdefault("code", []).append(
            _("The code %(code)s is already used for another channel.") % {"code": code})
    return errors


def save_template(*, template: MessageTemplate, user) -> MessageTemplate:
    """Check and save a template (a new version in its history, recorded with ``user``)."""
    template.full_clean()
    template.updated_by = user if getattr(user, "is_authenticated", False) else None
    template._history_user = template.updated_by
    with transaction.atomic():
        template.save()
    return template


def select_template(*, code: str, case: CollectionCase, channel: str | None = None,
                    language: str | None = None) -> MessageTemplate | None:
    """The active template ``code`` that fits the case best: the case's lender over the default,
    the case's stage over "any", the borrower's language over the other one."""
    language = language or texts.language_for(case.borrower.preferred_language)
    qs = MessageTemplate.objects.filter(
        Q(lender=case.lender_id) | Q(lender__isnull=True),
        Q(stage=case.stage) | Q(stage=texts.ANY_STAGE),
        code=code, is_active=True,
    )
    if channel:
        qs = qs.filter(channel=channel)
    score = (
        Case(When(lender__isnull=False, then=Value(4)), default=Value(0), output_field=IntegerField())
        + Case(When(stage=case.stage, then=Value(2)), default=Value(0), output_field=IntegerField())
        + Case(When(language=language, then=Value(8)), default=Value(0), output_field=IntegerField())
    )
    return qs.annotate(fit=score).order_by("-fit", "id").first()


def current_version(template: MessageTemplate) -> int | None:
    """The id of the template's latest history entry: the version a message is made from."""
    latest = template.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return latest


def case_figures(case: CollectionCase, on_date: dt.date) -> dict[str, Decimal]:
    """The case's overdue amount, penalty and fees, and payoff amount on ``on_date`` by the pure
    engine (selectors.payoff), summed over its loans."""
    loans = list(Loan.objects.filter(case=case).select_related("product", "lender")
                 .prefetch_related("installments", "payments").order_by("id"))
    overdue = penalty = payoff = ZERO
    for loan in loans:
        quote = loan_payoff(loan, on_date)
        payoff += loan_payoff_total(loan, quote)
        if quote is not None:
            overdue += quote["overdue"]
            penalty += quote["penalty"] + quote["late_fees"]
        else:
            overdue += loan.overdue_amount
            penalty += loan.penalty_accrued + loan.fees_accrued
    if not loans:
        overdue, payoff = case.overdue_amount, case.outstanding_amount
    return {"overdue": overdue, "penalty": penalty, "payoff": payoff,
            "loan_refs": ", ".join(loan.external_id for loan in loans)}


def template_values(*, case: CollectionCase, on_date: dt.date | None = None, collector=None) -> dict[str, str]:
    """Every placeholder's value for ``case`` on ``on_date`` (default: the lender's business date)."""
    lender = case.lender
    on_date = on_date or business_date(lender.timezone)
    figures = case_figures(case, on_date)
    collector = collector or case.assigned_to
    phone = lender.collection_phone
    if phone and collector is not None and getattr(collector, "phone_extension", ""):
        phone = f"{phone} ext. {collector.phone_extension}"
    return {
        "borrower_name": case.borrower.name,
        "lender_name": lender.name,
        "loan_ref": figures["loan_refs"],
        "as_of": on_date.isoformat(),
        "dpd": str(case.dpd),
        "overdue_amount": format_money(figures["overdue"]),
        "penalty": format_money(figures["penalty"]),
        "payoff_amount": format_money(figures["payoff"]),
        "payment_account": lender.payment_account,
        "collector_name": (collector.get_full_name() or collector.username) if collector is not None else "",
        "collector_phone": phone,
    }


def render_template(*, template: MessageTemplate, case: CollectionCase, on_date: dt.date | None = None,
                    collector=None) -> tuple[str, str]:
    """(subject, body) of ``template`` filled in for ``case`` with the debt as of ``on_date``."""
    values = template_values(case=case, on_date=on_date, collector=collector)
    return texts.render(template.subject, values), texts.render(template.body, values)


def validate_or_raise(*, channel: str, subject: str, body: str) -> None:
    errors = template_errors(channel=channel, subject=subject, body=body)
    if errors:
        raise ValidationError(errors)


def preview(*, template: MessageTemplate, case: CollectionCase) -> dict:
    """The template filled in for ``case`` with today's figures (the preview page)."""
    subject, body = render_template(template=template, case=case)
    return {"subject": subject, "body": body, "chars": len(body)}
