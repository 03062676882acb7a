"""Pages for disputes, case documents, the supervisor's warnings (disputes and limitation), the
blacklist and click-to-call (docs/disputes.md). Thin: reads in selectors.disputes, writes in
services.disputes / case_documents / blacklist."""
from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Role
from accounts.roles import role_required
from collections_app import spreadsheet
from collections_app.models import ContactKind, ContactPoint, DocumentKind, Lender
from collections_app.selectors import case_page
from collections_app.selectors import disputes as selectors
from collections_app.services import blacklist as blacklist_service
from collections_app.services import case_documents
from collections_app.services import disputes as dispute_service
from collections_app.services.personal_data import record_personal_data_access

supervisor_only = role_required(Role.SUPERVISOR)
MAX_FILES = 10


def _case_or_404(request, case_id):
    case = case_page.visible_case(request.user, case_id)
    if case is None:
        raise Http404
    return case


def _flash(request, exc: ValidationError) -> None:
    for text in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, text)


def _save_files(request, case, *, kind, dispute=None) -> None:
    for upload in request.FILES.getlist("files")[:MAX_FILES]:
        case_documents.add_document(case=case, user=request.user, kind=kind, upload=upload, dispute=dispute,
                                    note=request.POST.get("note", ""))


@login_required
@require_POST
def open_dispute(request, case_id):
    case = _case_or_404(request, case_id)
    for upload in request.FILES.getlist("files")[:MAX_FILES]:  # every file checked before anything is stored
        if problems := case_documents.document_errors(upload):
            messages.error(request, f"{upload.name}: {' '.join(problems)}")
            return redirect("case_detail", case_id=case.pk)
    try:
        dispute = dispute_service.open_dispute(case=case, user=request.user, reason=request.POST.get("reason", ""),
                                               details=request.POST.get("details", ""))
        _save_files(request, case, kind=DocumentKind.EVIDENCE, dispute=dispute)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Dispute opened: collection contact is stopped until it is answered (by %(date)s).")
                         % {"date": dispute.respond_by.isoformat()})
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def add_evidence(request, case_id, dispute_id):
    case = _case_or_404(request, case_id)
    dispute = case.disputes.filter(pk=dispute_id).first()
    if dispute is None:
        raise Http404
    try:
        _save_files(request, case, kind=DocumentKind.EVIDENCE, dispute=dispute)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Evidence kept with the dispute."))
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def add_document(request, case_id):
    case = _case_or_404(request, case_id)
    try:
        _save_files(request, case, kind=request.POST.get("kind", ""))
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Document kept with the case."))
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def resolve_dispute(request, dispute_id):
    dispute = selectors.disputes_visible_to(request.user).filter(pk=dispute_id).first()
    if dispute is None:
        raise Http404
    try:
        dispute_service.resolve_dispute(
            dispute=dispute, user=request.user, outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""), adjustment=request.POST.get("adjustment") or None,
            close_case=request.POST.get("close_case") == "1",
        )
    except PermissionDenied:
        raise Http404
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Dispute answered: %(status)s.") % {"status": dispute.get_status_display()})
    return redirect("case_detail", case_id=dispute.case_id)


@supervisor_only
@require_safe
def warnings_page(request):
    today = timezone.localdate()
    return render(request, "supervisor/disputes.html", {
        "tab": "disputes", "today": today, "disputes": selectors.dispute_warnings(request.user, today=today),
        "limitation": selectors.limitation_warnings(request.user, today=today),
        "due_soon_days": selectors.DUE_SOON_DAYS,
    })


BLACKLIST_HEADER = (_lazy("lender"), _lazy("borrower id"), _lazy("name"), _lazy("national id"), _lazy("reason"),
                    _lazy("how it was added"), _lazy("added on"))


@supervisor_only
@require_http_methods(["GET", "HEAD"])
def blacklist_page(request):
    lender = None
    if request.GET.get("lender"):
        lender = Lender.objects.filter(code=request.GET["lender"]).first()
    entries = selectors.blacklist_visible_to(request.user, lender=lender)
    fmt = request.GET.get("export")
    if fmt in spreadsheet.FORMATS:
        rows = [(e.lender.code, e.borrower.external_id if e.borrower else "", e.name, e.national_id, e.reason,
                 blacklist_service.rule_label(e.rule) if e.rule else _("by hand"), e.added_on)
                for e in entries.iterator()]
        record_personal_data_access(user=request.user, borrower_ids=[e.borrower_id for e in entries if e.borrower_id],
                                    what="national id", where=request.get_full_path())
        name = f"blacklist-{lender.code if lender else 'all'}"
        return spreadsheet.download(fmt, name, [str(h) for h in BLACKLIST_HEADER], rows, title=_("Blacklist"))
    return render(request, "supervisor/blacklist.html", {
        "tab": "blacklist", "entries": entries[:500], "lenders": Lender.objects.order_by("code"), "lender": lender,
        "rule_label": blacklist_service.rule_label,
    })


@login_required
@require_POST
def blacklist_borrower(request, case_id):
    case = _case_or_404(request, case_id)
    try:
        blacklist_service.add_to_blacklist(borrower=case.borrower, user=request.user,
                                           reason=request.POST.get("reason", ""))
    except PermissionDenied:
        raise Http404
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Borrower added to the blacklist."))
    return redirect("case_detail", case_id=case.pk)


def tel_href(number: str, extension: str = "") -> str:
    """A ``tel:`` URI (RFC 3966) for ``number``; the collector's extension rides along as the
    parameter ``x-agent-ext`` for a softphone or dialer that reads it."""
    digits = "".join(ch for ch in number or "" if ch.isdigit() or ch == "+")
    href = f"tel:{digits}"
    if extension:
        href += f";x-agent-ext={quote(extension, safe='')}"
    return href


@login_required
@require_safe
def dial(request, case_id, point_id):
    """Click-to-call for those who see numbers masked: the number never appears on their page; it is
    handed to the phone app by this redirect, and the viewing is recorded."""
    case = _case_or_404(request, case_id)
    point = ContactPoint.objects.filter(pk=point_id, borrower_id=case.borrower_id, kind=ContactKind.PHONE).first()
    if point is None:
        raise Http404
    record_personal_data_access(user=request.user, borrower_ids=[case.borrower_id], what="phone (dialled)",
                                where=request.path)
    return TelRedirect(tel_href(point.value, request.user.phone_extension))


class TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]
