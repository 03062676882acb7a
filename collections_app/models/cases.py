"""Collection cases and the work done on them: actions, contacts, promises, visits, letters,
approvals, complaints, assignments, notes."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    ActionKind,
    ActionStatus,
    ApprovalKind,
    ApprovalStatus,
    BorrowerType,
    CaseCloseReason,
    CaseStatus,
    Channel,
    ComplaintStatus,
    LetterKind,
    LetterStatus,
    Outcome,
    OverdueReason,
    PromiseStatus,
    VisitStatus,
)
from .parties import Borrower, ContactPoint, Lender

ZERO = Decimal("0")
MONEY = {"max_digits": 16, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class CollectionCase(models.Model):
    """A person, not a loan: one open case per borrower and lender, holding all of that borrower's
    delinquent loans with that lender. Its bucket and DPD are its worst loan's."""

    # lender, team and assigned_to are covered by the composite indexes in Meta (fewer indexes to
    # maintain on the nightly updates; see docs/performance.md)
    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="cases",
                               db_index=False)
    borrower = models.ForeignKey(Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    close_reason = models.CharField(_("close reason"), max_length=12, choices=CaseCloseReason.choices, blank=True)
    assigned_to = models.ForeignKey(
        USER, verbose_name=_("collector"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases",
        db_index=False,
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases",
        db_index=False,
    )
    field_agent = models.ForeignKey(
        USER, verbose_name=_("field agent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="field_cases"
    )
    stage = models.CharField(_("stage"), max_length=10, default="M0", help_text=_("The bucket whose treatment applies."))
    bucket = models.CharField(_("bucket"), max_length=10, default="M0")
    dpd = models.PositiveIntegerField(_("days past due"), default=0)
    overdue_amount = models.DecimalField(_("overdue amount"), default=ZERO, **MONEY)
    outstanding_amount = models.DecimalField(_("outstanding balance"), default=ZERO, **MONEY)
    priority_score = models.DecimalField(_("priority score"), max_digits=20, decimal_places=4, default=ZERO, db_index=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    # when the case's last AssignmentHistory row was written, set with it by services.allocation (or
    # later: never earlier); empty when unknown. From then on the case's collector and team are its
    # holder of the time, so figures skip the history lookups (docs/kpis.md, "Credit")
    holder_since = models.DateTimeField(_("holder since"), null=True, blank=True)
    first_contact_due_at = models.DateTimeField(_("first contact due by"), null=True, blank=True)
    first_worked_at = models.DateTimeField(_("first worked at"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact at"), null=True, blank=True)
    last_outcome = models.CharField(_("last outcome"), max_length=14, choices=Outcome.choices, blank=True)
    next_action = models.CharField(_("next action"), max_length=20, choices=ActionKind.choices, blank=True)
    # not indexed: the nightly run rewrites it on a third of the open cases (docs/performance.md, "Room for
    # the nightly updates"); no page filters or orders by it (the API's ordering by it sorts the listed cases)
    next_action_at = models.DateTimeField(_("next action at"), null=True, blank=True)
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    overdue_reason = models.CharField(_("overdue reason"), max_length=20, choices=OverdueReason.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    written_off = models.BooleanField(_("written off, still pursued"), default=False)
    limitation_date = models.DateField(
        _("statute of limitations lapses on"), null=True, blank=True,
        help_text=_("Three years from the last demand or acknowledgement (PRC civil law)."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at", "priority_score"])

    class Meta:
        verbose_name = _("collection case")
        verbose_name_plural = _("collection cases")
        ordering = ["-priority_score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["borrower", "lender"],
                condition=Q(status__in=["open", "suspended"]),
                name="case_one_open_per_borrower_lender",
            ),
            models.CheckConstraint(
                condition=Q(overdue_amount__gte=0) & Q(outstanding_amount__gte=0), name="case_amounts_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="closed") | Q(close_reason=""), name="case_close_reason_only_when_closed"
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status", "-priority_score"]),
            models.Index(fields=["lender", "status", "bucket"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["status", "bucket"]),
            # the supervisor's limitation warnings count working cases by date (selectors.disputes)
            models.Index(fields=["limitation_date"], name="case_working_limitation",
                         condition=Q(status__in=[CaseStatus.OPEN, CaseStatus.SUSPENDED], limitation_date__isnull=False)),
        ]

    def __str__(self):
        return f"#{self.pk} {self.borrower.name if self.borrower_id else ''}"

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED


class CaseAction(models.Model):
    """An action the strategy created for a case (created once per rule, case and occurrence)."""

    # Indexes: the nightly run inserts thousands of actions a night, so only those read are kept. case:
    # covered by the unique (case, rule_code, occurrence_key); status: by (status, due_on); approval: a
    # partial index on the few actions awaiting one; rule and run: never looked up by (deleting a rule
    # or a run, which the product does not do, scans the table).
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="actions",
                             db_index=False)
    rule = models.ForeignKey("collections_app.StrategyRule", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="actions", db_index=False)
    rule_code = models.CharField(_("rule"), max_length=60)
    kind = models.CharField(_("action"), max_length=20, choices=ActionKind.choices)
    due_on = models.DateField(_("due on"))
    occurrence_key = models.CharField(
        _("occurrence"), max_length=40, help_text=_("Makes creation idempotent: episode start, or the due date for repeats.")
    )
    status = models.CharField(_("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    note = models.CharField(_("why"), max_length=300, blank=True)
    approval = models.ForeignKey("collections_app.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", db_index=False)
    run = models.ForeignKey("collections_app.DelinquencyRun", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # who (done_by; none: the system) and how (done_how: what the person did, or "system: <reason>")
    # the action ended — done, skipped, expired, superseded or failed — and when (services.actions)
    done_by = models.ForeignKey(USER, verbose_name=_("done by"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_index=False)
    done_how = models.CharField(_("how"), max_length=200, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("case action")
        verbose_name_plural = _("case actions")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "rule_code", "occurrence_key"], name="case_action_created_once"),
            # a case carries at most one open action of each kind: a newer one supersedes the older
            # (services.actions; both nightly backends supersede before they insert)
            models.UniqueConstraint(fields=["case", "kind"], condition=Q(status="open"), name="one_open_action_per_kind"),
            # an ended action says when it ended (and services.actions who or what: done_by / done_how)
            models.CheckConstraint(
                condition=Q(status__in=("open", "awaiting_approval")) | Q(done_at__isnull=False),
                name="case_action_end_recorded",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            # a case's next action (the nightly run, the queue): its oldest open action
            models.Index(fields=["case", "due_on", "id"], condition=Q(status="open"), name="case_action_open_first"),
            models.Index(fields=["approval"], condition=Q(approval__isnull=False), name="case_action_approval"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.due_on}"


class AssignmentHistory(models.Model):
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="assignments")
    from_user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("from"))
    to_user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("to"))
    by_user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"))
    # the team the case went to with ``to_user`` (their team then): figures credit the team of the time
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("team"))
    # the team the case was held by when it left ``from_user`` (the case's team then; empty from nobody):
    # a case's first row says who held it before, and a user moving team later must not move that credit
    # (docs/kpis.md, "Credit")
    from_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("from team"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignment history")
        ordering = ["case", "at"]

    def __str__(self):
        return f"{self.case_id}: {self.from_user_id}→{self.to_user_id}"


class ContactLog(models.Model):
    """One contact or attempt. Every phone contact, answered or not, is a call attempt."""

    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="contacts")
    borrower = models.ForeignKey(Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="contacts")
    user = models.ForeignKey(USER, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices)
    contact_point = models.ForeignKey(
        ContactPoint, verbose_name=_("contact point"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    number_used = models.CharField(_("number or address used"), max_length=300, blank=True)
    is_third_party = models.BooleanField(_("third party"), default=False)
    is_attempt = models.BooleanField(_("call attempt"), default=False)
    is_conversation = models.BooleanField(_("conversation"), default=False)
    note = models.TextField(_("note"), blank=True)
    overdue_reason = models.CharField(_("overdue reason"), max_length=20, choices=OverdueReason.choices, blank=True)
    borrower_type = models.CharField(_("borrower type"), max_length=20, choices=BorrowerType.choices, blank=True)
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    recording = models.FileField(_("recording"), upload_to="recordings/%Y/%m/", blank=True)
    recording_ref = models.CharField(_("recording reference"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("at"), db_index=True)
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    # A contact the compliance rules refused but which had already happened (a number dialled by
    # hand): stored so that nothing that happened goes unrecorded, flagged with the rule it broke
    breach_rule = models.CharField(_("rule broken"), max_length=30, blank=True, db_index=True)
    breach_detail = models.CharField(_("why it was not allowed"), max_length=300, blank=True)
    # the call's id in the phone system that reported it (services.dialer): one contact per call
    dialer_call_id = models.CharField(_("dialer call id"), max_length=100, blank=True)
    # how long the call lasted, as the phone system reported it (services.dialer); quality review samples long calls
    duration_seconds = models.PositiveIntegerField(_("call length (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contact log")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["borrower", "occurred_at"]),
            models.Index(fields=["case", "-occurred_at"]),
            models.Index(fields=["user", "occurred_at"]),
            # the nightly run's limitation refresh finds the contacts logged since the last run
            models.Index(fields=["created_at"], name="contact_created_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dialer_call_id"], condition=~Q(dialer_call_id=""),
                                    name="contact_one_per_dialer_call"),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_channel_display()} {self.get_outcome_display()}"


class PromiseToPay(models.Model):
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="promises")
    borrower = models.ForeignKey(Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="promises")
    contact = models.OneToOneField(
        ContactLog, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="promise"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    promised_date = models.DateField(_("promised date"), db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=PromiseStatus.choices, default=PromiseStatus.PENDING, db_index=True)
    paid_amount = models.DecimalField(_("paid towards it"), default=ZERO, **MONEY)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    approval = models.ForeignKey("collections_app.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("taken by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["promised_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="promise_paid_non_negative"),
            # one open promise per case: a new one replaces it (services.promises.take_promise)
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="one_pending_promise_per_case"),
        ]
        indexes = [models.Index(fields=["case", "status", "promised_date"])]

    def __str__(self):
        return f"{self.amount} on {self.promised_date} ({self.get_status_display()})"


class FieldVisit(models.Model):
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="visits")
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("requested by"))
    agent = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits", verbose_name=_("field agent"))
    status = models.CharField(_("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.REQUESTED, db_index=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    handed_over_on = models.DateField(_("handed over on"), null=True, blank=True)
    due_on = models.DateField(_("visit due by"), null=True, blank=True)
    planned_for = models.DateField(_("planned for"), null=True, blank=True)
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    met_whom = models.CharField(_("met whom"), max_length=200, blank=True)
    place = models.CharField(_("where"), max_length=300, blank=True)
    agreement = models.TextField(_("what was agreed"), blank=True)
    signed_acknowledgement = models.BooleanField(_("signed acknowledgement (签回催收通知书)"), default=False)
    cash_collected = models.DecimalField(_("cash collected"), default=ZERO, **MONEY)
    recording = models.FileField(_("recording"), upload_to="visits/%Y/%m/", blank=True)
    recording_ref = models.CharField(_("recording reference"), max_length=200, blank=True)
    safety_incident = models.TextField(_("safety incident"), blank=True)
    promise = models.OneToOneField(
        "collections_app.PromiseToPay", verbose_name=_("promise agreed"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="visit",
    )
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("field visit")
        verbose_name_plural = _("field visits")
        ordering = ["due_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(cash_collected__gte=0), name="visit_cash_non_negative")]
        indexes = [models.Index(fields=["agent", "status", "due_on"])]

    def __str__(self):
        return f"{self.case_id} {self.get_status_display()} {self.due_on or ''}"


class Letter(models.Model):
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(_("kind"), max_length=16, choices=LetterKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=LetterStatus.choices, default=LetterStatus.DRAFT)
    address = models.CharField(_("address"), max_length=300, blank=True)
    amount_as_of = models.DecimalField(_("amount owed as of the letter date"), default=ZERO, **MONEY)
    as_of = models.DateField(_("letter date"))
    body = models.TextField(_("text"))
    approval = models.ForeignKey("collections_app.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    # the PDF (services.letters): stored privately, downloaded only through views/files.py
    pdf = models.FileField(_("PDF"), upload_to="letters/%Y/%m/", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-as_of", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.as_of}"


class ApprovalRequest(models.Model):
    """Something that costs money or carries legal weight, waiting for a supervisor (特别程序)."""

    kind = models.CharField(_("kind"), max_length=20, choices=ApprovalKind.choices, db_index=True)
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="approvals")
    status = models.CharField(_("status"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING, db_index=True)
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("requested by"))
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("decided by"))
    reason = models.TextField(_("reason"), blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | Q(requested_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="approval_not_by_requester",
            ),
            # one request of a kind waits per case: asking again while it is pending adds nothing
            # (except the reviews raised per event: each stop flag, each contact despite a refusal)
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(status="pending", case__isnull=False)
                & ~Q(kind__in=[ApprovalKind.STOP_FLAG, ApprovalKind.RULE_BREACH]),
                name="approval_one_pending_per_case_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class Complaint(models.Model):
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="complaints")
    borrower = models.ForeignKey(Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="complaints")
    against_user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints_against", verbose_name=_("about collector"))
    channel = models.CharField(_("received by"), max_length=50, blank=True)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN)
    received_at = models.DateTimeField(_("received at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    logged_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Who answers for it and by when (docs/complaints.md: 15 calendar days after it was received).
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints_owned", verbose_name=_("owner"))
    due_on = models.DateField(_("resolve by"))
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("resolved by"))
    # the contacts it is about (services.complaints.complaint_link_contacts; quality review samples them)
    contacts = models.ManyToManyField(ContactLog, verbose_name=_("contacts it is about"), blank=True,
                                      related_name="complaints")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at"]
        constraints = [
            # the note is required when resolving (services.complaints), not here: retention may
            # blank it later when it anonymises the borrower
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True) | Q(status="resolved", resolved_at__isnull=False),
                name="complaint_resolved_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="complaint_status_due")]

    def __str__(self):
        return f"{self.borrower_id} {self.received_at:%Y-%m-%d}"


class CaseNote(models.Model):
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at"]

    def __str__(self):
        return self.text[:50]


class Target(models.Model):
    """A recovery target for a team or a collector over a month, week or day."""

    period = models.CharField(_("period"), max_length=5, choices=[("month", _("Month")), ("week", _("Week")), ("day", _("Day"))])
    period_start = models.DateField(_("period starts on"))
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="targets", verbose_name=_("team"))
    collector = models.ForeignKey(USER, null=True, blank=True, on_delete=models.CASCADE, related_name="targets", verbose_name=_("collector"))
    amount = models.DecimalField(_("amount to recover"), **MONEY)
    set_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-period_start"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="target_amount_non_negative"),
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(collector__isnull=True)) | (Q(team__isnull=True) & Q(collector__isnull=False)),
                name="target_team_xor_collector",
            ),
            models.UniqueConstraint(fields=["period", "period_start", "team"], condition=Q(team__isnull=False), name="target_unique_team"),
            models.UniqueConstraint(fields=["period", "period_start", "collector"], condition=Q(collector__isnull=False), name="target_unique_collector"),
            # a week starts on a Monday (ISO), a month on the 1st (docs/targets.md)
            models.CheckConstraint(
                condition=Q(period="day") | Q(period="week", period_start__iso_week_day=1)
                | Q(period="month", period_start__day=1),
                name="target_period_start_aligned",
                violation_error_message=_("A week target starts on a Monday, a month target on the 1st."),
            ),
        ]

    def __str__(self):
        return f"{self.period} {self.period_start} {self.amount}"
