"""Message templates and outbound messages (docs/messages.md)."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .cases import CaseAction, CollectionCase, ContactLog
from .choices import MessageStatus, TemplateChannel
from .parties import Borrower, ContactPoint, Lender

USER = settings.AUTH_USER_MODEL
LANGUAGE_CHOICES = [("zh-hans", "简体中文"), ("en", "English")]


class MessageTemplate(models.Model):
    """An SMS, e-mail or letter text with placeholders, for one lender (empty = every lender's
    default), one stage (a bucket code, or "any") and one language. Every change is kept
    (``history``: who changed what, when); a text carrying a false threat is refused when saved."""

    code = models.SlugField(_("code"), max_length=60, help_text=_("What callers ask for, e.g. polite_reminder."))
    channel = models.CharField(_("channel"), max_length=10, choices=TemplateChannel.choices)
    lender = models.ForeignKey(
        Lender, verbose_name=_("lender"), null=True, blank=True, on_delete=models.PROTECT, related_name="templates",
        help_text=_("Empty: the default for every lender."),
    )
    stage = models.CharField(_("stage"), max_length=10, default="any",
                             help_text=_("A bucket code, or “any” for every stage."))
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES, default="zh-hans")
    name = models.CharField(_("name"), max_length=200)
    subject = models.CharField(_("subject or title"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(USER, verbose_name=_("changed by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["channel", "code", "language", "id"]
        constraints = [
            models.UniqueConstraint(fields=["code", "lender", "stage", "language"], condition=Q(lender__isnull=False),
                                    name="template_unique_per_lender"),
            models.UniqueConstraint(fields=["code", "stage", "language"], condition=Q(lender__isnull=True),
                                    name="template_unique_default"),
            models.CheckConstraint(condition=Q(language__in=["zh-hans", "en"]), name="template_language_known"),
        ]

    def __str__(self):
        return f"{self.code} ({self.get_channel_display()}, {self.language})"

    def clean(self):
        from collections_app.services.message_templates import template_errors

        errors = template_errors(channel=self.channel, subject=self.subject, body=self.body, code=self.code,
                                 channel_of_code=self._channel_of_code())
        if errors:
            raise ValidationError(errors)

    def _channel_of_code(self):
        other = MessageTemplate.objects.filter(code=self.code).exclude(pk=self.pk).values_list("channel", flat=True)
        return other.first()


class Message(models.Model):
    """One outbound SMS or e-mail: rendered from a template version when planned, sent by a Celery
    task at ``send_at`` through the channel's provider backend (services.messages)."""

    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="messages")
    borrower = models.ForeignKey(Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="messages",
                                 db_index=False)  # covered by (borrower, send_at)
    contact_point = models.ForeignKey(ContactPoint, verbose_name=_("sent to"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="messages")
    channel = models.CharField(_("channel"), max_length=10, choices=TemplateChannel.choices)
    template = models.ForeignKey(MessageTemplate, verbose_name=_("template"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="messages")
    template_version = models.PositiveIntegerField(
        _("template version"), null=True, blank=True, help_text=_("The template's history entry the text was made from."))
    to_address = models.CharField(_("number or address"), max_length=300)
    is_third_party = models.BooleanField(_("third party"), default=False)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices,
                              default=MessageStatus.SCHEDULED)
    send_at = models.DateTimeField(_("send at"))
    claimed_at = models.DateTimeField(_("taken by a sender at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    provider = models.CharField(_("provider"), max_length=60, blank=True)
    provider_id = models.CharField(_("provider's id"), max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, null=True, blank=True, unique=True)
    contact = models.OneToOneField(ContactLog, verbose_name=_("timeline entry"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="message")
    action = models.ForeignKey(CaseAction, verbose_name=_("strategy action"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="messages", db_index=False)
    created_by = models.ForeignKey(USER, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-send_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_id"], condition=~Q(provider_id=""),
                                    name="message_provider_id_unique"),
            models.CheckConstraint(condition=Q(status="scheduled") | Q(claimed_at__isnull=False) | Q(status="failed"),
                                   name="message_sent_was_claimed"),
        ]
        indexes = [
            models.Index(fields=["borrower", "send_at"]),
            models.Index(fields=["case", "-send_at"]),
            models.Index(fields=["send_at"], condition=Q(status="scheduled"), name="message_due"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.send_at:%Y-%m-%d %H:%M} {self.get_status_display()}"


class Campaign(models.Model):
    """A bulk send: one template to the open cases a supervisor selected by a filter
    (services.campaigns); its counters move while the Celery task works through the cases."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Sending")
        DONE = "done", _("Done")

    channel = models.CharField(_("channel"), max_length=10, choices=TemplateChannel.choices)
    template_code = models.SlugField(_("template"), max_length=60)
    filters = models.JSONField(_("filter"), default=dict)
    case_ids = models.JSONField(_("cases"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("cases"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    sent_now = models.PositiveIntegerField(_("sent now"), default=0)
    scheduled = models.PositiveIntegerField(_("scheduled for the window"), default=0)
    refused = models.PositiveIntegerField(_("not sent"), default=0)
    reasons = models.JSONField(_("why not sent"), default=dict)
    created_by = models.ForeignKey(USER, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.template_code} {self.created_at:%Y-%m-%d %H:%M}"
