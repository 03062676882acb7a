"""What an evidence pack holds (docs/evidence-pack.md): the case's whole history, section by section,
as rows read in batches (``.iterator()``), and the stored files that go with it. Reads only; the
ZIP is written by services.evidence_pack.

    can_build_pack(user, case) -> bool
    sections(case) -> list[Section]
    stored_files(case) -> Iterator[(name in the pack, field file, what it is)]
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.roles import is_supervisor_or_admin
from collections_app.domain.compliance import stop_flag_label
from collections_app.models import (
    ApprovalRequest,
    AssignmentHistory,
    BucketHistory,
    CaseDocument,
    CaseNote,
    Complaint,
    ContactLog,
    Dispute,
    FieldVisit,
    LegalDocument,
    Letter,
    Message,
    Payment,
    PersonalDataAccess,
    PromiseToPay,
)
from collections_app.selectors.visibility import cases_visible_to

BATCH = 500


def can_build_pack(user, case) -> bool:
    """Supervisors of the case's team and admins: the pack is for a dispute, a complaint or a
    regulator, and it lists who viewed the borrower's data; a collector works the case from its page."""
    return is_supervisor_or_admin(user) and cases_visible_to(user).filter(id=case.id).exists()


def who(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


@dataclass
class Section:
    name: str  # the CSV's file name, without .csv
    title: str
    header: list
    rows: Callable[[], Iterator[list]]
    at: int = 0  # the column holding each row's time (the PDF's timeline)
    text: Callable[[list], str] = lambda row: ""


def _contacts(case):
    qs = ContactLog.objects.filter(case=case).select_related("user").order_by("occurred_at", "id")
    for c in qs.iterator(chunk_size=BATCH):
        yield [c.occurred_at, who(c.user), c.get_channel_display(), c.get_outcome_display(), c.number_used,
               c.is_third_party, c.duration_seconds, c.note, c.breach_rule, c.breach_detail,
               recording_name(c) if c.recording else c.recording_ref]


def recording_name(contact) -> str:
    return f"files/recordings/contact-{contact.pk}{os.path.splitext(contact.recording.name)[1].lower()}"


def _messages(case):
    for msg in Message.objects.filter(case=case).select_related("created_by").order_by("send_at", "id").iterator(
            chunk_size=BATCH):
        yield [msg.send_at, msg.get_channel_display(), msg.to_address, msg.get_status_display(), msg.sent_at,
               msg.subject, msg.body, who(msg.created_by)]


def _letters(case):
    for letter in Letter.objects.filter(case=case).select_related("created_by").order_by("created_at", "id"):
        yield [letter.sent_at or letter.created_at, letter.get_kind_display(), letter.get_status_display(),
               letter.as_of, letter.amount_as_of, letter.address, who(letter.created_by),
               f"files/letters/letter-{letter.pk}.pdf" if letter.pdf else ""]


def _promises(case):
    for p in PromiseToPay.objects.filter(case=case).select_related("created_by").order_by("created_at", "id"):
        yield [p.created_at, p.amount, p.promised_date, p.get_status_display(), p.paid_amount, p.resolved_on,
               who(p.created_by)]


def _payments(case):
    for pay in Payment.objects.filter(loan__case=case).select_related("loan").order_by("paid_on", "id").iterator(
            chunk_size=BATCH):
        yield [pay.paid_on, pay.loan.external_id, pay.amount, pay.channel, pay.get_source_display(), pay.note]


def _buckets(case):
    for b in BucketHistory.objects.filter(loan__case=case).select_related("loan").order_by("on_date", "id").iterator(
            chunk_size=BATCH):
        yield [b.on_date, b.loan.external_id, b.from_bucket, b.to_bucket, b.dpd, b.overdue_amount]


def _approvals(case):
    for a in (ApprovalRequest.objects.filter(case=case).select_related("requested_by", "decided_by")
              .order_by("created_at", "id")):
        yield [a.created_at, a.get_kind_display(), a.get_status_display(), who(a.requested_by), a.reason,
               who(a.decided_by), a.decided_at, a.decision_note]


def _stop_flags(case):
    """Each change of the borrower's stop flags, from the borrower's history."""
    previous = None
    for h in case.borrower.history.select_related("history_user").order_by("history_date", "history_id").iterator(
            chunk_size=BATCH):
        flags = [f for f in ("cease_contact", "dispute", "deceased", "bankruptcy", "lawyer_represented")
                 if getattr(h, f)]
        if flags != previous and (previous is not None or flags):
            yield [h.history_date, "; ".join(str(stop_flag_label(f)) for f in flags) or _("none"), who(h.history_user)]
        previous = flags


def _disputes(case):
    for d in Dispute.objects.filter(case=case).select_related("opened_by", "resolved_by").order_by("opened_at", "id"):
        yield [d.opened_at, d.reason, d.details, d.get_status_display(), who(d.opened_by), d.respond_by,
               d.resolved_at, who(d.resolved_by), d.resolution_note, d.adjustment]


def _complaints(case):
    for c in (Complaint.objects.filter(case=case).select_related("against_user").prefetch_related("contacts")
              .order_by("received_at", "id")):
        yield [c.received_at, c.channel, c.description, who(c.against_user), c.get_status_display(), c.resolved_at,
               c.resolution, " ".join(str(ct.occurred_at.isoformat()) for ct in c.contacts.all())]


def _visits(case):
    for v in FieldVisit.objects.filter(case=case).select_related("agent").order_by("created_at", "id"):
        yield [v.visited_at or v.created_at, v.get_status_display(), who(v.agent), v.address, v.met_whom, v.place,
               v.agreement, v.cash_collected]


def _notes(case):
    for n in CaseNote.objects.filter(case=case).select_related("author").order_by("created_at", "id"):
        yield [n.created_at, who(n.author), n.text]


def _assignments(case):
    for a in (AssignmentHistory.objects.filter(case=case).select_related("from_user", "to_user", "by_user")
              .order_by("at", "id")):
        yield [a.at, who(a.from_user), who(a.to_user), who(a.by_user), a.reason]


def _data_views(case):
    for a in (PersonalDataAccess.objects.filter(borrower_id=case.borrower_id).select_related("user")
              .order_by("at", "id").iterator(chunk_size=BATCH)):
        yield [a.at, who(a.user), a.what, a.where, a.file]


def sections(case) -> list[Section]:
    """Every section of the pack, in the order the PDF lists them."""
    return [
        Section("contacts", _("Contacts"), [_("At"), _("By"), _("Channel"), _("Outcome"), _("Number or address"),
                _("Third party"), _("Call length (s)"), _("Note"), _("Rule broken"), _("Why it was not allowed"),
                _("Recording")], lambda: _contacts(case),
                text=lambda r: f"{r[2]} · {r[3]} · {r[1]} · {r[4]}" + (f" — {r[7][:200]}" if r[7] else "")),
        Section("messages", _("Messages"), [_("Send at"), _("Channel"), _("To"), _("Status"), _("Sent at"),
                _("Subject"), _("Text"), _("By")], lambda: _messages(case), text=lambda r: f"{r[1]} · {r[3]} · {r[2]}"),
        Section("letters", _("Letters"), [_("At"), _("Kind"), _("Status"), _("Letter date"), _("Amount owed"),
                _("Address"), _("By"), _("File")], lambda: _letters(case), text=lambda r: f"{r[1]} · {r[2]}"),
        Section("promises", _("Promises to pay"), [_("Taken at"), _("Amount"), _("Promised date"), _("Status"),
                _("Paid towards it"), _("Resolved on"), _("Taken by")], lambda: _promises(case),
                text=lambda r: f"{r[1]} · {r[2]} · {r[3]}"),
        Section("payments", _("Payments"), [_("Paid on"), _("Loan"), _("Amount"), _("Channel"), _("Source"),
                _("Note")], lambda: _payments(case), text=lambda r: f"{r[2]} · {r[1]}"),
        Section("bucket_changes", _("Bucket changes"), [_("Date"), _("Loan"), _("From bucket"), _("To bucket"),
                _("Days past due"), _("Overdue amount")], lambda: _buckets(case),
                text=lambda r: f"{r[1]}: {r[2]} → {r[3]}"),
        Section("approvals", _("Approvals"), [_("Requested at"), _("Kind"), _("Status"), _("Requested by"),
                _("Reason"), _("Decided by"), _("Decided at"), _("Decision note")], lambda: _approvals(case),
                text=lambda r: f"{r[1]} · {r[2]}"),
        Section("stop_flags", _("Stop flags"), [_("At"), _("Flags set"), _("By")], lambda: _stop_flags(case),
                text=lambda r: f"{r[1]}"),
        Section("disputes", _("Disputes"), [_("Opened at"), _("Reason"), _("Details"), _("Status"), _("Opened by"),
                _("Answer due by"), _("Resolved at"), _("Resolved by"), _("Resolution"), _("Amount corrected")],
                lambda: _disputes(case), text=lambda r: f"{r[1]} · {r[3]}"),
        Section("complaints", _("Complaints"), [_("Received at"), _("Received by"), _("Description"),
                _("About collector"), _("Status"), _("Resolved at"), _("Resolution"), _("Contacts it is about")],
                lambda: _complaints(case), text=lambda r: f"{r[4]} · {r[2][:80]}"),
        Section("visits", _("Field visits"), [_("At"), _("Status"), _("Field agent"), _("Address"), _("Met whom"),
                _("Where"), _("What was agreed"), _("Cash collected")], lambda: _visits(case),
                text=lambda r: f"{r[1]} · {r[2]}"),
        Section("notes", _("Notes"), [_("At"), _("By"), _("Note")], lambda: _notes(case),
                text=lambda r: f"{r[1]}: {r[2][:80]}"),
        Section("assignments", _("Assignments"), [_("At"), _("From"), _("To"), _("By"), _("Reason")],
                lambda: _assignments(case), text=lambda r: f"{r[1] or '-'} → {r[2] or '-'}"),
        Section("personal_data_views", _("Views of personal data"), [_("At"), _("User"), _("What was shown"),
                _("Where"), _("File downloaded")], lambda: _data_views(case), text=lambda r: f"{r[1]} · {r[2]}"),
    ]


def stored_files(case) -> Iterator[tuple[str, object, str]]:
    """(name in the pack, field file, what it is) for each stored file of the case."""
    for letter in Letter.objects.filter(case=case).exclude(pdf="").order_by("id"):
        yield f"files/letters/letter-{letter.pk}.pdf", letter.pdf, "letter"
    for doc in CaseDocument.objects.filter(case=case).exclude(file="").order_by("id"):
        yield (f"files/documents/document-{doc.pk}{os.path.splitext(doc.file.name)[1].lower()}", doc.file,
               "case document")
    for doc in LegalDocument.objects.filter(legal_case__case=case).exclude(file="").order_by("id"):
        yield (f"files/legal/legal-{doc.pk}{os.path.splitext(doc.file.name)[1].lower()}", doc.file, "legal document")
    for c in ContactLog.objects.filter(case=case).exclude(recording="").order_by("id").iterator(chunk_size=BATCH):
        yield recording_name(c), c.recording, "call recording"
    for v in FieldVisit.objects.filter(case=case).exclude(recording="").order_by("id"):
        yield (f"files/recordings/visit-{v.pk}{os.path.splitext(v.recording.name)[1].lower()}", v.recording,
               "visit recording")
