"""Weekly and monthly reports kept on beat (docs/kpis.md, "Reports"): one row per period, kind and
scope (a collector, a team or a lender), holding the KPI figures it was generated with, so its XLSX
and PDF are rendered again from the same figures whenever they are downloaded or e-mailed."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    WEEKLY = "week", _("Weekly")
    MONTHLY = "month", _("Monthly")


class ReportScope(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    TEAM = "team", _("Team")
    LENDER = "lender", _("Lender")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Report(models.Model):
    kind = models.CharField(_("kind"), max_length=5, choices=ReportKind.choices)
    period_start = models.DateField(_("period starts on"))
    period_end = models.DateField(_("period ends on"))
    scope = models.CharField(_("scope"), max_length=10, choices=ReportScope.choices)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("collector"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    lender = models.ForeignKey("collections_app.Lender", verbose_name=_("lender"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    scope_name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    figures = models.JSONField(_("figures"), default=dict, blank=True,
                               help_text=_("The KPIs as generated; the files are rendered from them."))
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    failure_reason = models.TextField(_("why it failed"), blank=True)
    recipients = models.JSONField(_("e-mailed to"), default=list, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-period_start", "kind", "scope", "scope_name", "id"]
        constraints = [
            # exactly the foreign key of its scope is set
            models.CheckConstraint(
                condition=(Q(scope="collector", collector__isnull=False, team__isnull=True, lender__isnull=True)
                           | Q(scope="team", collector__isnull=True, team__isnull=False, lender__isnull=True)
                           | Q(scope="lender", collector__isnull=True, team__isnull=True, lender__isnull=False)),
                name="report_scope_matches_key"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="report_period_ordered"),
            models.CheckConstraint(condition=~Q(status="ready") | Q(generated_at__isnull=False),
                                   name="report_ready_has_generated_at"),
            # one report per kind, period and scope: a beat delivered twice finds it there
            models.UniqueConstraint(fields=["kind", "period_start", "collector"], condition=Q(scope="collector"),
                                    name="report_one_per_collector_period"),
            models.UniqueConstraint(fields=["kind", "period_start", "team"], condition=Q(scope="team"),
                                    name="report_one_per_team_period"),
            models.UniqueConstraint(fields=["kind", "period_start", "lender"], condition=Q(scope="lender"),
                                    name="report_one_per_lender_period"),
        ]

    def __str__(self):
        return f"{self.kind} {self.period_start} {self.scope} {self.scope_name}"

    @property
    def file_stem(self) -> str:
        return f"report-{self.kind}-{self.period_start:%Y%m%d}-{self.scope}-{self.pk}"
