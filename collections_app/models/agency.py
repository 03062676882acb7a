"""Outside collection agencies (委外) and the cases placed with them (docs/agency.md)."""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

RATE = {"max_digits": 5, "decimal_places": 4}
USER = settings.AUTH_USER_MODEL


class RecallReason(models.TextChoices):
    BY_HAND = "by_hand", _("Recalled by hand")
    RECALL_DATE = "recall_date", _("Recall date reached")
    CASE_CLOSED = "case_closed", _("Case closed")


class Agency(models.Model):
    """An outside agency under contract: who to talk to, what it earns per bucket, and when."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    contract_start = models.DateField(_("contract starts on"))
    contract_end = models.DateField(_("contract ends on"), null=True, blank=True,
                                    help_text=_("Empty: open-ended."))
    default_rate = models.DecimalField(
        _("commission rate for other buckets"), **RATE,
        help_text=_("Share of each payment collected, 0–1 (0.2 = 20%), for a bucket without its own rate."),
    )
    placement_days = models.PositiveIntegerField(
        _("days until the planned recall"), default=90,
        help_text=_("The recall date proposed when a case is placed."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(default_rate__gte=0) & Q(default_rate__lte=1),
                                   name="agency_default_rate_0_1"),
            models.CheckConstraint(condition=Q(contract_end__isnull=True) | Q(contract_end__gte=F("contract_start")),
                                   name="agency_contract_end_after_start"),
            models.CheckConstraint(condition=Q(placement_days__gte=1), name="agency_placement_days_positive"),
        ]

    def __str__(self):
        return self.name


class AgencyRate(models.Model):
    """The commission rate an agency earns on cases placed while in one bucket."""

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="rates")
    bucket = models.CharField(_("bucket"), max_length=10)
    rate = models.DecimalField(_("commission rate"), **RATE, help_text=_("0–1 (0.2 = 20%)."))

    class Meta:
        verbose_name = _("commission rate")
        verbose_name_plural = _("commission rates")
        ordering = ["agency", "bucket"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "bucket"], name="agency_rate_one_per_bucket"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=1), name="agency_rate_0_1"),
        ]

    def __str__(self):
        return f"{self.agency_id} {self.bucket} {self.rate}"


class AgencyPlacement(models.Model):
    """A case worked by an agency from ``placed_on`` until the day before ``recalled_on``."""

    case = models.ForeignKey("collections_app.CollectionCase", verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="placements")
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="placements")
    bucket = models.CharField(_("bucket at placement"), max_length=10)
    commission_rate = models.DecimalField(_("commission rate"), **RATE)
    placed_on = models.DateField(_("placed on"))
    recall_on = models.DateField(_("planned recall date"))
    recalled_on = models.DateField(_("recalled on"), null=True, blank=True)
    recall_reason = models.CharField(_("why recalled"), max_length=12, choices=RecallReason.choices, blank=True)
    approval = models.ForeignKey("collections_app.ApprovalRequest", verbose_name=_("approval"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    placed_by = models.ForeignKey(USER, verbose_name=_("placed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    recalled_by = models.ForeignKey(USER, verbose_name=_("recalled by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agency placement")
        verbose_name_plural = _("agency placements")
        ordering = ["-placed_on", "-id"]
        constraints = [
            # a case is with at most one agency at a time
            models.UniqueConstraint(fields=["case"], condition=Q(recalled_on__isnull=True),
                                    name="placement_one_active_per_case"),
            models.CheckConstraint(condition=Q(commission_rate__gte=0) & Q(commission_rate__lte=1),
                                   name="placement_rate_0_1"),
            models.CheckConstraint(condition=Q(recall_on__gt=F("placed_on")), name="placement_recall_after_placing"),
            models.CheckConstraint(
                condition=(Q(recalled_on__isnull=True) & Q(recall_reason=""))
                | (Q(recalled_on__gte=F("placed_on")) & ~Q(recall_reason="")),
                name="placement_recalled_has_date_and_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "recalled_on"], name="placement_agency_active"),
            models.Index(fields=["recall_on"], condition=Q(recalled_on__isnull=True), name="placement_due_recall"),
        ]

    def __str__(self):
        return f"{self.case_id} → {self.agency_id} {self.placed_on}"

    @property
    def is_active(self) -> bool:
        return self.recalled_on is None


class PlacementPayment(models.Model):
    """A payment made while its case was placed: the agency's, at the placement's rate."""

    placement = models.ForeignKey(AgencyPlacement, verbose_name=_("placement"), on_delete=models.PROTECT,
                                  related_name="payment_links")
    payment = models.OneToOneField("collections_app.Payment", verbose_name=_("payment"), on_delete=models.CASCADE,
                                   related_name="placement_link")
    created_at = models.DateTimeField(_("attributed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment attributed to an agency")
        verbose_name_plural = _("payments attributed to agencies")
        ordering = ["placement", "payment"]

    def __str__(self):
        return f"{self.payment_id} → {self.placement_id}"
