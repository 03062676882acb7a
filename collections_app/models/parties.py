"""Lenders (委托方), their products, borrowers and contact points."""
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import BorrowerType, ContactKind, ContactSource, ContactStatus, Relation

ZERO = Decimal("0")


class RetentionMode(models.TextChoices):
    """What ``purge_expired`` does with a borrower once the lender's agreement ended more than
    RETENTION_YEARS ago (docs/retention.md)."""

    ANONYMISE = "anonymise", _("anonymise (keep the figures, remove personal data)")
    PURGE = "purge", _("purge (delete the borrower's records)")


class Lender(models.Model):
    """A lender whose loans are worked (委托方), with its compliance settings (docs/compliance.md)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # Compliance (docs/api.md names and defaults)
    contact_start = models.TimeField(_("contact allowed from"), default=dt.time(8, 0))
    contact_end = models.TimeField(_("contact allowed until"), default=dt.time(21, 0))
    lunch_start = models.TimeField(_("lunch break from"), null=True, blank=True)
    lunch_end = models.TimeField(_("lunch break until"), null=True, blank=True)
    max_calls_per_day = models.PositiveSmallIntegerField(_("maximum call attempts a day"), default=3)
    max_calls_per_7_days = models.PositiveSmallIntegerField(_("maximum call attempts in 7 days"), default=7)
    quiet_days_after_conversation = models.PositiveSmallIntegerField(
        _("quiet days after a conversation"), default=0, help_text=_("0 = off; 7 is the US Regulation F rule.")
    )
    third_party_from_bucket = models.CharField(
        _("third-party contact from bucket"),
        max_length=10,
        null=True,
        blank=True,
        default="M2",
        help_text=_("Bucket code from which relatives, emergency contacts and employers may be contacted; empty = never."),
    )
    max_messages_per_day = models.PositiveSmallIntegerField(
        _("maximum messages a day"), default=2,
        help_text=_("SMS and e-mails per borrower and local day (docs/messages.md); 0 = none."),
    )
    payment_account = models.CharField(
        _("repayment account"), max_length=200, blank=True,
        help_text=_("Shown to borrowers in messages and letters (bank, account name and number)."),
    )
    collection_phone = models.CharField(_("collection phone line"), max_length=50, blank=True)
    max_promise_days = models.PositiveSmallIntegerField(
        _("furthest promise date without approval (days)"), default=14
    )
    agreement_ends_on = models.DateField(_("agreement ends on"), null=True, blank=True)
    retention_mode = models.CharField(
        _("after the retention period"), max_length=10, choices=RetentionMode.choices, default=RetentionMode.ANONYMISE,
        help_text=_("What happens to the lender's borrowers once its agreement ended more than the retention period "
                    "ago (5 years by default)."),
    )
    commission_rate = models.DecimalField(
        _("commission rate"), max_digits=6, decimal_places=4, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Disputes, limitation and blacklist (docs/disputes.md)
    dispute_response_days = models.PositiveSmallIntegerField(
        _("days to answer a dispute"), default=30, validators=[MinValueValidator(1)]
    )
    limitation_years = models.PositiveSmallIntegerField(
        _("limitation period (years)"), default=3, validators=[MinValueValidator(1)],
        help_text=_("Counted from the last demand or acknowledgement (three years in PRC civil law)."),
    )
    blacklist_after_worst_bucket = models.BooleanField(
        _("blacklist borrowers who pay off after reaching the worst bucket"), default=True
    )
    blacklist_after_litigation = models.BooleanField(_("blacklist borrowers taken to court"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("lender")
        verbose_name_plural = _("lenders")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(commission_rate__gte=0), name="lender_commission_non_negative"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Product(models.Model):
    """A loan product with its penalty and fee rules (docs/delinquency.md and docs/strategy.md)."""

    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="products")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    penalty_daily_rate = models.DecimalField(
        _("penalty interest, daily rate on overdue principal"),
        max_digits=8,
        decimal_places=6,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
    )
    late_fee_rate = models.DecimalField(
        _("late fee, share of the missed amount"), max_digits=6, decimal_places=4, default=ZERO,
        validators=[MinValueValidator(ZERO)],
    )
    late_fee_min = models.DecimalField(
        _("late fee minimum"), max_digits=14, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    grace_days = models.PositiveSmallIntegerField(_("grace days before a late fee"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["lender", "code"]
        constraints = [
            models.UniqueConstraint(fields=["lender", "code"], name="product_unique_code_per_lender"),
            models.CheckConstraint(
                condition=Q(penalty_daily_rate__gte=0) & Q(late_fee_rate__gte=0) & Q(late_fee_min__gte=0),
                name="product_rates_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Borrower(models.Model):
    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="borrowers",
                               db_index=False)  # covered by the unique (lender, external_id) index
    external_id = models.CharField(_("borrower id"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    national_id = models.CharField(_("national id"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    timezone = models.CharField(
        _("local time zone"), max_length=64, blank=True, help_text=_("Empty: the lender's time zone.")
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=20, blank=True)
    # Best time to call (docs/collector.md)
    work_starts_at = models.TimeField(_("working day starts at"), null=True, blank=True)
    preferred_call_start = models.TimeField(_("preferred call window from"), null=True, blank=True)
    preferred_call_end = models.TimeField(_("preferred call window until"), null=True, blank=True)
    income_day = models.PositiveSmallIntegerField(_("income day of month"), null=True, blank=True)
    borrower_type = models.CharField(_("borrower type"), max_length=20, choices=BorrowerType.choices, blank=True)
    # Stop flags (docs/compliance.md)
    cease_contact = models.BooleanField(_("cease contact requested"), default=False)
    dispute = models.BooleanField(_("disputes the debt"), default=False)
    deceased = models.BooleanField(_("reported deceased"), default=False)
    bankruptcy = models.BooleanField(_("bankruptcy"), default=False)
    lawyer_represented = models.BooleanField(_("represented by a lawyer"), default=False)
    # Promise record (maintained by the promise service)
    promises_made = models.PositiveIntegerField(_("promises made"), default=0)
    promises_kept = models.PositiveIntegerField(_("promises kept"), default=0)
    promises_broken = models.PositiveIntegerField(_("promises broken"), default=0)
    promised_amount_total = models.DecimalField(_("amount promised"), max_digits=16, decimal_places=2, default=ZERO)
    kept_amount_total = models.DecimalField(_("amount paid on promises"), max_digits=16, decimal_places=2, default=ZERO)
    raw = models.JSONField(_("raw import data"), default=dict, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["raw", "updated_at"])

    class Meta:
        verbose_name = _("borrower")
        verbose_name_plural = _("borrowers")
        constraints = [
            models.UniqueConstraint(fields=["lender", "external_id"], name="borrower_unique_external_id"),
            models.CheckConstraint(
                condition=Q(promised_amount_total__gte=0) & Q(kept_amount_total__gte=0),
                name="borrower_promise_amounts_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["national_id"]),
                   # the queue reads the book's distinct time zones by walking it (selectors.queue._zones)
                   models.Index(fields=["timezone"], name="borrower_timezone")]

    def __str__(self):
        return f"{self.name} ({self.external_id})"

    @property
    def stop_flags(self) -> list[str]:
        return [
            f
            for f in ("cease_contact", "dispute", "deceased", "bankruptcy", "lawyer_represented")
            if getattr(self, f)
        ]

    @property
    def promise_reliability(self):
        """Kept ÷ made, weighted by amount; None before any promise has been judged."""
        if not self.promised_amount_total:
            return None
        return min(self.kept_amount_total / self.promised_amount_total, Decimal("1"))


class ContactPoint(models.Model):
    """A phone, address, e-mail or employer of the borrower or of a third party."""

    # borrower: covered by the unique (borrower, kind, value, relation) index
    borrower = models.ForeignKey(
        Borrower, verbose_name=_("borrower"), on_delete=models.CASCADE, related_name="contact_points", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices, default=ContactKind.PHONE)
    value = models.CharField(_("value"), max_length=300)
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices, default=Relation.SELF)
    name = models.CharField(_("person's name"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=ContactStatus.choices, default=ContactStatus.VALID)
    source = models.CharField(_("source"), max_length=10, choices=ContactSource.choices, default=ContactSource.IMPORT)
    is_primary = models.BooleanField(_("primary"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["borrower", "relation", "-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["borrower", "kind", "value", "relation"], name="contact_point_unique_per_borrower"
            ),
        ]
        indexes = [models.Index(fields=["value"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value} ({self.get_relation_display()})"

    @property
    def is_third_party(self) -> bool:
        return self.relation != Relation.SELF


class BlacklistEntry(models.Model):
    """A borrower never to be lent to again (黑名单)."""

    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="blacklist")
    borrower = models.ForeignKey(
        Borrower, verbose_name=_("borrower"), null=True, blank=True, on_delete=models.SET_NULL, related_name="blacklist_entries"
    )
    national_id = models.CharField(_("national id"), max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    reason = models.TextField(_("reason"))
    # the rule that added the borrower (services.blacklist.BY_RULE codes); empty = added by hand
    rule = models.CharField(_("added by rule"), max_length=30, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_on = models.DateField(_("added on"), default=dt.date.today)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")
        constraints = [
            models.UniqueConstraint(
                fields=["lender", "borrower"], condition=Q(removed_on__isnull=True), name="blacklist_one_active_entry"
            ),
        ]

    def __str__(self):
        return f"{self.name or self.borrower} — {self.lender.code}"
