"""Bulk sends (docs/messages.md, "Campaigns"): a supervisor selects open cases by a filter and a
template, previews how many messages would go now, later (outside the contact window) or not at all
(with the reasons), and sends; the Celery task plans each case's message through
services.messages.plan_message (the same rules and cap as one message), counting as it goes.

    select_cases(*, user, filters) -> QuerySet      (the cases the user may see)
    preview(*, user, filters, channel, template_code, now) -> dict
    start_campaign(*, user, filters, channel, template_code) -> Campaign
    run_campaign(*, campaign_id, now=None) -> Campaign
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.domain import compliance as rules_mod
from collections_app.models import (
    Campaign,
    CaseStatus,
    CollectionCase,
    ContactKind,
    ContactPoint,
    ContactStatus,
    Message,
    MessageStatus,
    PromiseStatus,
    PromiseToPay,
    Relation,
)
from collections_app.selectors.contact_verdicts import rules_for
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.visibility import cases_visible_to
from collections_app.services import message_templates
from collections_app.services.contacts import ContactRefused

FILTER_KEYS = ("bucket", "lender", "dpd_min", "dpd_max", "promise_due_tomorrow")
NO_NUMBER = "no_recipient"
NO_TEMPLATE = "no_template"


def clean_filters(raw) -> dict:
    """The filter from a form or the stored campaign: bucket code, lender code, DPD range,
    promise due tomorrow."""
    out = {}
    for key in ("bucket", "lender"):
        if (raw.get(key) or "").strip():
            out[key] = raw.get(key).strip()[:50]
    for key in ("dpd_min", "dpd_max"):
        value = str(raw.get(key) or "").strip()
        if value:
            if not value.isdigit():
                raise ValidationError({key: [_("Enter a whole number of days.")]})
            out[key] = int(value)
    if str(raw.get("promise_due_tomorrow") or "") in ("1", "on", "true", "True"):
        out["promise_due_tomorrow"] = True
    return out


def select_cases(*, user, filters: dict):
    qs = cases_visible_to(user, CollectionCase.objects.filter(status=CaseStatus.OPEN))
    if filters.get("bucket"):
        qs = qs.filter(bucket=filters["bucket"])
    if filters.get("lender"):
        qs = qs.filter(lender__code=filters["lender"])
    if filters.get("dpd_min") is not None:
        qs = qs.filter(dpd__gte=filters["dpd_min"])
    if filters.get("dpd_max") is not None:
        qs = qs.filter(dpd__lte=filters["dpd_max"])
    if filters.get("promise_due_tomorrow"):
        tomorrow = business_date() + dt.timedelta(days=1)
        qs = qs.filter(id__in=PromiseToPay.objects.filter(status=PromiseStatus.PENDING, promised_date=tomorrow)
                       .values("case_id"))
    return qs


def _verdicts(cases, *, channel: str, template_code: str, now: dt.datetime) -> list[tuple[int, str, str]]:
    """(case id, "now" | "later" | "never", reason) per case: a fixed number of queries whatever
    the number of cases (the rules are the pure ones of domain.compliance)."""
    cases = list(cases.select_related("lender", "borrower"))
    kind = ContactKind.EMAIL if channel == "email" else ContactKind.PHONE
    reachable = set(ContactPoint.objects.filter(
        borrower_id__in=[c.borrower_id for c in cases], kind=kind, relation=Relation.SELF,
    ).exclude(status__in=[ContactStatus.WRONG, ContactStatus.DISCONNECTED]).values_list("borrower_id", flat=True))
    since = now - dt.timedelta(days=2)
    sent_at: dict[int, list] = {}
    for borrower_id, at in Message.objects.filter(borrower_id__in=[c.borrower_id for c in cases],
                                                  send_at__gte=since).exclude(
            status=MessageStatus.FAILED).values_list("borrower_id", "send_at"):
        sent_at.setdefault(borrower_id, []).append(at)
    has_template = {}
    out = []
    for case in cases:
        key = (case.lender_id, case.stage, case.borrower.preferred_language[:2])
        if key not in has_template:
            has_template[key] = message_templates.select_template(code=template_code, case=case,
                                                                  channel=channel) is not None
        if not has_template[key]:
            out.append((case.pk, "never", NO_TEMPLATE))
            continue
        if case.borrower_id not in reachable:
            out.append((case.pk, "never", NO_NUMBER))
            continue
        rules = rules_for(case.lender, case.borrower)
        verdict = rules_mod.check_contact(rules=rules, now=now, channel=channel, stop_flags=case.borrower.stop_flags)
        if not verdict.allowed and verdict.allowed_from is None:
            out.append((case.pk, "never", verdict.rule))
            continue
        at = now if verdict.allowed else verdict.allowed_from
        start, end = rules_mod.local_day_bounds(at, rules.tz)
        planned = sum(1 for t in sent_at.get(case.borrower_id, []) if start <= t < end)
        if planned >= case.lender.max_messages_per_day:
            out.append((case.pk, "never", "message_cap"))
            continue
        out.append((case.pk, "now" if verdict.allowed else "later", ""))
    return out


def preview(*, user, filters: dict, channel: str, template_code: str, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    rows = _verdicts(select_cases(user=user, filters=filters), channel=channel, template_code=template_code, now=now)
    when = Counter(w for _id, w, _r in rows)
    return {"total": len(rows), "now": when["now"], "later": when["later"], "never": when["never"],
            "reasons": dict(Counter(r for _id, w, r in rows if w == "never"))}


def start_campaign(*, user, filters: dict, channel: str, template_code: str) -> Campaign:
    if channel not in ("sms", "email"):
        raise ValidationError({"channel": [_("Messages go by SMS or e-mail.")]})
    ids = list(select_cases(user=user, filters=filters).order_by("id").values_list("id", flat=True))
    if not ids:
        raise ValidationError({"__all__": [_("No open case matches the filter.")]})
    campaign = Campaign.objects.create(channel=channel, template_code=template_code, filters=filters, case_ids=ids,
                                       total=len(ids), created_by=user)
    from collections_app.tasks.messages import run_campaign as task

    transaction.on_commit(lambda: task.delay(campaign.pk))
    return campaign


def run_campaign(*, campaign_id: int, now: dt.datetime | None = None) -> Campaign:
    """Plan each case's message; safe to deliver twice or to resume after a kill: each message has
    the idempotency key campaign-<id>-<case>, and the counters are recounted from the messages."""
    from collections_app.services.messages import plan_message

    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status == Campaign.Status.DONE:
        return campaign
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.RUNNING)
    cases = {c.pk: c for c in CollectionCase.objects.filter(pk__in=campaign.case_ids).select_related("lender", "borrower")}
    reasons: Counter = Counter()
    when: Counter = Counter()
    for n, case_id in enumerate(campaign.case_ids, start=1):
        case = cases.get(case_id)
        try:
            if case is None or case.status != CaseStatus.OPEN:
                raise ValidationError(_("case closed"))
            message = plan_message(case=case, user=campaign.created_by, channel=campaign.channel,
                                   template_code=campaign.template_code, now=now,
                                   idempotency_key=f"campaign-{campaign.pk}-{case_id}")
            when["now" if message.send_at <= (now or timezone.now()) else "later"] += 1
        except ContactRefused as refused:
            reasons[refused.rule] += 1
        except ValidationError as exc:
            reasons[NO_NUMBER if "contact_point" in getattr(exc, "error_dict", {}) else NO_TEMPLATE] += 1
        if n % 20 == 0 or n == len(campaign.case_ids):
            Campaign.objects.filter(pk=campaign.pk).update(
                processed=n, sent_now=when["now"], scheduled=when["later"], refused=sum(reasons.values()),
                reasons=dict(reasons))
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DONE, finished_at=timezone.now())
    campaign.refresh_from_db()
    return campaign

