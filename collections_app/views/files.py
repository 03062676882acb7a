"""Stored files (lenders' import files, error reports, call and visit recordings, case documents) leave only here.

Nothing under MEDIA_ROOT is served by URL: each view asks collections_app/selectors/visibility.py whether the user may
reach the object, writes the access record, and answers with an attachment whose content type
comes from a short allow-list (never text/html), `X-Content-Type-Options: nosniff` and a
sandboxing Content-Security-Policy. With ``PRIVATE_FILE_SERVING`` set to ``x-accel-redirect``
(nginx) or ``x-sendfile`` (Apache, lighttpd) the front server sends the bytes; see README.
"""
from __future__ import annotations

import os
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.views.decorators.http import require_GET

from accounts.roles import is_supervisor_or_admin
from collections_app.selectors import visibility
from collections_app.services.personal_data import record_personal_data_access

# The content types a stored file may be sent with, by extension; anything else is a byte stream.
SAFE_CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".amr": "audio/amr",
    ".flac": "audio/flac",
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
FALLBACK_CONTENT_TYPE = "application/octet-stream"


def safe_content_type(name: str) -> str:
    return SAFE_CONTENT_TYPES.get(os.path.splitext(name or "")[1].lower(), FALLBACK_CONTENT_TYPE)


def private_file_response(fieldfile, *, filename: str) -> HttpResponse:
    """An attachment response for a stored file, sent by Django or handed to the front server."""
    content_type = safe_content_type(fieldfile.name)
    mode = settings.PRIVATE_FILE_SERVING
    if mode == "django":
        try:
            handle = fieldfile.open("rb")
        except FileNotFoundError:
            raise Http404
        response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    else:
        if not fieldfile.storage.exists(fieldfile.name):
            raise Http404
        response = HttpResponse(content_type=content_type)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        if mode == "x-accel-redirect":
            response["X-Accel-Redirect"] = settings.PRIVATE_FILE_ACCEL_PREFIX.rstrip("/") + "/" + quote(fieldfile.name)
        else:  # x-sendfile
            response["X-Sendfile"] = fieldfile.path
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def import_file_download(request, job, *, which: str) -> HttpResponse:
    """The lender's file (``which="file"``) or its error report (``"errors"``) of an import job,
    for a user already allowed to import; recorded as an access."""
    if which == "errors":
        fieldfile, what, filename = job.error_report, "import error report", f"import-{job.pk}-errors.csv"
    else:
        fieldfile, what = job.file, "import file"
        ext = os.path.splitext(job.file.name or "")[1].lower()
        filename = f"import-{job.pk}{ext if ext in ('.csv', '.xlsx') else ''}"
    if not fieldfile:
        raise Http404
    response = private_file_response(fieldfile, filename=filename)
    record_personal_data_access(user=request.user, what=what, file_name=fieldfile.name, where=request.path,
                                import_job=job)
    return response


@login_required
@require_GET
def contact_recording(request, contact_id):
    contact = visibility.contacts_visible_to(request.user).filter(pk=contact_id).first()
    if contact is None or not contact.recording:
        raise Http404
    name = f"contact-{contact.pk}-recording{os.path.splitext(contact.recording.name)[1].lower()}"
    response = private_file_response(contact.recording, filename=name)
    record_personal_data_access(user=request.user, what="call recording", file_name=contact.recording.name,
                                where=request.path, borrower_ids=[contact.borrower_id])
    return response


@login_required
@require_GET
def visit_recording(request, visit_id):
    visit = visibility.visits_visible_to(request.user).select_related("case").filter(pk=visit_id).first()
    if visit is None or not visit.recording:
        raise Http404
    name = f"visit-{visit.pk}-recording{os.path.splitext(visit.recording.name)[1].lower()}"
    response = private_file_response(visit.recording, filename=name)
    record_personal_data_access(user=request.user, what="visit recording", file_name=visit.recording.name,
                                where=request.path, borrower_ids=[visit.case.borrower_id])
    return response


@login_required
@require_GET
def letter_pdf(request, letter_id):
    """A letter's PDF, for whoever may see its case (selectors.visibility.cases_visible_to); recorded."""
    from collections_app.models import Letter

    visible = visibility.cases_visible_to(request.user).values("id")
    letter = Letter.objects.select_related("case__borrower").filter(pk=letter_id, case__in=visible).first()
    if letter is None or not letter.pdf:
        raise Http404
    response = private_file_response(letter.pdf, filename=f"letter-{letter.pk}-{letter.kind}.pdf")
    record_personal_data_access(user=request.user, what="letter", file_name=letter.pdf.name, where=request.path,
                                borrower_ids=[letter.case.borrower_id])
    return response


def case_document(request, document_id):
    """A document kept with a case (dispute evidence, death certificate …), for those who see the case."""
    from collections_app.models import CaseDocument

    visible = visibility.cases_visible_to(request.user).values("id")
    doc = CaseDocument.objects.select_related("case").filter(pk=document_id, case_id__in=visible).first()
    if doc is None or not doc.file:
        raise Http404
    name = f"case-{doc.case_id}-document-{doc.pk}{os.path.splitext(doc.file.name)[1].lower()}"
    response = private_file_response(doc.file, filename=name)
    record_personal_data_access(user=request.user, what="case document", file_name=doc.file.name,
                                where=request.path, borrower_ids=[doc.case.borrower_id])
    return response


def legal_document(request, document_id):
    """A litigation document, for those who see its case (docs/litigation.md)."""
    from collections_app.models import LegalDocument

    visible = visibility.cases_visible_to(request.user).values("id")
    doc = LegalDocument.objects.select_related("legal_case__case").filter(
        pk=document_id, legal_case__case_id__in=visible).first()
    if doc is None or not doc.file:
        raise Http404
    name = f"legal-{doc.legal_case_id}-document-{doc.pk}{os.path.splitext(doc.file.name)[1].lower()}"
    response = private_file_response(doc.file, filename=name)
    record_personal_data_access(user=request.user, what="legal document", file_name=doc.file.name,
                                where=request.path, borrower_ids=[doc.legal_case.case.borrower_id])
    return response


@login_required
@require_GET
def evidence_pack(request, case_id):
    """A case's evidence pack (docs/evidence-pack.md): supervisors of the case and admins; built into a
    temporary file that is streamed and removed; the build is recorded by the service."""
    from django.core.exceptions import PermissionDenied

    from collections_app.services.evidence_pack import build_evidence_pack

    case = (visibility.cases_visible_to(request.user).select_related("borrower", "lender", "assigned_to")
            .filter(pk=case_id).first())
    if case is None:
        raise Http404
    if not is_supervisor_or_admin(request.user):
        raise PermissionDenied
    built = build_evidence_pack(case=case, user=request.user, where=request.path)
    handle = open(built.path, "rb")  # noqa: SIM115 — FileResponse closes it
    os.remove(built.path)  # the open handle keeps the bytes until the response is sent
    response = FileResponse(handle, as_attachment=True, filename=built.filename, content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
