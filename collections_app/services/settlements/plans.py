"""Payment plans (分期还款 / 重组): the overdue amount, or the whole balance, in instalments with dates.

    propose_plan(*, case, user, installments, covers="overdue", note="") -> PaymentPlan
    activate_plan(*, plan, user, today) -> None     (on creation or approval)
    cancel_plan(*, plan, user) -> PaymentPlan

While a plan is active the case's delinquent loans hold an aging pause (PauseKind.PAYMENT_PLAN) that
both nightly backends apply like any pause; judge.py ends it when the plan is kept or broken.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from collections_app.domain import settlements as rules
from collections_app.formats import format_money
from collections_app.models import (
    AgingPause,
    ApprovalLevel,
    ApprovalRequest,
    ApprovalStatus,
    CollectionCase,
    Loan,
    LoanStatus,
    PauseKind,
    PaymentPlan,
    PlanInstallment,
    PlanStatus,
)
from collections_app.selectors.payoff import case_payoff_amount

from .common import ask_approval, lock_open_case
from .terms import case_today, terms_for

MAX_INSTALLMENTS = 60
MAX_MONTHS = 60


def plan_errors(*, installments, today: dt.date) -> dict:
    errors: list = []
    if not installments:
        errors.append(_("A plan needs at least one instalment."))
    elif len(installments) > MAX_INSTALLMENTS:
        errors.append(_("A plan has at most %(n)s instalments.") % {"n": MAX_INSTALLMENTS})
    dates = [d for d, _a in installments]
    if any(a is None or not a.is_finite() or a <= 0 for _d, a in installments):
        errors.append(_("Every instalment must be greater than zero."))
    if any(d < today for d in dates):
        errors.append(_("A plan date cannot be in the past."))
    if any(d > today + dt.timedelta(days=31 * MAX_MONTHS) for d in dates):
        errors.append(_("A plan runs at most %(n)s months.") % {"n": MAX_MONTHS})
    if len(set(dates)) != len(dates):
        errors.append(_("Two instalments fall on the same date."))
    return {"installments": errors} if errors else {}


def propose_plan(*, case: CollectionCase, user, installments: list[tuple[dt.date, Decimal]],
                 covers: str = PaymentPlan.Covers.OVERDUE, note: str = "") -> PaymentPlan:
    """A plan adding up to at least the amount it covers is active at once; one below it waits for a
    supervisor's approval (within the supervisor's limit) or an admin's."""
    today = case_today(case)
    errors = plan_errors(installments=installments, today=today)
    if covers not in PaymentPlan.Covers.values:
        errors["covers"] = [_("Choose what the plan covers.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = lock_open_case(case)
        if covers == PaymentPlan.Covers.BALANCE:
            base = case_payoff_amount(case, today, with_offer=False)
        else:
            base = case.overdue_amount
        total = sum((a for _d, a in installments), Decimal("0"))
        terms = terms_for(case)
        percent = rules.discount_percent(base, total)
        level = rules.approval_level(percent, terms.collector_max, terms.supervisor_max, always_approve=True)
        plan = PaymentPlan(
            case=case, covers=covers, base_amount=base, total_amount=total, shortfall_percent=percent,
            proposed_on=today, level=level, grace_days=terms.grace_days, note=(note or "")[:300],
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            status=PlanStatus.PENDING_APPROVAL,
        )
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError as exc:
            raise ValidationError(_("A payment plan is already open on this case.")) from exc
        remind = dt.timedelta(days=terms.reminder_days)
        PlanInstallment.objects.bulk_create([
            PlanInstallment(plan=plan, seq=i, due_date=d, amount=a, remind_from=d - remind)
            for i, (d, a) in enumerate(sorted(installments), start=1)
        ])
        if level != ApprovalLevel.COLLECTOR:
            plan.approval = ask_approval(
                case=case, user=user,
                reason=_("Payment plan of %(total)s in %(n)s instalments, %(percent)s%% below %(base)s") % {
                    "total": format_money(total), "n": len(installments), "percent": percent,
                    "base": format_money(base)},
                payload={"plan_id": plan.id, "amount": str(total), "level": level,
                         "promised_date": min(d for d, _a in installments).isoformat()},
            )
            plan.save(update_fields=["approval"])
    if level == ApprovalLevel.COLLECTOR:
        activate_plan(plan=plan, user=user, today=today)
        plan.refresh_from_db()
    return plan


def activate_plan(*, plan: PaymentPlan, user, today: dt.date) -> None:
    """The plan holds from today: each delinquent loan of the case gets an aging pause from tomorrow
    (today's figures stand), then the plan is judged at once (money already paid counts)."""
    from collections_app.services.nightly import recalculate_loans

    with transaction.atomic():
        plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != PlanStatus.PENDING_APPROVAL:
            return
        plan.status, plan.activated_on = PlanStatus.ACTIVE, today
        plan.save()
        creator = user if getattr(user, "is_authenticated", False) else None
        loans = Loan.objects.filter(case_id=plan.case_id, dpd__gt=0,
                                    status__in=(LoanStatus.OPEN, LoanStatus.WRITTEN_OFF))
        pauses = [AgingPause.objects.create(loan=loan, kind=PauseKind.PAYMENT_PLAN, starts_on=today + dt.timedelta(days=1),
                                            reason=_("Payment plan #%(id)s") % {"id": plan.id}, created_by=creator)
                  for loan in loans]
        plan.pauses.add(*pauses)
        recalculate_loans(loan_ids=list(Loan.objects.filter(case_id=plan.case_id).values_list("id", flat=True)), as_of=today)


def end_pauses(*, plan: PaymentPlan, span: tuple[dt.date, dt.date | None] | None) -> None:
    """Give the plan's pauses their end (``span`` from ``domain.settlements.plan_pause``); a pause that
    covers no day is removed (its history keeps it)."""
    for pause in plan.pauses.all():
        if span is None:
            pause.delete()
        elif pause.ends_on != span[1]:
            pause.ends_on = span[1]
            pause.save()


def cancel_plan(*, plan: PaymentPlan, user) -> PaymentPlan:
    """An open plan called off by hand: aging resumes tomorrow."""
    from collections_app.services.nightly import recalculate_loans

    today = case_today(plan.case)
    with transaction.atomic():
        plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status not in (PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE):
            raise ValidationError(_("Only an open plan can be cancelled."))
        was_active = plan.status == PlanStatus.ACTIVE
        plan.status, plan.ended_on = PlanStatus.CANCELLED, today
        plan.save()
        for approval in ApprovalRequest.objects.filter(pk=plan.approval_id, status=ApprovalStatus.PENDING):
            approval.status = ApprovalStatus.CANCELLED
            approval.save(update_fields=["status"])
        if was_active:
            start = plan.activated_on + dt.timedelta(days=1)
            end_pauses(plan=plan, span=(start, today) if today >= start else None)
            recalculate_loans(loan_ids=list(Loan.objects.filter(case_id=plan.case_id).values_list("id", flat=True)), as_of=today)
    return plan
