"""Loans, their schedules and payments, aging pauses and the bucket (roll) history."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import LoanStatus, PauseKind
from .parties import Borrower, Lender, Product

ZERO = Decimal("0")
MONEY = {"max_digits": 16, "decimal_places": 2}


class Loan(models.Model):
    # lender and borrower are covered by the composite indexes below (fewer indexes: faster imports and
    # nightly updates; see docs/performance.md)
    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="loans",
                               db_index=False)
    borrower = models.ForeignKey(Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="loans",
                                 db_index=False)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="loans"
    )
    external_id = models.CharField(_("loan id"), max_length=64)
    principal = models.DecimalField(_("principal"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    disbursed_on = models.DateField(_("disbursed on"))
    annual_rate = models.DecimalField(_("annual rate"), max_digits=8, decimal_places=6, null=True, blank=True)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=LoanStatus.choices, default=LoanStatus.OPEN
    )
    # Derived by the delinquency engine as of ``as_of`` (docs/delinquency.md)
    as_of = models.DateField(_("as of"), null=True, blank=True)
    dpd = models.PositiveIntegerField(_("days past due"), default=0)
    aging_days = models.PositiveIntegerField(_("aging days (DPD less paused days)"), default=0)
    bucket = models.CharField(_("bucket"), max_length=10, default="CURRENT")
    overdue_amount = models.DecimalField(_("overdue amount"), default=ZERO, **MONEY)
    paid_total = models.DecimalField(_("paid to date"), default=ZERO, **MONEY)
    outstanding_amount = models.DecimalField(_("outstanding scheduled amount"), default=ZERO, **MONEY)
    overpayment = models.DecimalField(_("overpayment (credit)"), default=ZERO, **MONEY)
    penalty_accrued = models.DecimalField(_("penalty interest accrued"), default=ZERO, **MONEY)
    fees_accrued = models.DecimalField(_("late fees accrued"), default=ZERO, **MONEY)
    oldest_unpaid_due_date = models.DateField(_("oldest unpaid due date"), null=True, blank=True)
    settled_on = models.DateField(_("settled on"), null=True, blank=True)
    # The first date the amounts above can change while the loan's rows stay the same (an installment
    # falls due, a dated payment starts to count); until then the nightly run only advances DPD.
    next_change_on = models.DateField(_("figures next change on"), null=True, blank=True)
    # Penalty interest = penalty_base × the product's daily rate, rounded once; each day adds the unpaid
    # principal due (penalty_principal) to the base — what lets the run advance a late loan's penalty.
    penalty_base = models.DecimalField(_("penalty base (principal-days)"), max_digits=22, decimal_places=2,
                                       default=ZERO)
    penalty_principal = models.DecimalField(_("principal accruing penalty"), default=ZERO, **MONEY)
    needs_recalc = models.BooleanField(_("needs recalculation"), default=True)
    case = models.ForeignKey(
        "collections_app.CollectionCase",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="loans",
    )
    raw = models.JSONField(_("raw import data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(
        excluded_fields=["raw", "updated_at", "needs_recalc", "as_of", "penalty_accrued", "fees_accrued", "next_change_on",
                         "penalty_base", "penalty_principal"]
    )

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        constraints = [
            models.UniqueConstraint(fields=["lender", "external_id"], name="loan_unique_external_id"),
            models.CheckConstraint(condition=Q(principal__gte=0), name="loan_principal_non_negative"),
            models.CheckConstraint(
                condition=Q(overdue_amount__gte=0)
                & Q(paid_total__gte=0)
                & Q(outstanding_amount__gte=0)
                & Q(overpayment__gte=0)
                & Q(penalty_accrued__gte=0)
                & Q(fees_accrued__gte=0),
                name="loan_amounts_non_negative",
            ),
            models.CheckConstraint(condition=Q(penalty_base__gte=0) & Q(penalty_principal__gte=0),
                                   name="loan_penalty_base_non_negative"),
        ]
        indexes = [
            models.Index(fields=["lender", "bucket"]),
            models.Index(fields=["borrower", "status"]),
            models.Index(fields=["id"], condition=Q(needs_recalc=True), name="loan_needs_recalc"),
        ]
        # The nightly run rewrites the figures above (dpd, amounts, as_of) of every delinquent loan each
        # day. None of them is indexed, and the table keeps free room on each page (fillfactor, set on
        # PostgreSQL by migration 0002), so those updates are heap-only (HOT): no index is touched.

    def __str__(self):
        return f"{self.external_id} ({self.lender.code})" if self.lender_id else self.external_id


class LoanRecalc(models.Model):
    """A payment was stored for this loan since the nightly run last evaluated it: the loan needs a full
    evaluation (``selectors.recalc``: ``needs_recalc`` or a row here). A payment import writes one narrow
    row here instead of rewriting the wide loan row (its seven indexes); the evaluation deletes it."""

    loan = models.OneToOneField(Loan, verbose_name=_("loan"), primary_key=True, on_delete=models.CASCADE,
                                related_name="recalc_flag")
    # set again on every flagging: the nightly run deletes only the rows it read before the payments
    # (same loan, same time), so a payment stored while a chunk runs keeps its flag
    flagged_at = models.DateTimeField(_("flagged at"), default=timezone.now)

    class Meta:
        verbose_name = _("loan flagged for recalculation")
        verbose_name_plural = _("loans flagged for recalculation")

    def __str__(self):
        return f"{self.loan_id} @ {self.flagged_at}"


class Installment(models.Model):
    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="installments",
                             db_index=False)  # covered by the unique (loan, seq) index
    seq = models.PositiveIntegerField(_("installment number"))
    due_date = models.DateField(_("due date"))
    principal_due = models.DecimalField(_("principal due"), **MONEY)
    interest_due = models.DecimalField(_("interest due"), default=ZERO, **MONEY)
    fee_due = models.DecimalField(_("fee due"), default=ZERO, **MONEY)
    amount_due = models.GeneratedField(
        expression=F("principal_due") + F("interest_due") + F("fee_due"),
        output_field=models.DecimalField(**MONEY),
        db_persist=True,
        verbose_name=_("amount due"),
    )
    # As of the loan's as_of date (written by the delinquency engine)
    # What the payments applied to an installment is not stored: the engine derives it from the
    # payments (selectors.loan_figures.show_paid / installment_states) for the case page and the API.

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ["loan", "due_date", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "seq"], name="installment_unique_seq"),
            models.CheckConstraint(
                condition=Q(principal_due__gte=0) & Q(interest_due__gte=0) & Q(fee_due__gte=0),
                name="installment_amounts_non_negative",
            ),
        ]
        indexes = [
            # INCLUDE amount_due: a loan's sum due before a date (the dashboard's recovery base, per loan)
            # is read from the index alone on PostgreSQL (docs/kpis.md, "Speed")
            models.Index(fields=["loan", "due_date", "seq"], include=["amount_due"], name="installment_loan_due"),
            models.Index(fields=["due_date"]),
        ]

    def __str__(self):
        return f"{self.loan_id} #{self.seq} {self.due_date}"


class Payment(models.Model):
    class Source(models.TextChoices):
        IMPORT = "import", _("Lender's payment file")
        API = "api", _("API")
        COLLECTOR = "collector", _("Entered by a collector")
        FIELD = "field", _("Collected on a field visit")
        # not money received: a correction of what is owed (an upheld dispute), applied by the engine
        # like a payment and left out of every "collected" figure (docs/disputes.md)
        ADJUSTMENT = "adjustment", _("Correction after an upheld dispute")

    # lender and loan: covered by the unique (lender, external_id) and (loan, paid_on, id) indexes
    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="payments",
                               db_index=False)
    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="payments",
                             db_index=False)
    external_id = models.CharField(_("payment id"), max_length=64)
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    channel = models.CharField(_("channel"), max_length=50, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.IMPORT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    import_job = models.ForeignKey(
        "collections_app.ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["loan", "paid_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lender", "external_id"], name="payment_unique_external_id"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_non_negative"),
        ]
        # INCLUDE amount, source: a loan's payments between two dates summed from the index alone on
        # PostgreSQL (the dashboard's recovery, per loan; docs/kpis.md, "Speed")
        indexes = [models.Index(fields=["loan", "paid_on", "id"], include=["amount", "source"], name="payment_loan_paid"),
                   models.Index(fields=["paid_on"]),
                   # the nightly run's limitation refresh finds the payments recorded since the last run
                   models.Index(fields=["created_at"], name="payment_created_at")]

    def __str__(self):
        return f"{self.external_id} {self.amount} on {self.paid_on}"


class AgingPause(models.Model):
    """Days that do not age a loan's bucket (docs/delinquency.md rule 6). DPD stays contractual."""

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="pauses")
    kind = models.CharField(_("kind"), max_length=12, choices=PauseKind.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True, help_text=_("Inclusive; empty = until lifted."))
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("aging pause")
        verbose_name_plural = _("aging pauses")
        ordering = ["loan", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="pause_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.starts_on}–{self.ends_on or '…'}"


class BucketHistory(models.Model):
    """Every bucket change of a loan (roll history, 迁徙), one row per loan and business date."""

    # loan and lender: covered by the unique (loan, on_date) and the (lender, on_date) indexes; run: never
    # looked up by (a row is written per bucket change each night: every index costs)
    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="bucket_history",
                             db_index=False)
    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    on_date = models.DateField(_("date"))
    from_bucket = models.CharField(_("from bucket"), max_length=10)
    to_bucket = models.CharField(_("to bucket"), max_length=10)
    dpd = models.PositiveIntegerField(_("days past due"))
    overdue_amount = models.DecimalField(_("overdue amount"), default=ZERO, **MONEY)
    run = models.ForeignKey(
        "collections_app.DelinquencyRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="bucket_history",
        db_index=False,
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bucket change")
        verbose_name_plural = _("bucket history")
        ordering = ["loan", "on_date"]
        # INCLUDE to_bucket: a loan's bucket on a date read from the index alone on PostgreSQL
        constraints = [models.UniqueConstraint(fields=["loan", "on_date"], include=["to_bucket"],
                                               name="bucket_history_one_per_day")]
        indexes = [models.Index(fields=["lender", "on_date"])]

    def __str__(self):
        return f"{self.loan_id} {self.on_date}: {self.from_bucket}→{self.to_bucket}"
