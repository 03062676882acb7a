"""Litigation pages (docs/litigation.md): asking for litigation from the case page, stage changes,
costs and documents of a legal case, and the supervisor's page (open legal cases, costs per lender
and month, recoveries after write-off) with CSV/XLSX exports. Thin over selectors.legal and
services.legal."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Role
from accounts.roles import role_required
from collections_app import spreadsheet
from collections_app.models import LegalCase
from collections_app.selectors import legal as sel
from collections_app.selectors.case_page import visible_case
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.visibility import cases_visible_to
from collections_app.services import legal as svc

from .agency import _date, _messages_from

supervisor_only = role_required(Role.SUPERVISOR)


def _legal_case_or_404(user, legal_id) -> LegalCase:
    legal = LegalCase.objects.filter(pk=legal_id, case_id__in=cases_visible_to(user).values("id")).first()
    if legal is None:
        raise Http404
    return legal


@login_required
@require_POST
def request_litigation(request, case_id):
    case = visible_case(request.user, case_id)
    if case is None:
        raise Http404
    try:
        svc.request_litigation(case=case, user=request.user, court=request.POST.get("court", "").strip(),
                               reason=request.POST.get("reason", "").strip())
    except (ValidationError, PermissionDenied) as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("Litigation sent for approval."))
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def change_stage(request, legal_id):
    legal = _legal_case_or_404(request.user, legal_id)
    try:
        svc.change_stage(legal_case=legal, user=request.user, stage=request.POST.get("stage", ""),
                         on=_date(request.POST.get("on")), note=request.POST.get("note", "").strip(),
                         court=request.POST.get("court") or None, case_number=request.POST.get("case_number") or None)
    except (ValidationError, PermissionDenied) as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("Stage recorded."))
    return redirect("case_detail", case_id=legal.case_id)


@login_required
@require_POST
def add_cost(request, legal_id):
    legal = _legal_case_or_404(request.user, legal_id)
    try:
        svc.add_cost(legal_case=legal, user=request.user, kind=request.POST.get("kind", ""),
                     amount=request.POST.get("amount", ""), incurred_on=_date(request.POST.get("incurred_on")),
                     note=request.POST.get("note", "").strip())
    except (ValidationError, PermissionDenied) as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("Cost recorded."))
    return redirect("case_detail", case_id=legal.case_id)


@login_required
@require_POST
def add_document(request, legal_id):
    legal = _legal_case_or_404(request.user, legal_id)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": _("Choose a file.")})
        svc.add_document(legal_case=legal, user=request.user, title=request.POST.get("title", ""), upload=upload)
    except (ValidationError, PermissionDenied) as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("Document stored."))
    return redirect("case_detail", case_id=legal.case_id)


def _period(request) -> tuple[dt.date, dt.date]:
    today = business_date()
    first = _date(request.GET.get("from")) or today.replace(month=1, day=1)
    last = _date(request.GET.get("to")) or today
    return (first, last) if first <= last else (last, first)


@supervisor_only
@require_safe
def legal_page(request):
    user = request.user
    first, last = _period(request)
    costs = sel.legal_costs_by_lender_month(user, first, last)
    recoveries = sel.write_off_recoveries(user, first, last)
    table, fmt = request.GET.get("table"), request.GET.get("export")
    if fmt in spreadsheet.FORMATS and table in ("costs", "recoveries"):
        rows = costs if table == "costs" else recoveries
        count = "costs" if table == "costs" else "payments"
        header = [_("Lender"), _("Month"), _("Costs") if table == "costs" else _("Payments"), _("Total")]
        body = [[r["lender"], r["month"].strftime("%Y-%m"), r[count], r["total"]] for r in rows]
        name = "legal-costs" if table == "costs" else "write-off-recoveries"
        return spreadsheet.download(fmt, f"{name}-{first}-{last}", header, body, title=name)
    return render(request, "escalation/legal.html", {
        "tab": "legal", "open_cases": sel.open_legal_cases(user), "costs": costs, "recoveries": recoveries,
        "first": first, "last": last,
    })
