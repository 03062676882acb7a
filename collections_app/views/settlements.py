"""The case page's Settlements card: propose an offer or a payment plan, cancel an open one
(htmx: the card is swapped; without htmx: back to the case page). docs/settlements.md."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collections_app.models import PaymentPlan, SettlementOffer
from collections_app.selectors import case_page
from collections_app.selectors.settlements import case_settlements
from collections_app.services.settlements import offers as offer_svc
from collections_app.services.settlements import plans as plan_svc
from collections_app.services.settlements.terms import case_today

PLAN_ROWS = 6


def _case(request, case_id):
    case = case_page.visible_case(request.user, case_id)
    if case is None:
        raise Http404
    return case


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _amount(raw: str) -> Decimal | None:
    try:
        value = Decimal((raw or "").strip().replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for v in exc.message_dict.values() for m in v]
    return [str(m) for m in exc.messages]


def _answer(request, case, errors=None, done=""):
    if request.headers.get("HX-Request") == "true":
        ctx = {"case": case, "settlements": case_settlements(case, case_today(case)), "settle_errors": errors or [],
               "settle_done": done, "plan_rows": range(PLAN_ROWS)}
        return render(request, "collector/_settlements.html", ctx)
    for msg in errors or []:
        messages.error(request, msg)
    if done:
        messages.success(request, done)
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def propose_offer(request, case_id):
    case = _case(request, case_id)
    amount, until = _amount(request.POST.get("amount")), _date(request.POST.get("valid_until"))
    if amount is None or until is None:
        return _answer(request, case, [_("Enter the amount and the last valid day (YYYY-MM-DD).")])
    try:
        offer = offer_svc.propose_offer(case=case, user=request.user, amount=amount, valid_until=until,
                                        note=request.POST.get("note", ""))
    except ValidationError as exc:
        return _answer(request, case, _messages(exc))
    return _answer(request, case, done=_("Offer saved: %(status)s.") % {"status": offer.get_status_display()})


@login_required
@require_POST
def propose_plan(request, case_id):
    case = _case(request, case_id)
    lines, bad = [], False
    for i in range(PLAN_ROWS):
        raw_date, raw_amount = request.POST.get(f"due_date_{i}", ""), request.POST.get(f"amount_{i}", "")
        if not raw_date.strip() and not raw_amount.strip():
            continue
        day, amount = _date(raw_date), _amount(raw_amount)
        if day is None or amount is None:
            bad = True
            continue
        lines.append((day, amount))
    if bad:
        return _answer(request, case, [_("Each instalment needs a date (YYYY-MM-DD) and an amount.")])
    try:
        plan = plan_svc.propose_plan(case=case, user=request.user, installments=lines,
                                     covers=request.POST.get("covers") or PaymentPlan.Covers.OVERDUE,
                                     note=request.POST.get("note", ""))
    except ValidationError as exc:
        return _answer(request, case, _messages(exc))
    return _answer(request, case, done=_("Payment plan saved: %(status)s.") % {"status": plan.get_status_display()})


@login_required
@require_POST
def cancel(request, case_id, what, obj_id):
    case = _case(request, case_id)
    if what not in ("offer", "plan"):
        raise Http404
    try:
        if what == "offer":
            offer_svc.cancel_offer(offer=SettlementOffer.objects.get(pk=obj_id, case=case), user=request.user)
        else:
            plan_svc.cancel_plan(plan=PaymentPlan.objects.get(pk=obj_id, case=case), user=request.user)
    except (SettlementOffer.DoesNotExist, PaymentPlan.DoesNotExist):
        raise Http404
    except ValidationError as exc:
        return _answer(request, case, _messages(exc))
    return _answer(request, case, done=_("Cancelled."))
