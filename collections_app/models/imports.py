"""Import jobs (loan books, schedules, payments) and the audit of personal-data views."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ImportKind, ImportStatus
from .parties import Borrower, Lender

USER = settings.AUTH_USER_MODEL


class ImportJob(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    lender = models.ForeignKey(Lender, verbose_name=_("lender"), null=True, blank=True, on_delete=models.PROTECT, related_name="imports")
    status = models.CharField(_("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("file checksum"), max_length=64, blank=True, db_index=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    stored_rows = models.PositiveIntegerField(_("stored"), default=0)
    created_rows = models.PositiveIntegerField(_("new"), default=0)
    updated_rows = models.PositiveIntegerField(_("updated"), default=0)
    rejected_rows = models.PositiveIntegerField(_("rejected"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True, help_text=_("The first rejected rows: row, column, error."))
    error_report = models.FileField(_("error report"), upload_to="import_errors/%Y/%m/", blank=True)
    message = models.TextField(_("message"), blank=True)
    # new loans of blacklisted borrowers found by this import: [{loan, borrower, name, reason}]
    blacklisted = models.JSONField(_("blacklisted borrowers"), default=list, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("imported by"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The lease of the worker running the job: renewed with each stored batch; a job whose heartbeat
    # is older than IMPORT_LEASE_SECONDS is taken over by the next delivery of its task (attempt + 1,
    # and only the holder of the current attempt may write the job's progress).
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    # When the task was handed to the broker (empty: not yet; the sweeper sends it again).
    enqueued_at = models.DateTimeField(_("sent to the workers at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("total_rows")) | Q(total_rows=0), name="import_progress_bounded"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if self.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))


class PersonalDataAccess(models.Model):
    """Who looked at whose personal data (national id, phones, address), and when; and who
    downloaded which stored file (a lender's import file or its error report holds a whole book,
    so its download names the file and the import instead of one borrower) — docs/compliance.md."""

    user = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user"))
    borrower = models.ForeignKey(
        Borrower, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("borrower")
    )
    import_job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("import")
    )
    file = models.CharField(_("file downloaded"), max_length=300, blank=True)
    what = models.CharField(_("what was shown"), max_length=100)
    where = models.CharField(_("where"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(borrower__isnull=False) | ~Q(file=""), name="personal_data_access_names_whom_or_file"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.borrower_id or self.file} {self.what}"
