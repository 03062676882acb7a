"""Choice lists shared by models, forms, the API and the domain functions."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class LoanStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SETTLED = "settled", _("Settled")
    WRITTEN_OFF = "written_off", _("Written off (still pursued)")
    CLOSED = "closed", _("Closed")
    DISCOUNTED = "discounted", _("Settled with a discount")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class CaseCloseReason(models.TextChoices):
    CURED = "cured", _("Cured (paid up to date)")
    SETTLED = "settled", _("Settled in full")
    DISCOUNTED = "discounted", _("Settled with a discount")
    RECALLED = "recalled", _("Recalled by lender")
    WRITTEN_OFF = "written_off", _("Written off")
    DECEASED = "deceased", _("Deceased, verified")
    DISPUTE_UPHELD = "disputed", _("Dispute upheld")
    OTHER = "other", _("Other")


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    ADDRESS = "address", _("Address")
    EMAIL = "email", _("E-mail")
    EMPLOYER = "employer", _("Employer")


class ContactStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    WRONG = "wrong", _("Wrong number / address")
    DISCONNECTED = "disconnected", _("Disconnected")
    UNVERIFIED = "unverified", _("Not yet verified")


class ContactSource(models.TextChoices):
    IMPORT = "import", _("Lender's file")
    COLLECTOR = "collector", _("Given to a collector")
    BORROWER = "borrower", _("Given by the borrower")
    FIELD = "field", _("Found on a field visit")
    OTHER = "other", _("Other")


class Relation(models.TextChoices):
    SELF = "self", _("Borrower")
    EMERGENCY = "emergency", _("Emergency contact")
    RELATIVE = "relative", _("Relative")
    GUARANTOR = "guarantor", _("Guarantor")
    EMPLOYER = "employer", _("Employer")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Field visit")


class Outcome(models.TextChoices):
    RPC = "rpc", _("Right party reached")
    PROMISE = "promise", _("Promise to pay")
    REFUSED = "refused", _("Refused to pay")
    DISPUTE = "dispute", _("Disputes the debt")
    THIRD_PARTY = "third_party", _("Third party reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    SWITCHED_OFF = "switched_off", _("Switched off")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    DECEASED = "deceased", _("Reported deceased")
    CEASE_CONTACT = "cease_contact", _("Asks to cease contact")
    BANKRUPTCY = "bankruptcy", _("Reports bankruptcy")
    LAWYER = "lawyer", _("Represented by a lawyer")
    SENT = "sent", _("Sent (letter or message)")


CONVERSATION_OUTCOMES = frozenset({Outcome.RPC, Outcome.PROMISE, Outcome.REFUSED, Outcome.DISPUTE})


class TemplateChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")


class MessageStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class OverdueReason(models.TextChoices):
    CASH_FLOW = "cash_flow", _("Business cash-flow trouble")
    MARKET = "market", _("Market change")
    FAMILY = "family", _("Family change (divorce, school fees, renovation)")
    SHORT_PAYMENT = "short_payment", _("Short payment")
    WRONG_ACCOUNT = "wrong_account", _("Paid to the wrong account or card")
    DEVELOPER_DISPUTE = "developer_dispute", _("Property developer dispute")
    SEASONAL = "seasonal", _("Holiday / seasonal")
    POLICY_CHANGE = "policy_change", _("Policy or rate change not noticed")
    UNABLE_SHORT = "unable_short", _("Unable to pay, short term")
    UNABLE_LONG = "unable_long", _("Unable to pay, long term")
    DECEASED = "deceased", _("Deceased")
    UNREACHABLE = "unreachable", _("Unreachable")
    FRAUD = "fraud", _("Malicious or fraud")


class BorrowerType(models.TextChoices):
    PROVOCATIVE = "provocative", _("Provocative")
    EVASIVE = "evasive", _("Evasive")
    VICTIM = "victim", _("Victim")
    OVERBEARING = "overbearing", _("Overbearing")
    STUBBORN = "stubborn", _("Stubborn")
    SOPHISTICATED = "sophisticated", _("Sophisticated")
    SERIAL_PROMISER = "serial_promiser", _("Serial promiser")


BORROWER_TYPE_TACTICS = {
    BorrowerType.PROVOCATIVE: _(
        "Find the motive, let them vent, show sympathy, propose a solution when calm; never confront."
    ),
    BorrowerType.EVASIVE: _(
        "Keep calling and visiting until they agree to talk; hint that a better option exists; be confident."
    ),
    BorrowerType.VICTIM: _("Wait until they are calm, show understanding, then refocus on repayment options."),
    BorrowerType.OVERBEARING: _("Be firm, know the procedure, present facts, lead the conversation."),
    BorrowerType.STUBBORN: _("Be patient, explain why the policy is strict and the benefits of paying on time."),
    BorrowerType.SOPHISTICATED: _(
        "Show knowledge of legal procedure, stay friendly and persistent, be professional."
    ),
    BorrowerType.SERIAL_PROMISER: _(
        "Stress keeping promises and the consequences of breaking them, and act on it."
    ),
}


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    PARTIALLY_KEPT = "partially_kept", _("Partially kept")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")
    REPLACED = "replaced", _("Replaced")


class OfferStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
    ACTIVE = "active", _("Active")
    PAID = "paid", _("Paid, case settled")
    LAPSED = "lapsed", _("Lapsed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class PlanStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
    ACTIVE = "active", _("Active")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ApprovalLevel(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Admin")


class PauseKind(models.TextChoices):
    FORBEARANCE = "forbearance", _("Forbearance")
    PAYMENT_PLAN = "payment_plan", _("Payment plan kept")
    DISPUTE = "dispute", _("Dispute under review")
    DECEASED = "deceased", _("Deceased, under verification")


class ActionKind(models.TextChoices):
    SMS_REMINDER = "sms_reminder", _("SMS reminder")
    ROBOT_CALL = "robot_call", _("Robot call")
    CALL = "call", _("Call task")
    FIELD_VISIT = "field_visit", _("Field visit proposal")
    LETTER = "letter", _("Overdue notice letter")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer's letter")
    GUARANTOR_CONTACT = "guarantor_contact", _("Contact the guarantor")
    AGENCY = "agency", _("Outside agency placement proposal")
    LITIGATION = "litigation", _("Litigation proposal")
    WRITE_OFF = "write_off", _("Write-off proposal")


class ActionStatus(models.TextChoices):
    """What is stored (docs/messages.md, "Strategy actions"). An open action is *planned* or *due*
    by its due date against the business date (:class:`ActionState`, derived, never stored)."""

    OPEN = "open", _("Open")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded")
    FAILED = "failed", _("Failed")


# an action still to do: at most one of each kind per case (constraint one_open_action_per_kind)
OPEN_ACTION_STATUSES = (ActionStatus.OPEN,)
# an action whose life is over: it records who or what ended it and when (constraint case_action_end_recorded)
ENDED_ACTION_STATUSES = (ActionStatus.DONE, ActionStatus.SKIPPED, ActionStatus.EXPIRED, ActionStatus.SUPERSEDED,
                         ActionStatus.FAILED)


class ActionState(models.TextChoices):
    """An action's state as pages and the API show it: the stored status, an open one split by its
    due date against the business date (domain.actions.action_state)."""

    PLANNED = "planned", _("Planned")
    DUE = "due", _("Due")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded")
    FAILED = "failed", _("Failed")


class ApprovalKind(models.TextChoices):
    FIELD_VISIT = "field_visit", _("Field visit")
    VISIT_EXTENSION = "visit_extension", _("Field visit extension")
    LETTER = "letter", _("Letter with legal weight")
    AGENCY = "agency", _("Outside agency placement")
    LITIGATION = "litigation", _("Litigation")
    WRITE_OFF = "write_off", _("Write-off")
    SETTLEMENT = "settlement", _("Settlement / payment plan below balance")
    PROMISE_EXTENSION = "promise_extension", _("Promise dated beyond the limit")
    STRATEGY = "strategy", _("Strategy / bucket change")
    STOP_FLAG = "stop_flag", _("Collection contact stopped (review the flag)")
    RULE_BREACH = "rule_breach", _("Contact despite a refusal (quality review)")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class VisitStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved, to visit")
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Visited")
    CANCELLED = "cancelled", _("Cancelled")


class LetterKind(models.TextChoices):
    OVERDUE_NOTICE = "overdue_notice", _("Overdue notice (催收函)")
    LAWYER = "lawyer", _("Lawyer's letter (律师函)")


class LetterStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class TargetPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    WEEK = "week", _("Week")
    DAY = "day", _("Day")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class ImportKind(models.TextChoices):
    LOANS = "loans", _("Loan book")
    INSTALLMENTS = "installments", _("Installment schedules")
    PAYMENTS = "payments", _("Payments")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("File rejected")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class StrategyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved, takes effect on its date")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")
    REJECTED = "rejected", _("Rejected")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class DisputeOutcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class DocumentKind(models.TextChoices):
    EVIDENCE = "evidence", _("Dispute evidence")
    DEATH_CERTIFICATE = "death_certificate", _("Death certificate")
    BANKRUPTCY_NOTICE = "bankruptcy_notice", _("Bankruptcy notice or court order")
    LAWYER_LETTER = "lawyer_letter", _("Letter of representation from a lawyer")
    OTHER = "other", _("Other document")


class SampleRule(models.TextChoices):
    """How a quality-review sample is drawn (docs/quality.md)."""

    RANDOM = "random", _("Random contacts")
    REFUSAL_OVERRIDDEN = "refusal", _("Contacts despite a refusal")
    COMPLAINTS = "complaints", _("Contacts named in complaints")
    LONG_CALLS = "long_calls", _("Long calls")
    NEW_COLLECTORS = "new_collectors", _("First calls of new collectors")


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("To review")
    DONE = "done", _("Scored")
    CANCELLED = "cancelled", _("Cancelled")


class ItemResult(models.TextChoices):
    PASS = "pass", _("Met")
    FAIL = "fail", _("Not met")
    NA = "na", _("Not applicable")
