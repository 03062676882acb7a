"""Litigation (司法): a legal case on a collection case, its stages, costs and documents
(docs/litigation.md)."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

MONEY = {"max_digits": 16, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class LegalStage(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    FILED = "filed", _("Filed (立案)")
    HEARING = "hearing", _("Hearing")
    JUDGEMENT = "judgement", _("Judgement")
    ENFORCEMENT = "enforcement", _("Enforcement (强制执行)")
    DISHONEST_LIST = "dishonest_list", _("Dishonest-debtor list (失信被执行人)")
    CLOSED = "closed", _("Closed")


class LegalCostKind(models.TextChoices):
    COURT_FEE = "court_fee", _("Court fee")
    LAWYER_FEE = "lawyer_fee", _("Lawyer's fee")
    ENFORCEMENT_FEE = "enforcement_fee", _("Enforcement fee")
    OTHER = "other", _("Other")


class LegalCase(models.Model):
    case = models.ForeignKey("collections_app.CollectionCase", verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="legal_cases")
    stage = models.CharField(_("stage"), max_length=16, choices=LegalStage.choices, default=LegalStage.PREPARED)
    court = models.CharField(_("court"), max_length=200, blank=True)
    case_number = models.CharField(_("court case number"), max_length=100, blank=True)
    opened_on = models.DateField(_("opened on"))
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    hearing_on = models.DateField(_("hearing on"), null=True, blank=True)
    judgement_on = models.DateField(_("judgement on"), null=True, blank=True)
    enforcement_on = models.DateField(_("enforcement from"), null=True, blank=True)
    dishonest_listed_on = models.DateField(_("dishonest-debtor list from"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    approval = models.ForeignKey("collections_app.ApprovalRequest", verbose_name=_("approval"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_by = models.ForeignKey(USER, verbose_name=_("requested by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal case")
        verbose_name_plural = _("legal cases")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=~Q(stage="closed"), name="legal_case_one_open_per_case"),
            models.CheckConstraint(condition=Q(stage="closed", closed_on__isnull=False) | ~Q(stage="closed"),
                                   name="legal_case_closed_has_date"),
        ]

    def __str__(self):
        return f"{self.case_id} {self.get_stage_display()} {self.case_number}"


class LegalStageChange(models.Model):
    legal_case = models.ForeignKey(LegalCase, verbose_name=_("legal case"), on_delete=models.CASCADE,
                                   related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=16, choices=LegalStage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=LegalStage.choices)
    on = models.DateField(_("on"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(USER, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal stage change")
        verbose_name_plural = _("legal stage changes")
        ordering = ["legal_case", "at", "id"]

    def __str__(self):
        return f"{self.legal_case_id} {self.from_stage}→{self.to_stage}"


class LegalCost(models.Model):
    legal_case = models.ForeignKey(LegalCase, verbose_name=_("legal case"), on_delete=models.PROTECT,
                                   related_name="costs")
    kind = models.CharField(_("kind"), max_length=16, choices=LegalCostKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    incurred_on = models.DateField(_("incurred on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal cost")
        verbose_name_plural = _("legal costs")
        ordering = ["-incurred_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=Decimal("0")), name="legal_cost_non_negative")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class LegalDocument(models.Model):
    legal_case = models.ForeignKey(LegalCase, verbose_name=_("legal case"), on_delete=models.PROTECT,
                                   related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="legal/%Y/%m/")
    uploaded_by = models.ForeignKey(USER, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.title
