"""Settlement offers (减免 / 一次性结清), payment plans (分期还款 / 重组) and the terms that limit them
(docs/settlements.md)."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .cases import ApprovalRequest, CollectionCase
from .choices import ApprovalLevel, OfferStatus, PlanStatus
from .loans import AgingPause
from .parties import Lender

ZERO = Decimal("0")
MONEY = {"max_digits": 16, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL
OPEN_OFFER = [OfferStatus.PENDING_APPROVAL, OfferStatus.ACTIVE]
OPEN_PLAN = [PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE]


class SettlementTerms(models.Model):
    """How far a collector and a supervisor may go alone, per lender and bucket (an empty bucket: the
    lender's default), and the grace and reminder days of payment plans."""

    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.CASCADE,
                               related_name="settlement_terms")
    bucket = models.CharField(_("bucket"), max_length=10, blank=True,
                              help_text=_("Bucket code; empty = every bucket without its own row."))
    collector_max_discount = models.DecimalField(
        _("collector may grant up to (%)"), default=Decimal("10"), **PERCENT,
        help_text=_("Discount off the payoff amount (offers) or shortfall below the overdue amount (plans)."))
    supervisor_max_discount = models.DecimalField(
        _("supervisor may approve up to (%)"), default=Decimal("30"), **PERCENT,
        help_text=_("Above this an admin must approve."))
    plan_grace_days = models.PositiveSmallIntegerField(
        _("grace days after a plan date"), default=3,
        help_text=_("A plan instalment still unpaid this many days after its date breaks the plan."))
    plan_reminder_days = models.PositiveSmallIntegerField(
        _("reminder days before a plan date"), default=2,
        help_text=_("The case comes back to the queue this many days before each plan date."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("settlement terms")
        verbose_name_plural = _("settlement terms")
        ordering = ["lender", "bucket"]
        constraints = [
            models.UniqueConstraint(fields=["lender", "bucket"], name="settlement_terms_one_per_lender_bucket"),
            models.CheckConstraint(
                condition=Q(collector_max_discount__gte=0) & Q(collector_max_discount__lte=models.F("supervisor_max_discount"))
                & Q(supervisor_max_discount__lte=100),
                name="settlement_terms_limits_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.lender_id} {self.bucket or '*'}"


class SettlementOffer(models.Model):
    """A sum below the payoff amount that settles the case when paid in full by ``valid_until``."""

    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="settlement_offers")
    amount = models.DecimalField(_("settlement amount"), **MONEY)
    payoff_amount = models.DecimalField(_("payoff amount when offered"), **MONEY)
    discount_percent = models.DecimalField(_("discount (%)"), **PERCENT)
    offered_on = models.DateField(_("offered on"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=20, choices=OfferStatus.choices)
    level = models.CharField(_("approved at level"), max_length=10, choices=ApprovalLevel.choices)
    approval = models.ForeignKey(ApprovalRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("approval"))
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("offered by"))
    paid_amount = models.DecimalField(_("paid towards it"), default=ZERO, **MONEY)
    ended_on = models.DateField(_("paid, lapsed or ended on"), null=True, blank=True)
    forgiven_amount = models.DecimalField(_("forgiven amount"), default=ZERO, **MONEY,
                                          help_text=_("What the loans still owed when the offer was paid."))
    forgiven_by_loan = models.JSONField(_("forgiven by loan"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("settlement offer")
        verbose_name_plural = _("settlement offers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="offer_amount_positive"),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("offered_on")), name="offer_valid_after_offered"),
            models.UniqueConstraint(fields=["case"], condition=Q(status__in=OPEN_OFFER), name="one_open_offer_per_case"),
        ]

    def __str__(self):
        return f"{self.amount} by {self.valid_until} ({self.status})"


class PaymentPlan(models.Model):
    """The overdue amount (or the whole balance) rescheduled into instalments; aging holds while kept."""

    class Covers(models.TextChoices):
        OVERDUE = "overdue", _("The overdue amount")
        BALANCE = "balance", _("The whole balance")

    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="payment_plans")
    covers = models.CharField(_("covers"), max_length=10, choices=Covers.choices, default=Covers.OVERDUE)
    base_amount = models.DecimalField(_("amount to cover when proposed"), **MONEY)
    total_amount = models.DecimalField(_("plan total"), **MONEY)
    shortfall_percent = models.DecimalField(_("below the amount to cover (%)"), default=ZERO, **PERCENT)
    proposed_on = models.DateField(_("proposed on"))
    activated_on = models.DateField(_("active from"), null=True, blank=True)
    ended_on = models.DateField(_("kept, broken or ended on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices)
    level = models.CharField(_("approved at level"), max_length=10, choices=ApprovalLevel.choices)
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=3)
    approval = models.ForeignKey(ApprovalRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("approval"))
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("proposed by"))
    pauses = models.ManyToManyField(AgingPause, blank=True, related_name="+", verbose_name=_("aging pauses"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gt=0), name="plan_total_positive"),
            models.UniqueConstraint(fields=["case"], condition=Q(status__in=OPEN_PLAN), name="one_open_plan_per_case"),
        ]

    def __str__(self):
        return f"{self.total_amount} in {self.installments.count()} ({self.status})"


class PlanInstallment(models.Model):
    plan = models.ForeignKey(PaymentPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="installments")
    seq = models.PositiveSmallIntegerField(_("no."))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_amount = models.DecimalField(_("paid"), default=ZERO, **MONEY)
    paid_on = models.DateField(_("paid in full on"), null=True, blank=True)
    remind_from = models.DateField(_("reminder calls from"), help_text=_("The case is back in the queue from this day until the instalment is paid."))

    class Meta:
        verbose_name = _("plan instalment")
        verbose_name_plural = _("plan instalments")
        ordering = ["plan", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="plan_installment_unique_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="plan_installment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.seq}: {self.amount} on {self.due_date}"
