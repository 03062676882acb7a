"""Daily figures kept by the nightly run (docs/kpis.md, "Daily figures"): one row per business day,
lender, team, collector and bucket, so trend panels read a small table instead of the contact log."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .parties import Lender

ZERO = Decimal("0")
MONEY = {"max_digits": 18, "decimal_places": 2}


class DailyFigures(models.Model):
    day = models.DateField(_("day"))
    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_index=False)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("collector"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+", db_index=False)
    bucket = models.CharField(_("bucket"), max_length=10)
    collected = models.DecimalField(_("collected"), default=ZERO, **MONEY)
    overdue = models.DecimalField(_("overdue at the end of the day"), default=ZERO, **MONEY)
    overdue_loans = models.PositiveIntegerField(_("overdue loans"), default=0)
    promises_made = models.PositiveIntegerField(_("promises made"), default=0)
    promised_amount = models.DecimalField(_("amount promised"), default=ZERO, **MONEY)
    promises_due = models.PositiveIntegerField(_("promises due"), default=0)
    promises_kept = models.PositiveIntegerField(_("promises kept"), default=0)
    promises_broken = models.PositiveIntegerField(_("promises broken"), default=0)
    promises_partial = models.PositiveIntegerField(_("promises partially kept"), default=0)
    promises_open_due = models.PositiveIntegerField(_("promises due and still open"), default=0)
    attempts = models.PositiveIntegerField(_("call attempts"), default=0)
    contacts = models.PositiveIntegerField(_("contacts reached"), default=0)
    rpc = models.PositiveIntegerField(_("right-party contacts"), default=0)
    cases_in = models.PositiveIntegerField(_("cases opened"), default=0)
    cases_out = models.PositiveIntegerField(_("cases closed"), default=0)
    loans_cured = models.PositiveIntegerField(_("loans cured"), default=0)
    loans_rolled = models.PositiveIntegerField(_("loans rolled forward"), default=0)
    built_at = models.DateTimeField(_("built at"), auto_now=True)

    class Meta:
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")
        ordering = ["day", "lender", "team", "collector", "bucket"]
        indexes = [models.Index(fields=["day", "lender"]), models.Index(fields=["collector", "day"])]
        constraints = [
            models.UniqueConstraint(fields=["day", "lender", "team", "collector", "bucket"],
                                    name="daily_figures_one_row_per_key", nulls_distinct=False),
        ]

    def __str__(self):
        return f"{self.day} {self.lender_id}/{self.team_id}/{self.collector_id}/{self.bucket}"


class FiguresDay(models.Model):
    """A business day whose daily figures were built, and when (docs/kpis.md, "Stored and live days").
    The day's stored figures stand for it while no FiguresChange row names it."""

    day = models.DateField(_("day"), unique=True)
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        verbose_name = _("day of daily figures")
        verbose_name_plural = _("days of daily figures")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day} ({self.built_at:%Y-%m-%d %H:%M})"


class FiguresChange(models.Model):
    """A write that changed the work or money of a day after the day was over (a payment dated that
    day imported later, a promise made or due that day judged, a contact dated that day, a loan with
    payments that day taken into collections). Only ever inserted, in the transaction of the write,
    so writers never wait for each other; a build of the day deletes the rows it saw before reading
    the raw tables, so a row committed while the day is built survives it and the day stays stale."""

    day = models.DateField(_("day"), db_index=True)

    class Meta:
        verbose_name = _("change to a past day's figures")
        verbose_name_plural = _("changes to past days' figures")

    def __str__(self):
        return str(self.day)
