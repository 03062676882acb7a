"""Complaints: logged by whoever hears them, owned by a supervisor, resolved with a note.
Nothing is deleted; every change is kept in the complaint's history (simple_history).

    complaint_log(*, user, case, description, channel="", against_user=None, received_at=None) -> Complaint
    complaint_assign(*, complaint, user, owner) -> Complaint
    complaint_resolve(*, complaint, user, note) -> Complaint
    complaint_link_contacts(*, complaint, user, contact_ids) -> Complaint
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_supervisor_or_admin
from collections_app.domain.complaints import complaint_due_on
from collections_app.models import Complaint, ComplaintStatus, ContactLog
from collections_app.selectors.complaints import complaints_visible_to, default_owner, possible_owners
from collections_app.selectors.visibility import cases_visible_to

MAX_TEXT = 4000


def _text(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("%(what)s is required.") % {"what": what})
    if len(text) > MAX_TEXT:
        raise ValidationError(_("%(what)s is limited to %(n)d characters (this one has %(m)d).")
                              % {"what": what, "n": MAX_TEXT, "m": len(text)})
    return text


def complaint_log(*, user, case, description: str, channel: str = "", against_user=None,
                  received_at: dt.datetime | None = None) -> Complaint:
    if not cases_visible_to(user).filter(id=case.id).exists():
        raise PermissionDenied(_("You cannot log a complaint on this case."))
    if against_user is not None and against_user.id not in {case.assigned_to_id, case.field_agent_id}:
        raise ValidationError(_("A complaint can be about the case's collector or field agent only."))
    received_at = received_at or timezone.now()
    if received_at > timezone.now():
        raise ValidationError(_("A complaint cannot be received in the future."))
    complaint = Complaint(
        case=case, borrower_id=case.borrower_id, against_user=against_user, channel=(channel or "").strip()[:50],
        description=_text(description, _("The description")), received_at=received_at,
        due_on=complaint_due_on(timezone.localdate(received_at)), logged_by=user, owner=default_owner(case),
    )
    complaint.full_clean()
    complaint.save()
    return complaint


def complaint_assign(*, complaint: Complaint, user, owner) -> Complaint:
    if not is_supervisor_or_admin(user) or not complaints_visible_to(user).filter(id=complaint.id).exists():
        raise PermissionDenied(_("You cannot change this complaint."))
    if not possible_owners(user).filter(id=owner.id).exists():
        raise ValidationError(_("The owner must be an active supervisor or admin."))
    if complaint.status != ComplaintStatus.OPEN:
        raise ValidationError(_("This complaint is already resolved."))
    complaint.owner = owner
    complaint.save(update_fields=["owner"])
    return complaint


def complaint_resolve(*, complaint: Complaint, user, note: str) -> Complaint:
    if not is_supervisor_or_admin(user) or not complaints_visible_to(user).filter(id=complaint.id).exists():
        raise PermissionDenied(_("You cannot change this complaint."))
    note = _text(note, _("The resolution note"))
    with transaction.atomic():
        # Lock and re-read: two supervisors resolving at once — the second is told, nothing is overwritten.
        current = Complaint.objects.select_for_update().get(id=complaint.id)
        if current.status != ComplaintStatus.OPEN:
            raise ValidationError(_("This complaint was already resolved by %(name)s.")
                                  % {"name": current.resolved_by.get_full_name() or current.resolved_by.username
                                     if current.resolved_by else "—"})
        current.status = ComplaintStatus.RESOLVED
        current.resolution = note
        current.resolved_at = timezone.now()
        current.resolved_by = user
        current.save(update_fields=["status", "resolution", "resolved_at", "resolved_by"])
    return current


def complaint_link_contacts(*, complaint: Complaint, user, contact_ids) -> Complaint:
    """Say which contacts of the complaint's case it is about (replaces the previous choice; the
    quality review samples them, docs/quality.md)."""
    if not is_supervisor_or_admin(user) or not complaints_visible_to(user).filter(id=complaint.id).exists():
        raise PermissionDenied(_("You cannot change this complaint."))
    ids = {int(i) for i in contact_ids}
    contacts = list(ContactLog.objects.filter(id__in=ids, case_id=complaint.case_id)) if complaint.case_id else []
    if len(contacts) != len(ids):
        raise ValidationError(_("A complaint can name only contacts of its own case."))
    complaint.contacts.set(contacts)
    return complaint
