"""Quality review (质检): per-lender checklists, samples of contacts, reviews scored item by item
(docs/quality.md)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .cases import ContactLog
from .choices import ItemResult, ReviewStatus, SampleRule
from .parties import Lender

USER = settings.AUTH_USER_MODEL


class QualityChecklist(models.Model):
    """A lender's checklist, versioned: a version with reviews is not edited, a new version replaces it
    (the reviews keep the version they were scored on)."""

    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="checklists")
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quality checklist")
        verbose_name_plural = _("quality checklists")
        ordering = ["lender", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["lender", "version"], name="checklist_version_unique"),
            models.UniqueConstraint(fields=["lender"], condition=Q(is_active=True), name="checklist_one_active_per_lender"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class QualityItem(models.Model):
    checklist = models.ForeignKey(QualityChecklist, verbose_name=_("checklist"), on_delete=models.CASCADE,
                                  related_name="items")
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("what is checked"), max_length=200)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["checklist", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["checklist", "code"], name="checklist_item_code_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="checklist_item_weight_positive"),
        ]

    def __str__(self):
        return self.label


class QualitySample(models.Model):
    """One draw of contacts to review: by whom, which rule with which settings, over which period."""

    rule = models.CharField(_("rule"), max_length=20, choices=SampleRule.choices)
    params = models.JSONField(_("settings"), default=dict, blank=True)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_by = models.ForeignKey(USER, verbose_name=_("drawn by"), null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review sample")
        verbose_name_plural = _("review samples")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(date_to__gte=models.F("date_from")),
                                              name="sample_period_ordered")]

    def __str__(self):
        return f"{self.get_rule_display()} {self.date_from}–{self.date_to}"


class QualityReview(models.Model):
    """One contact to review, then scored: each item of the lender's checklist met, not met or not
    applicable; the score is the met weight over the weight that applied, in percent."""

    sample = models.ForeignKey(QualitySample, verbose_name=_("sample"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="reviews")
    contact = models.ForeignKey(ContactLog, verbose_name=_("contact"), on_delete=models.PROTECT,
                                related_name="quality_reviews")
    collector = models.ForeignKey(USER, verbose_name=_("collector"), null=True, on_delete=models.SET_NULL,
                                  related_name="quality_reviews", help_text=_("Who made the contact."))
    checklist = models.ForeignKey(QualityChecklist, verbose_name=_("checklist"), on_delete=models.PROTECT,
                                  related_name="reviews")
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    reviewer = models.ForeignKey(USER, verbose_name=_("reviewer"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quality review")
        verbose_name_plural = _("quality reviews")
        ordering = ["-created_at", "-id"]
        constraints = [
            # a contact waits in one open review at most: two samples never queue it twice
            models.UniqueConstraint(fields=["contact"], condition=Q(status="open"), name="review_one_open_per_contact"),
            models.CheckConstraint(
                condition=~Q(status="done") | (Q(reviewed_at__isnull=False) & Q(score__isnull=False)),
                name="review_scored_has_time_and_score",
            ),
            models.CheckConstraint(condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                                   name="review_score_percent"),
        ]
        indexes = [models.Index(fields=["collector", "status", "reviewed_at"], name="review_collector_done")]

    def __str__(self):
        return f"{self.contact_id} {self.get_status_display()}"


class QualityScore(models.Model):
    review = models.ForeignKey(QualityReview, verbose_name=_("review"), on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(QualityItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="scores")
    result = models.CharField(_("result"), max_length=4, choices=ItemResult.choices)

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        constraints = [models.UniqueConstraint(fields=["review", "item"], name="score_one_per_item")]

    def __str__(self):
        return f"{self.item_id}: {self.result}"
