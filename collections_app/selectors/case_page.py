"""Everything the case page shows, read in a fixed number of queries."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import can_see_full_pii, is_supervisor_or_admin, mask_national_id, mask_phone
from collections_app.domain.compliance import stop_flag_label
from collections_app.models import (
    BORROWER_TYPE_TACTICS,
    ActionKind,
    AssignmentHistory,
    BucketHistory,
    CaseAction,
    CaseNote,
    CollectionCase,
    ContactKind,
    ContactLog,
    FieldVisit,
    Installment,
    Letter,
    Loan,
    Payment,
    PromiseStatus,
    PromiseToPay,
)
from collections_app.selectors.disputes import case_extras, timeline_items
from collections_app.selectors.escalation import case_escalation
from collections_app.selectors.legal import escalation_timeline
from collections_app.selectors.loan_figures import show_paid
from collections_app.selectors.payoff import loan_payoff, loan_payoff_total, offer_payoff
from collections_app.selectors.settlements import case_settlements
from collections_app.selectors.visibility import cases_visible_to

TIMELINE_LIMIT = 200


def visible_case(user, case_id) -> CollectionCase | None:
    return (
        cases_visible_to(user, CollectionCase.objects.select_related("borrower", "lender", "assigned_to", "team"))
        .filter(pk=case_id)
        .first()
    )


def payment_channel_label(value: str) -> str:
    """A payment's channel as the reader's language says it. The channel is free text from the
    lender's file (shown as written: 支付宝, 银行转账 …); the codes the product itself writes (a field
    visit's ``cash``) and common English codes are translated."""
    labels = {
        "cash": _("cash"),
        "bank_transfer": _("bank transfer"),
        "transfer": _("bank transfer"),
        "card": _("card"),
        "direct_debit": _("direct debit"),
        "alipay": _("Alipay"),
        "wechat": _("WeChat Pay"),
        "counter": _("counter"),
    }
    key = (value or "").strip().lower().replace(" ", "_").replace("-", "_")
    return str(labels.get(key, value or ""))


def rule_text(rule) -> str:
    """A strategy rule in the reader's language, built from its data (bucket, DPD range, action,
    cadence, approval) rather than its stored free-text description."""
    if rule is None:
        return ""
    where = rule.bucket or _("any bucket")
    if rule.dpd_min is not None and rule.dpd_max is not None:
        where = _("%(where)s, %(min)s–%(max)s days past due") % {"where": where, "min": rule.dpd_min, "max": rule.dpd_max}
    elif rule.dpd_min is not None:
        where = _("%(where)s, from %(min)s days past due") % {"where": where, "min": rule.dpd_min}
    elif rule.dpd_max is not None:
        where = _("%(where)s, up to %(max)s days past due") % {"where": where, "max": rule.dpd_max}
    try:
        action = ActionKind(rule.action).label
    except ValueError:
        action = rule.action
    if rule.repeat_every_days:
        cadence = ngettext("every day", "every %(n)s days", rule.repeat_every_days) % {"n": rule.repeat_every_days}
    else:
        cadence = _("once per delinquency")
    text = _("%(where)s: %(action)s, %(cadence)s") % {"where": where, "action": action, "cadence": cadence}
    if rule.needs_approval:
        text = _("%(text)s (needs a supervisor's approval)") % {"text": text}
    return str(text)


def action_why(action) -> tuple[str, str]:
    """(rule text, note) for a case action, the note only when it says something the rule text does
    not (strategy actions store the rule's description as their note)."""
    rule = action.rule
    note = action.note or ""
    if rule is not None and note.strip() == (rule.description or "").strip():
        note = ""
    return (rule_text(rule) if rule is not None else ""), note


def mask_value(cp, full: bool) -> str:
    """Phone numbers are masked for roles that do not need them; addresses and employers are
    needed for letters and visits."""
    if full or cp.kind != ContactKind.PHONE:
        return cp.value
    return mask_phone(cp.value)


