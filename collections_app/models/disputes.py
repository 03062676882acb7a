"""Disputes of the debt and the documents kept with a case (docs/disputes.md)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .cases import MONEY, CollectionCase
from .choices import DisputeStatus, DocumentKind

USER = settings.AUTH_USER_MODEL


class Dispute(models.Model):
    """The borrower disputes the debt: collection contact stops until it is answered."""

    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="disputes")
    reason = models.CharField(_("reason"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    opened_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("opened by"))
    opened_at = models.DateTimeField(_("opened at"))
    respond_by = models.DateField(_("answer due by"))
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)
    adjustment = models.DecimalField(_("amount corrected"), null=True, blank=True, **MONEY)
    closed_case = models.BooleanField(_("case closed by the resolution"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="open"), name="one_open_dispute_per_case"),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True) | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="dispute_resolved_has_time",
            ),
            models.CheckConstraint(condition=Q(adjustment__isnull=True) | Q(adjustment__gt=0),
                                   name="dispute_adjustment_positive"),
        ]
        indexes = [models.Index(fields=["status", "respond_by"], name="dispute_status_due")]

    def __str__(self):
        return f"#{self.pk} {self.reason[:40]} ({self.get_status_display()})"


class CaseDocument(models.Model):
    """A file kept with a case: dispute evidence, a death certificate, a bankruptcy notice, a lawyer's
    letter of representation. Stored privately; downloaded only through views/files.py."""

    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="documents")
    dispute = models.ForeignKey(Dispute, verbose_name=_("dispute"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to="case_documents/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}"
