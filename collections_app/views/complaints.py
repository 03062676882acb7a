"""Complaints: the supervisors' list (open / overdue / resolved), one complaint with its owner,
resolution and history, and logging one from a case page. Writes in services.complaints."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import Role
from accounts.roles import role_required
from collections_app.domain.complaints import DUE_DAYS
from collections_app.models import CollectionCase, ComplaintStatus, ContactLog
from collections_app.selectors import case_page
from collections_app.selectors.complaints import SHOW, complaint_list, complaints_visible_to, possible_owners
from collections_app.services.complaints import (
    complaint_assign,
    complaint_link_contacts,
    complaint_log,
    complaint_resolve,
)

PAGE_SIZE = 50
supervisor_only = role_required(Role.SUPERVISOR)


def _errors(request, exc) -> None:
    for text in getattr(exc, "messages", None) or [str(exc) or _("You are not allowed to do that.")]:
        messages.error(request, text)


@supervisor_only
@require_safe
def complaints_page(request):
    show = request.GET.get("show", "open")
    if show not in SHOW:
        show = "open"
    today = timezone.localdate()
    page = Paginator(complaint_list(request.user, show, today), PAGE_SIZE).get_page(request.GET.get("page"))
    visible = complaints_visible_to(request.user)
    counts = {
        "open": visible.filter(status=ComplaintStatus.OPEN).count(),
        "overdue": visible.filter(status=ComplaintStatus.OPEN, due_on__lt=today).count(),
    }
    return render(request, "supervisor/complaints.html", {
        "page": page, "show": show, "today": today, "counts": counts, "tab": "complaints",
        "filters": [("open", _("Open")), ("overdue", _("Overdue")), ("resolved", _("Resolved")), ("all", _("All"))],
    })


@supervisor_only
@require_http_methods(["GET", "HEAD", "POST"])
def complaint_detail(request, complaint_id):
    complaint = complaints_visible_to(request.user).select_related(
        "borrower", "case", "against_user", "owner", "resolved_by", "logged_by").filter(id=complaint_id).first()
    if complaint is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "assign":
                owner = possible_owners(request.user).filter(id=request.POST.get("owner") or 0).first()
                if owner is None:
                    raise ValidationError(_("Choose the new owner."))
                complaint_assign(complaint=complaint, user=request.user, owner=owner)
                messages.success(request, _("Owner changed."))
            elif action == "contacts":
                ids = [i for i in request.POST.getlist("contacts") if i.isdigit()]
                complaint_link_contacts(complaint=complaint, user=request.user, contact_ids=ids)
                messages.success(request, _("The contacts the complaint is about were saved."))
            elif action == "resolve":
                complaint_resolve(complaint=complaint, user=request.user, note=request.POST.get("note", ""))
                messages.success(request, _("Complaint resolved."))
            else:
                messages.error(request, _("Unknown action."))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect("complaint_detail", complaint_id=complaint.id)
    history = list(complaint.history.select_related("history_user", "owner").order_by("-history_date", "-history_id"))
    case_contacts = list(ContactLog.objects.filter(case_id=complaint.case_id).select_related("user")
                         .order_by("-occurred_at", "-id")[:50]) if complaint.case_id else []
    linked = set(complaint.contacts.values_list("id", flat=True))
    return render(request, "supervisor/complaint_detail.html", {
        "c": complaint, "history": history, "owners": possible_owners(request.user),
        "case_contacts": case_contacts, "linked": linked,
        "today": timezone.localdate(), "tab": "complaints",
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_complaint(request, case_id):
    case = case_page.visible_case(request.user, case_id)
    if case is None:
        raise Http404
    case = CollectionCase.objects.select_related("borrower", "assigned_to", "field_agent", "team").get(id=case.id)
    people = [p for p in (case.assigned_to, case.field_agent) if p is not None]
    values = {"description": "", "channel": "", "about": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        about = next((p for p in people if str(p.id) == values["about"]), None)
        try:
            complaint_log(user=request.user, case=case, description=values["description"],
                          channel=values["channel"], against_user=about)
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Complaint logged; a supervisor follows it up."))
            return redirect("case_detail", case_id=case.id)
    return render(request, "collector/complaint_form.html", {
        "case": case, "people": people, "values": values, "due_days": DUE_DAYS,
    })
