"""Litigation (司法): legal cases opened through approval, their stages, costs and documents
(docs/litigation.md).

    request_litigation(*, case, user, court="", reason="") -> ApprovalRequest
    open_legal_case(*, approval, today) -> LegalCase          (approvals.decide, on approval)
    change_stage(*, legal_case, user, stage, on, note="", court=None, case_number=None) -> LegalCase
    add_cost(*, legal_case, user, kind, amount, incurred_on, note="") -> LegalCost
    add_document(*, legal_case, user, title, upload) -> LegalDocument
"""
from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.roles import is_agency_user, is_supervisor_or_admin
from collections_app.domain.legal import DATE_FIELD, can_move
from collections_app.models import (
    ApprovalKind,
    ApprovalRequest,
    CaseStatus,
    CollectionCase,
    LegalCase,
    LegalCost,
    LegalCostKind,
    LegalDocument,
    LegalStage,
    LegalStageChange,
)
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.visibility import cases_visible_to

# extension -> (the first bytes it must start with)
DOCUMENT_KINDS = {".pdf": (b"%PDF",), ".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",)}


def request_litigation(*, case: CollectionCase, user, court: str = "", reason: str = "") -> ApprovalRequest:
    """Ask a supervisor to take the case to court; approved, a legal case opens in stage prepared."""
    from collections_app.services.approvals import request_approval

    if is_agency_user(user) or not cases_visible_to(user).filter(pk=case.pk).exists():
        raise PermissionDenied(_("You cannot ask for litigation on this case."))
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(_("This case is closed."))
    if LegalCase.objects.filter(case=case).exclude(stage=LegalStage.CLOSED).exists():
        raise ValidationError(_("This case already has an open legal case."))
    return request_approval(kind=ApprovalKind.LITIGATION, case=case, user=user, reason=reason,
                            payload={"court": (court or "")[:200]})


def open_legal_case(*, approval: ApprovalRequest, today: dt.date | None = None) -> LegalCase | None:
    """The approved litigation: a legal case in stage prepared (none when one is open already)."""
    today = today or business_date()
    case = approval.case
    if case is None or LegalCase.objects.filter(case=case).exclude(stage=LegalStage.CLOSED).exists():
        return None
    legal = LegalCase(case=case, court=str((approval.payload or {}).get("court", ""))[:200], opened_on=today,
                      approval=approval, opened_by=approval.requested_by)
    legal._change_reason = "opened"
    with transaction.atomic():
        legal.save()
        LegalStageChange.objects.create(legal_case=legal, from_stage="", to_stage=LegalStage.PREPARED, on=today,
                                        note=(approval.reason or "")[:500], by=approval.decided_by)
    return legal


def _check_editor(legal_case: LegalCase, user) -> None:
    if not is_supervisor_or_admin(user):
        raise PermissionDenied(_("Only supervisors and admins record litigation."))
    if not cases_visible_to(user).filter(pk=legal_case.case_id).exists():
        raise PermissionDenied(_("This case belongs to another team."))


def change_stage(*, legal_case: LegalCase, user, stage: str, on: dt.date | None = None, note: str = "",
                 court: str | None = None, case_number: str | None = None) -> LegalCase:
    """Move a legal case forward (domain.legal.can_move), dating the stage; recorded on the case's
    timeline with who did it."""
    _check_editor(legal_case, user)
    on = on or business_date()
    with transaction.atomic():
        current = LegalCase.objects.select_for_update().get(pk=legal_case.pk)
        if stage not in LegalStage.values or not can_move(current.stage, stage):
            raise ValidationError({"stage": _("A legal case at %(from)s cannot move to %(to)s.")
                                   % {"from": current.get_stage_display(), "to": stage}})
        if on < current.opened_on or on > business_date():
            raise ValidationError({"on": _("The date must be between the opening of the legal case and today.")})
        previous = current.stage
        current.stage = stage
        setattr(current, DATE_FIELD[stage], on)
        if court is not None:
            current.court = court[:200]
        if case_number is not None:
            current.case_number = case_number[:100]
        current._change_reason = f"{previous} → {stage}"
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError as exc:
            raise ValidationError(_("This case already has an open legal case.")) from exc
        LegalStageChange.objects.create(legal_case=current, from_stage=previous, to_stage=stage, on=on,
                                        note=(note or "")[:500], by=user)
    return current


def add_cost(*, legal_case: LegalCase, user, kind: str, amount, incurred_on: dt.date, note: str = "") -> LegalCost:
    """Record a cost of the legal case (court, lawyer, enforcement fees) for the lender's reconciliation."""
    _check_editor(legal_case, user)
    errors = {}
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = _("Give an amount of zero or more.")
    if kind not in LegalCostKind.values:
        errors["kind"] = _("Choose a kind of cost.")
    if incurred_on is None or incurred_on > business_date():
        errors["incurred_on"] = _("A cost cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    cost = LegalCost(legal_case=legal_case, kind=kind, amount=amount, incurred_on=incurred_on,
                     note=(note or "")[:300], recorded_by=user)
    cost.save()
    return cost


def document_errors(upload) -> list[str]:
    cap = settings.RECORDING_MAX_BYTES
    size = getattr(upload, "size", None) or 0
    if size == 0:
        return [_("The file is empty.")]
    if size > cap:
        return [_("The file is too large (%(size)s; at most %(cap)s).")
                % {"size": filesizeformat(size), "cap": filesizeformat(cap)}]
    ext = os.path.splitext(getattr(upload, "name", "") or "")[1].lower()
    if ext not in DOCUMENT_KINDS:
        return [_("A document must be a PDF, PNG or JPEG file.")]
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in DOCUMENT_KINDS[ext]):
        return [_("The file's content is not %(kind)s.") % {"kind": ext.lstrip(".").upper()}]
    return []


def add_document(*, legal_case: LegalCase, user, title: str, upload) -> LegalDocument:
    """Store a document of the legal case privately (served only by views/files.py)."""
    _check_editor(legal_case, user)
    errors = document_errors(upload)
    if not (title or "").strip():
        title = os.path.basename(getattr(upload, "name", "") or "")[:200]
    if errors:
        raise ValidationError({"file": errors})
    doc = LegalDocument(legal_case=legal_case, title=title.strip()[:200], uploaded_by=user)
    doc.file.save(os.path.basename(upload.name), upload, save=False)
    doc.save()
    return doc
