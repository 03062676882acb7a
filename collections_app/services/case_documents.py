"""Files kept with a case (dispute evidence, death certificate, bankruptcy notice, lawyer's letter).

    document_errors(upload) -> list[str]
        PDF, JPEG or PNG only — extension and first bytes must agree — and at most
        ``settings.DOCUMENT_MAX_BYTES``.
    add_document(*, case, user, kind, upload, dispute=None, note="") -> CaseDocument
        Stored under MEDIA_ROOT without a URL: views/files.py is the only way out.
"""
from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from collections_app.models import CaseDocument, DocumentKind

SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}


def document_errors(upload) -> list[str]:
    if upload is None:
        return [_("Choose a file.")]
    ext = os.path.splitext(upload.name or "")[1].lower()
    if ext not in SIGNATURES:
        return [_("Only PDF, JPEG or PNG files are kept with a case.")]
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        return [_("The file is too large: at most %(mb)s MB.") % {"mb": settings.DOCUMENT_MAX_BYTES // (1024 * 1024)}]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in SIGNATURES[ext]):
        return [_("The file's content is not a %(ext)s file.") % {"ext": ext.lstrip(".").upper()}]
    return []


def add_document(*, case, user, kind: str, upload, dispute=None, note: str = "") -> CaseDocument:
    errors = {}
    if kind not in DocumentKind.values:
        errors["kind"] = [_("Choose what the document is.")]
    if problems := document_errors(upload):
        errors["file"] = problems
    if dispute is not None and dispute.case_id != case.pk:
        errors["dispute"] = [_("This dispute belongs to another case.")]
    if errors:
        raise ValidationError(errors)
    doc = CaseDocument(case=case, dispute=dispute, kind=kind, original_name=(upload.name or "")[:255],
                       note=(note or "").strip()[:300],
                       uploaded_by=user if getattr(user, "is_authenticated", False) else None)
    doc.file.save(f"case-{case.pk}{os.path.splitext(upload.name)[1].lower()}", upload, save=False)
    doc.save()
    return doc
