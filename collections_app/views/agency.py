"""Agency placement pages (docs/agency.md): the supervisor's agencies page (bulk placement,
active placements, recall), the monthly commission statement, placing one case from its page,
and the agency user's own list. Thin: reads from selectors.agency, writes through services.agency."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Role, Team
from accounts.roles import is_admin, role_required
from collections_app import spreadsheet
from collections_app.models import Agency, AgencyPlacement, Lender
from collections_app.selectors import agency as sel
from collections_app.selectors.case_page import visible_case
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.visibility import cases_visible_to
from collections_app.services import agency as svc

supervisor_only = role_required(Role.SUPERVISOR)
agency_only = role_required(Role.AGENCY, allow_admin=False)


def _messages_from(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.error(request, str(exc) or _("You may not do this."))


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def filters_from(data) -> sel.PlacementFilters:
    return sel.PlacementFilters(
        bucket=(data.get("bucket") or "").strip()[:10], lender_id=_int(data.get("lender")),
        team_id=_int(data.get("team")), dpd_min=_int(data.get("dpd_min")), dpd_max=_int(data.get("dpd_max")),
    )


@supervisor_only
@require_http_methods(["GET", "HEAD", "POST"])
def agencies_page(request):
    user = request.user
    if request.method == "POST":
        agency = Agency.objects.filter(pk=_int(request.POST.get("agency"))).first()
        if agency is None:
            messages.error(request, _("Choose an agency."))
        else:
            try:
                approval = svc.request_placement(
                    user=user, agency=agency, filters=filters_from(request.POST),
                    recall_on=_date(request.POST.get("recall_on")), reason=request.POST.get("reason", "").strip(),
                )
            except (ValidationError, PermissionDenied) as exc:
                _messages_from(request, exc)
            else:
                messages.success(request, _("%(n)s cases sent for approval to be placed with %(agency)s.")
                                 % {"n": len(approval.payload["case_ids"]), "agency": agency.name})
        return redirect("supervisor_agencies")
    placements = (
        sel.placements_visible_to(user, AgencyPlacement.objects.filter(recalled_on__isnull=True))
        .select_related("agency", "case__borrower", "case__lender").order_by("recall_on", "id")
    )
    page = Paginator(placements, 50).get_page(request.GET.get("page"))
    teams = Team.objects.all() if is_admin(user) else Team.objects.filter(supervisor=user)
    return render(request, "escalation/agencies.html", {
        "tab": "agencies", "agencies": sel.agencies_overview(user), "page": page,
        "lenders": Lender.objects.order_by("name"), "teams": teams.order_by("name"), "today": business_date(),
        "month": business_date().strftime("%Y-%m"),
    })


@supervisor_only
@require_safe
def statement_page(request, agency_id):
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise Http404
    raw = (request.GET.get("month") or "").strip()
    month = _date(f"{raw}-01") if raw else None
    if month is None:
        month = business_date().replace(day=1)
    statement = sel.commission_statement(request.user, agency, month)
    fmt = request.GET.get("export")
    if fmt in spreadsheet.FORMATS:
        header, rows = sel.statement_table(statement)
        return spreadsheet.download(fmt, f"commission-{agency.pk}-{month:%Y-%m}", header, rows,
                                    title=f"{month:%Y-%m}")
    return render(request, "escalation/statement.html", {
        "tab": "agencies", "agency": agency, "statement": statement, "month": month.strftime("%Y-%m"),
    })


@supervisor_only
@require_POST
def recall(request, placement_id):
    placement = sel.placements_visible_to(request.user).filter(pk=placement_id).first()
    if placement is None:
        raise Http404
    try:
        svc.recall_placement(placement=placement, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("Case #%(id)s recalled from %(agency)s.")
                         % {"id": placement.case_id, "agency": placement.agency.name})
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "supervisor_agencies")


@login_required
@require_POST
def place_case(request, case_id):
    case = visible_case(request.user, case_id)
    if case is None:
        raise Http404
    agency = Agency.objects.filter(pk=_int(request.POST.get("agency"))).first()
    if agency is None:
        messages.error(request, _("Choose an agency."))
    else:
        try:
            svc.request_placement(user=request.user, agency=agency, case=case,
                                  recall_on=_date(request.POST.get("recall_on")),
                                  reason=request.POST.get("reason", "").strip())
        except (ValidationError, PermissionDenied) as exc:
            _messages_from(request, exc)
        else:
            messages.success(request, _("Placement with %(agency)s sent for approval.") % {"agency": agency.name})
    return redirect("case_detail", case_id=case.pk)


@agency_only
@require_safe
def agency_cases(request):
    """The agency user's cases: those placed with their agency now, the recall date first."""
    user = request.user
    placements = (
        AgencyPlacement.objects.filter(agency_id=user.agency_id, recalled_on__isnull=True,
                                       case_id__in=cases_visible_to(user).values("id"))
        .select_related("case__borrower", "case__lender").order_by("recall_on", "id")
    )
    page = Paginator(placements, 50).get_page(request.GET.get("page"))
    return render(request, "escalation/agency_cases.html", {"page": page, "agency": user.agency})
