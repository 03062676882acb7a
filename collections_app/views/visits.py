"""Field agents' pages (docs/supervisor.md): the visit list, plan, result and extension request."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Role
from accounts.roles import is_admin, role_required
from collections_app.models import FieldVisit, Loan
from collections_app.selectors.visits import visit_cards
from collections_app.services import visits as svc
from collections_app.services.personal_data import record_personal_data_access


def _visit_or_404(request, visit_id) -> FieldVisit:
    qs = FieldVisit.objects.select_related("case", "case__borrower")
    if not is_admin(request.user):
        qs = qs.filter(agent=request.user)
    visit = qs.filter(pk=visit_id).first()
    if visit is None:
        raise Http404
    return visit


def _flash_errors(request, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for msgs in exc.message_dict.values():
            for m in msgs:
                messages.error(request, m)
    else:
        for m in exc.messages:
            messages.error(request, m)


@role_required(Role.FIELD_AGENT)
@require_safe
def visit_list(request):
    today = timezone.localdate()
    visits = visit_cards(request.user, today=today)
    record_personal_data_access(
        user=request.user, what="phone", where="/visits/", borrower_ids=[v.case.borrower_id for v in visits if v.phone_shown],
    )
    # the page shows each visit's address: recorded, one insert for the page
    record_personal_data_access(
        user=request.user, what="address", where=request.get_full_path(),
        borrower_ids=[v.case.borrower_id for v in visits if v.address_display],
    )
    return render(request, "visits/list.html", {"visits": visits, "today": today})


@role_required(Role.FIELD_AGENT)
@require_POST
def plan(request, visit_id):
    visit = _visit_or_404(request, visit_id)
    try:
        svc.plan_visit(visit=visit, user=request.user, planned_for=request.POST.get("planned_for") or None)
        messages.success(request, _("Visit planned."))
        if visit.due_on and visit.planned_for > visit.due_on:
            messages.warning(request, _("Planned after the visit's due date (%(due)s): request an extension.")
                             % {"due": visit.due_on.isoformat()})
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("visits")


@role_required(Role.FIELD_AGENT)
@require_POST
def result(request, visit_id):
    visit = _visit_or_404(request, visit_id)
    loan = None
    raw = request.POST.get("loan") or ""
    if raw.isdigit():
        loan = Loan.objects.filter(pk=int(raw), case_id=visit.case_id).first()
    try:
        svc.record_visit_result(
            visit=visit,
            user=request.user,
            met_whom=request.POST.get("met_whom", ""),
            place=request.POST.get("place", ""),
            agreement=request.POST.get("agreement", ""),
            signed_acknowledgement=request.POST.get("signed_acknowledgement") in ("on", "1", "true"),
            cash_collected=request.POST.get("cash_collected") or None,
            loan=loan,
            recording=request.FILES.get("recording"),
            recording_ref=request.POST.get("recording_ref", ""),
            safety_incident=request.POST.get("safety_incident", ""),
            promise_amount=request.POST.get("promise_amount", "").strip() or None,
            promise_date=request.POST.get("promise_date", "").strip() or None,
        )
        messages.success(request, _("Visit result filed."))
    except ValidationError as exc:
        _flash_errors(request, exc)
    except PermissionDenied:
        raise Http404
    return redirect("visits")


@role_required(Role.FIELD_AGENT)
@require_POST
def extension(request, visit_id):
    visit = _visit_or_404(request, visit_id)
    try:
        svc.request_visit_extension(
            visit=visit, user=request.user, new_due_on=request.POST.get("new_due_on") or None,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("Extension requested; waiting for a supervisor's approval."))
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("visits")