@dataclass
class TimelineItem:
    at: dt.datetime
    kind: str
    label: str
    text: str = ""
    who: str = ""
    css: str = ""
    extra: dict = field(default_factory=dict)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=timezone.get_current_timezone())


def _who(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def contact_points(case, user):
    """The borrower's contact points with display values: phones masked unless the user may see
    full personal data. Returns (points, full)."""
    full = can_see_full_pii(user)
    points = list(case.borrower.contact_points.all())
    for cp in points:
        cp.display = mask_value(cp, full)
    return points, full


def personal_data_shown(points, full: bool, borrower) -> list[str]:
    """What of the borrower's personal data the case page shows, as the access record names it: the
    contact points for those who see them in full, else the addresses (shown to every role); the
    national id for those who see it in full. The view records them (services.personal_data)."""
    shown = []
    if points:
        what = "contact points" if full else ("address" if any(cp.kind == ContactKind.ADDRESS for cp in points) else "")
        if what:
            shown.append(what)
    if full and borrower.national_id:
        shown.append("national id")
    return shown


def _contact_items(case) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    contacts = (
        ContactLog.objects.filter(case=case)
        .select_related("user", "contact_point", "promise")
        .order_by("-occurred_at", "-id")[:TIMELINE_LIMIT]
    )
    for c in contacts:
        text = c.note
        promise = getattr(c, "promise", None)
        extra = {"promise": promise, "contact": c}
        items.append(
            TimelineItem(
                c.occurred_at,
                "contact",
                f"{c.get_channel_display()} · {c.get_outcome_display()}",
                text,
                _who(c.user),
                "good" if c.is_conversation else "",
                extra,
            )
        )
    return items


def timeline(case) -> list[TimelineItem]:
    items = _contact_items(case)
    for p in PromiseToPay.objects.filter(case=case).exclude(resolved_on=None).order_by("-resolved_on")[:TIMELINE_LIMIT]:
        items.append(
            TimelineItem(
                _start_of(p.resolved_on), "promise",
                _("Promise %(status)s") % {"status": p.get_status_display()},
                _("%(amount)s due %(date)s, paid %(paid)s") % {"amount": p.amount, "date": p.promised_date, "paid": p.paid_amount},
                css="bad" if p.status == PromiseStatus.BROKEN else "good",
            )
        )
    loan_ids = [loan.pk for loan in case.loans.all()]
    for pay in Payment.objects.filter(loan_id__in=loan_ids).select_related("loan").order_by("-paid_on", "-id")[:TIMELINE_LIMIT]:
        items.append(
            TimelineItem(
                _start_of(pay.paid_on), "payment", _("Payment %(amount)s") % {"amount": pay.amount},
                f"{pay.loan.external_id} {payment_channel_label(pay.channel)} {pay.get_source_display()}", css="good",
            )
        )
    for b in BucketHistory.objects.filter(loan_id__in=loan_ids).select_related("loan").order_by("-on_date")[:TIMELINE_LIMIT]:
        items.append(
            TimelineItem(
                _start_of(b.on_date), "bucket", _("Bucket %(from)s → %(to)s") % {"from": b.from_bucket, "to": b.to_bucket},
                _("Loan %(loan)s, %(dpd)s days past due") % {"loan": b.loan.external_id, "dpd": b.dpd},
            )
        )
    for letter in Letter.objects.filter(case=case).order_by("-as_of")[:TIMELINE_LIMIT]:
        items.append(
            TimelineItem(
                letter.sent_at or letter.created_at, "letter",
                f"{letter.get_kind_display()} · {letter.get_status_display()}", letter.address,
            )
        )
    for v in FieldVisit.objects.filter(case=case).select_related("agent", "requested_by").order_by("-created_at")[:TIMELINE_LIMIT]:
        text = v.agreement or v.reason
        items.append(
            TimelineItem(
                v.visited_at or v.created_at, "visit",
                _("Field visit · %(status)s") % {"status": v.get_status_display()}, text,
                _who(v.agent or v.requested_by),
            )
        )
    for n in CaseNote.objects.filter(case=case).select_related("author").order_by("-created_at")[:TIMELINE_LIMIT]:
        items.append(TimelineItem(n.created_at, "note", _("Note"), n.text, _who(n.author)))
    for a in (
        AssignmentHistory.objects.filter(case=case)
        .select_related("from_user", "to_user", "by_user")
        .order_by("-at")[:TIMELINE_LIMIT]
    ):
        items.append(
            TimelineItem(
                a.at, "assignment",
                _("Assigned %(from)s → %(to)s") % {"from": _who(a.from_user) or "-", "to": _who(a.to_user) or "-"},
                a.reason, _who(a.by_user),
            )
        )
    items.extend(timeline_items(case))  # disputes, documents, stop-flag steps
    items += [  # placements, recalls, litigation
        TimelineItem(at, kind, label, text, who) for at, kind, label, text, who in escalation_timeline(case)
    ]
    items.sort(key=lambda i: i.at, reverse=True)
    return items


def case_promises(case) -> list[PromiseToPay]:
    """The Promises card: the case's latest promises, newest first (one query)."""
    return list(PromiseToPay.objects.filter(case=case).select_related("approval").order_by("-created_at", "-id")[:20])


def case_context(case, user, *, now=None) -> dict:
    """Everything the case page shows; ``personal_data_shown`` lists what the view records as seen."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    loans = list(
        Loan.objects.filter(case=case)
        .select_related("product")
        .prefetch_related(
            Prefetch("installments", queryset=Installment.objects.order_by("due_date", "seq")), "payments"
        )
        .order_by("-dpd", "external_id")
    )
    owed = {"overdue": Decimal("0"), "total": Decimal("0")}
    for loan in loans:
        show_paid(loan, today)
        loan.quote = loan_payoff(loan, today)
        owed["overdue"] += loan.quote["overdue"] if loan.quote else loan.overdue_amount
        owed["total"] += loan_payoff_total(loan, loan.quote)
    settlements = case_settlements(case, today)
    # an accepted settlement offer is what pays off the case (docs/settlements.md)
    owed["full"], owed["offer"] = owed["total"], settlements["active_offer"]
    owed["total"] = offer_payoff(owed["total"], settlements["active_offer"], today)
    points, full = contact_points(case, user)
    borrower = case.borrower
    why = (
        CaseAction.objects.filter(case=case)
        .select_related("rule")
        .order_by("-due_on", "-id")
        .first()
    )
    from collections_app.selectors.actions import case_actions, state_of
    from collections_app.selectors.loan_figures import business_date

    on_day = business_date()
    if why is not None:
        why.rule_text, why.why_note = action_why(why)
        why.state_label = state_of(why, today=on_day).label
    open_actions = case_actions(case=case, today=on_day)  # planned, due, awaiting approval; the next one first
    promises = case_promises(case)
    visits = list(FieldVisit.objects.filter(case=case).select_related("agent").order_by("-created_at")[:10])
    return {
        "case": case,
        "borrower": borrower,
        "national_id": borrower.national_id if full else mask_national_id(borrower.national_id),
        "full_pii": full,
        "stop_flags": [stop_flag_label(flag) for flag in borrower.stop_flags],
        "stop_flag_items": [(flag, stop_flag_label(flag)) for flag in borrower.stop_flags],
        "can_lift_stop_flags": is_supervisor_or_admin(user),
        "can_build_evidence_pack": is_supervisor_or_admin(user),  # the case is visible: docs/evidence-pack.md
        "tactics": BORROWER_TYPE_TACTICS.get(borrower.borrower_type) if borrower.borrower_type else None,
        "loans": loans,
        "owed": owed,
        "contact_points": points,
        "timeline": timeline(case),
        "why_action": why,
        "open_actions": open_actions,
        "promises": promises,
        "visits": visits,
        "settlements": settlements,
        "today": today,
        **case_extras(case, user, today),
        "personal_data_shown": personal_data_shown(points, full, borrower),
        "escalation": case_escalation(case, user, today),  # agency placement and litigation
    }
