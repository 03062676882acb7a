"""Buckets and the treatment strategy as versioned data (maker-checker), and the nightly runs."""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import ActionKind, Channel, RunStatus, StrategyStatus
from .parties import Product


class StrategyVersion(models.Model):
    """One version of the buckets and the treatment rules. A change is a new version that a second
    admin approves before it takes effect; exactly one version is active at a time."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=StrategyStatus.choices, default=StrategyStatus.DRAFT)
    note = models.TextField(_("what changed"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("strategy version")
        verbose_name_plural = _("strategy versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="strategy_one_active_version"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("created_by")),
                name="strategy_maker_is_not_checker",
            ),
            # approved by a second admin for a date (docs/strategy-versions.md)
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_by__isnull=False, effective_from__isnull=False),
                name="strategy_approved_has_checker_and_date",
            ),
        ]

    def __str__(self):
        return f"v{self.number} ({self.get_status_display()})"


class Bucket(models.Model):
    """A delinquency bucket: a DPD range (aging days, after pauses). Default table in docs/delinquency.md."""

    version = models.ForeignKey(StrategyVersion, verbose_name=_("strategy version"), on_delete=models.CASCADE, related_name="buckets")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=100, blank=True)
    min_dpd = models.PositiveIntegerField(_("from DPD"))
    max_dpd = models.PositiveIntegerField(_("to DPD"), null=True, blank=True, help_text=_("Empty: no upper bound."))
    position = models.PositiveSmallIntegerField(_("order"))
    risk_weight = models.DecimalField(_("risk weight"), max_digits=6, decimal_places=3, default=1)

    class Meta:
        verbose_name = _("bucket")
        verbose_name_plural = _("buckets")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="bucket_unique_code"),
            models.UniqueConstraint(fields=["version", "position"], name="bucket_unique_position"),
            models.CheckConstraint(
                condition=Q(max_dpd__isnull=True) | Q(max_dpd__gte=F("min_dpd")), name="bucket_range_ordered"
            ),
        ]

    def __str__(self):
        upper = self.max_dpd if self.max_dpd is not None else "∞"
        return f"{self.code} ({self.min_dpd}–{upper})"


class StrategyRule(models.Model):
    """bucket/DPD range + condition → action. Rules with ``product`` empty apply to every product."""

    version = models.ForeignKey(StrategyVersion, verbose_name=_("strategy version"), on_delete=models.CASCADE, related_name="rules")
    code = models.SlugField(_("rule code"), max_length=60)
    description = models.CharField(_("description"), max_length=300)
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    bucket = models.CharField(_("bucket"), max_length=10, blank=True, help_text=_("Empty: any bucket."))
    dpd_min = models.PositiveIntegerField(_("from DPD"), null=True, blank=True)
    dpd_max = models.PositiveIntegerField(_("to DPD"), null=True, blank=True)
    condition = models.JSONField(
        _("condition"), default=dict, blank=True,
        help_text=_('Extra conditions, e.g. {"has_guarantor": true, "min_overdue_amount": "5000"}.'),
    )
    action = models.CharField(_("action"), max_length=20, choices=ActionKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    repeat_every_days = models.PositiveSmallIntegerField(
        _("repeat every (days)"), null=True, blank=True, help_text=_("Empty: once per delinquency episode.")
    )
    needs_approval = models.BooleanField(_("needs a supervisor's approval"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("strategy rule")
        verbose_name_plural = _("strategy rules")
        ordering = ["version", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="strategy_rule_unique_code")]

    def __str__(self):
        return f"{self.code}: {self.description}"


class DelinquencyRun(models.Model):
    """One run of the delinquency engine for a business date, with its summary."""

    as_of = models.DateField(_("business date"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    strategy_version = models.ForeignKey(StrategyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="runs")
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    loans_processed = models.PositiveIntegerField(_("loans processed"), default=0)
    bucket_changes = models.PositiveIntegerField(_("bucket changes"), default=0)
    cases_opened = models.PositiveIntegerField(_("cases opened"), default=0)
    cases_closed = models.PositiveIntegerField(_("cases closed"), default=0)
    actions_created = models.PositiveIntegerField(_("actions created"), default=0)
    promises_broken = models.PositiveIntegerField(_("promises broken"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    triggered_by = models.CharField(_("triggered by"), max_length=50, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("delinquency run")
        verbose_name_plural = _("delinquency runs")
        ordering = ["-started_at"]
        constraints = [
            # a second start for a date joins the running run (services.nightly.start_run); a failed
            # or finished run does not count, so a date can always be run again
            models.UniqueConstraint(fields=["as_of"], condition=Q(status=RunStatus.RUNNING),
                                    name="one_running_run_per_date"),
        ]

    def __str__(self):
        return f"{self.as_of} {self.get_status_display()}"


class DelinquencyRunChunk(models.Model):
    """One borrower-id range of a run. Its work and its ``done_at`` commit in one transaction under
    this row's lock, so a chunk delivered twice (or run by two processes at once) counts once."""

    run = models.ForeignKey(DelinquencyRun, on_delete=models.CASCADE, related_name="chunk_rows")
    lo = models.BigIntegerField(_("first borrower id"))
    hi = models.BigIntegerField(_("last borrower id"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("delinquency run chunk")
        verbose_name_plural = _("delinquency run chunks")
        ordering = ["run", "lo"]
        constraints = [
            models.UniqueConstraint(fields=["run", "lo"], name="one_chunk_per_range_start"),
            models.CheckConstraint(condition=Q(lo__lte=F("hi")), name="chunk_range_ordered"),
        ]

    def __str__(self):
        return f"{self.run_id}: {self.lo}–{self.hi}"
