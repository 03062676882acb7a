"""The admin site for every domain model.

Admins (role admin, who are staff) may use it without per-model permissions (RoleAdminMixin).
Records are never hard-deleted here: only configuration rows (targets, buckets, rules) can be.
Values the delinquency engine writes are read-only; changing a schedule or adding a payment here
reclassifies the loan at once.
"""
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import RoleAdminMixin
from collections_app import models as m

ENGINE_LOAN_FIELDS = (
    "as_of", "dpd", "aging_days", "bucket", "overdue_amount", "paid_total", "outstanding_amount", "overpayment",
    "penalty_accrued", "fees_accrued", "oldest_unpaid_due_date", "settled_on", "case", "needs_full_recalc",
    "next_change_on", "penalty_base", "penalty_principal",
)
ENGINE_CASE_FIELDS = (
    # the collector and team change only through allocation, which records them (AssignmentHistory)
    "bucket", "dpd", "overdue_amount", "outstanding_amount", "priority_score", "opened_at", "assigned_to", "team",
    "holder_since", "assigned_at", "first_contact_due_at", "first_worked_at", "last_contact_at", "last_outcome", "closed_at",
    "updated_at",
)


def recalculate(loan_ids) -> bool:
    """Reclassify loans through the engine; False when the engine is not installed."""
    try:
        from collections_app.services.nightly import recalculate_loans
    except ImportError:
        return False
    recalculate_loans(loan_ids=list(loan_ids))
    return True


class PersonalDataAuditMixin:
    """Admin pages that show national ids, phone numbers or addresses record who saw whose
    (``services.personal_data``): a list page (a search included, its terms kept in ``where``) one record
    per borrower on the page, written in one insert; a change page or a historical version one."""

    audit_what = ""
    # attribute path from a row to its borrower's id
    audit_borrower = "borrower_id"

    def _borrower_id(self, obj):
        value = obj
        for name in self.audit_borrower.split("."):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    def _record(self, request, objects, what):
        from collections_app.services.personal_data import record_personal_data_access

        record_personal_data_access(user=request.user, borrower_ids=[self._borrower_id(o) for o in objects],
                                    what=what, where=request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None:
            what = f"{self.audit_what} (search)" if cl.query else self.audit_what
            self._record(request, cl.result_list, what)
        return response

    def _record_one(self, request, response):
        original = (getattr(response, "context_data", None) or {}).get("original")
        if original is not None:
            self._record(request, [original], self.audit_what)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._record_one(request, super().change_view(request, object_id, form_url, extra_context))

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if response.status_code == 200:  # a plain render: no context to read the object from
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                self._record(request, [obj], self.audit_what)
        return response


class ReadOnlyAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Evidence and logs: viewable, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _download_link(fieldfile, url_name, pk):
    """A stored file's link through its access-checked download view (nothing is served from /media/)."""
    if not fieldfile:
        return "—"
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[pk]), fieldfile.name.rsplit("/", 1)[-1])


# --- parties -----------------------------------------------------------------------------------


class ProductInline(RoleAdminMixin, admin.TabularInline):
    model = m.Product
    extra = 0
    fields = ("code", "name", "penalty_daily_rate", "late_fee_rate", "late_fee_min", "grace_days")


@admin.register(m.Lender)
class LenderAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("code", "name", "timezone", "contact_start", "contact_end", "max_calls_per_day",
                    "max_calls_per_7_days", "third_party_from_bucket", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    inlines = [ProductInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "timezone", "is_active", "agreement_ends_on", "retention_mode",
                           "commission_rate")}),
        (_("Compliance"), {"fields": ("contact_start", "contact_end", "lunch_start", "lunch_end", "max_calls_per_day",
                                      "max_calls_per_7_days", "quiet_days_after_conversation",
                                      "third_party_from_bucket", "max_promise_days")}),
    )


@admin.register(m.Product)
class ProductAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "lender", "penalty_daily_rate", "late_fee_rate", "late_fee_min", "grace_days")
    list_filter = ("lender",)
    search_fields = ("code", "name", "lender__code")
    list_select_related = ("lender",)
    autocomplete_fields = ("lender",)


class ContactPointInline(RoleAdminMixin, admin.TabularInline):
    model = m.ContactPoint
    extra = 0
    fields = ("kind", "value", "relation", "name", "status", "source", "is_primary")
    fk_name = "borrower"


@admin.register(m.Borrower)
class BorrowerAdmin(PersonalDataAuditMixin, RoleAdminMixin, SimpleHistoryAdmin):
    audit_what = "national_id,phones,address"
    audit_borrower = "pk"
    list_display = ("external_id", "name", "lender", "region", "borrower_type", "promises_made", "promises_broken",
                    "cease_contact", "dispute", "deceased")
    list_filter = ("lender", "borrower_type", "cease_contact", "dispute", "deceased", "bankruptcy", "lawyer_represented")
    search_fields = ("external_id", "name", "national_id")
    list_select_related = ("lender",)
    autocomplete_fields = ("lender",)
    readonly_fields = ("promises_made", "promises_kept", "promises_broken", "promised_amount_total",
                       "kept_amount_total", "raw", "created_at", "updated_at")
    inlines = [ContactPointInline]


@admin.register(m.ContactPoint)
class ContactPointAdmin(PersonalDataAuditMixin, RoleAdminMixin, SimpleHistoryAdmin):
    audit_what = "phones,address"
    list_display = ("value", "kind", "relation", "name", "status", "source", "borrower")
    list_filter = ("kind", "relation", "status", "source")
    search_fields = ("value", "name", "borrower__name", "borrower__external_id")
    list_select_related = ("borrower",)
    raw_id_fields = ("borrower", "created_by")


@admin.register(m.BlacklistEntry)
class BlacklistEntryAdmin(PersonalDataAuditMixin, RoleAdminMixin, SimpleHistoryAdmin):
    audit_what = "national_id"
    list_display = ("name", "national_id", "lender", "borrower", "added_on", "removed_on")
    list_filter = ("lender",)
    search_fields = ("name", "national_id", "borrower__name")
    list_select_related = ("lender", "borrower")
    raw_id_fields = ("borrower", "added_by")


# --- loans -------------------------------------------------------------------------------------


class InstallmentInline(RoleAdminMixin, admin.TabularInline):
    deletable = True
    model = m.Installment
    extra = 0
    # what was paid on each installment is derived by the engine (case page, API), not stored
    fields = ("seq", "due_date", "principal_due", "interest_due", "fee_due", "amount_due")
    readonly_fields = ("amount_due",)


class AgingPauseInline(RoleAdminMixin, admin.TabularInline):
    model = m.AgingPause
    extra = 0
    fields = ("kind", "starts_on", "ends_on", "reason")


@admin.register(m.Loan)
class LoanAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("external_id", "lender", "borrower", "principal", "status", "bucket", "dpd", "overdue_amount",
                    "outstanding_amount", "as_of")
    list_filter = ("lender", "status", "bucket", "product")
    search_fields = ("external_id", "borrower__name", "borrower__external_id")
    list_select_related = ("lender", "borrower")
    raw_id_fields = ("borrower",)
    autocomplete_fields = ("lender", "product")
    readonly_fields = (*ENGINE_LOAN_FIELDS, "raw", "created_at", "updated_at")
    exclude = ("needs_recalc",)  # shown with the payment flag as needs_full_recalc
    inlines = [InstallmentInline, AgingPauseInline]

    @admin.display(boolean=True, description=_("needs recalculation"))
    def needs_full_recalc(self, obj):
        """The loan's needs_recalc column or a payment flag (selectors.recalc)."""
        from collections_app.selectors.recalc import is_flagged

        return is_flagged(obj) if obj.pk else None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not recalculate([form.instance.pk]):
            messages.warning(request, _("The loan will be reclassified by the next delinquency run."))


@admin.register(m.Installment)
class InstallmentAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("loan", "seq", "due_date", "principal_due", "interest_due", "fee_due", "amount_due")
    list_filter = ("due_date",)
    search_fields = ("loan__external_id",)
    list_select_related = ("loan__lender",)
    raw_id_fields = ("loan",)
    readonly_fields = ("amount_due",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        recalculate([obj.loan_id])


@admin.register(m.Payment)
class PaymentAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("external_id", "loan", "lender", "paid_on", "amount", "channel", "source", "created_at")
    list_filter = ("lender", "source", "paid_on")
    search_fields = ("external_id", "loan__external_id")
    list_select_related = ("loan__lender", "lender")
    raw_id_fields = ("loan", "import_job")
    autocomplete_fields = ("lender",)
    readonly_fields = ("recorded_by", "created_at")
    date_hierarchy = "paid_on"

    def has_change_permission(self, request, obj=None):
        # A payment is a fact from the lender's books; it is added, never edited.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
        recalculate([obj.loan_id])


@admin.register(m.AgingPause)
class AgingPauseAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("loan", "kind", "starts_on", "ends_on", "created_by")
    list_filter = ("kind",)
    search_fields = ("loan__external_id", "reason")
    list_select_related = ("loan__lender", "created_by")
    raw_id_fields = ("loan", "created_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        recalculate([obj.loan_id])


@admin.register(m.BucketHistory)
class BucketHistoryAdmin(ReadOnlyAdmin):
    list_display = ("loan", "lender", "on_date", "from_bucket", "to_bucket", "dpd", "overdue_amount")
    list_filter = ("lender", "to_bucket", "on_date")
    search_fields = ("loan__external_id",)
    list_select_related = ("loan__lender", "lender")
    raw_id_fields = ("loan", "run")


# --- strategy ----------------------------------------------------------------------------------


class DraftOnlyMixin:
    """Only a draft strategy version and its buckets and rules can be changed here; the active,
    approved, pending and past ones are read-only (changes go through /strategy/, docs/strategy-versions.md)."""

    @staticmethod
    def _locked(obj) -> bool:
        version = getattr(obj, "version", obj)
        return version is not None and version.status != m.StrategyStatus.DRAFT

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)

    def has_add_permission(self, request, *args):
        return not (args and self._locked(args[0])) and super().has_add_permission(request, *args)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            kwargs["queryset"] = m.StrategyVersion.objects.filter(status=m.StrategyStatus.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BucketInline(DraftOnlyMixin, RoleAdminMixin, admin.TabularInline):
    deletable = True
    model = m.Bucket
    extra = 0
    fields = ("position", "code", "name", "min_dpd", "max_dpd", "risk_weight")


class StrategyRuleInline(DraftOnlyMixin, RoleAdminMixin, admin.TabularInline):
    deletable = True
    model = m.StrategyRule
    extra = 0
    fields = ("position", "code", "description", "product", "bucket", "dpd_min", "dpd_max", "condition", "action",
              "channel", "repeat_every_days", "needs_approval")


@admin.register(m.StrategyVersion)
class StrategyVersionAdmin(DraftOnlyMixin, RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("number", "status", "created_by", "approved_by", "approved_at", "effective_from")
    list_filter = ("status",)
    search_fields = ("note",)
    list_select_related = ("created_by", "approved_by")
    readonly_fields = ("status", "created_by", "approved_by", "approved_at", "effective_from", "created_at")
    inlines = [BucketInline, StrategyRuleInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(m.Bucket)
class BucketAdmin(DraftOnlyMixin, RoleAdminMixin, admin.ModelAdmin):
    deletable = True
    list_display = ("code", "name", "min_dpd", "max_dpd", "position", "risk_weight", "version")
    list_filter = ("version",)
    search_fields = ("code", "name")
    list_select_related = ("version",)


@admin.register(m.StrategyRule)
class StrategyRuleAdmin(DraftOnlyMixin, RoleAdminMixin, admin.ModelAdmin):
    deletable = True
    list_display = ("code", "description", "bucket", "dpd_min", "dpd_max", "action", "channel", "needs_approval", "version")
    list_filter = ("version", "action", "bucket", "needs_approval")
    search_fields = ("code", "description")
    list_select_related = ("version",)
    autocomplete_fields = ("product",)


class DelinquencyRunChunkInline(RoleAdminMixin, admin.TabularInline):
    model = m.DelinquencyRunChunk
    fields = ("lo", "hi", "done_at", "summary")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(m.DelinquencyRun)
class DelinquencyRunAdmin(ReadOnlyAdmin):
    list_display = ("as_of", "status", "loans_processed", "bucket_changes", "cases_opened", "cases_closed",
                    "actions_created", "promises_broken", "chunks_done", "chunks_total", "duration_seconds",
                    "triggered_by", "started_at")
    list_filter = ("status",)
    date_hierarchy = "as_of"
    inlines = [DelinquencyRunChunkInline]


# --- cases -------------------------------------------------------------------------------------


@admin.action(description=_("Allocate the selected unassigned cases automatically"))
def auto_allocate_selected(modeladmin, request, queryset):
    from collections_app.services.allocation import auto_allocate

    n = auto_allocate(case_ids=list(queryset.values_list("id", flat=True)), by_user=request.user)
    modeladmin.message_user(request, _("%(n)d cases allocated.") % {"n": n})


class LoanInline(RoleAdminMixin, admin.TabularInline):
    model = m.Loan
    fields = ("external_id", "principal", "status", "bucket", "dpd", "overdue_amount")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(m.CollectionCase)
class CollectionCaseAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("id", "borrower", "lender", "status", "bucket", "dpd", "overdue_amount", "assigned_to", "team",
                    "next_action_at", "written_off")
    list_filter = ("status", "bucket", "lender", "team", "written_off")
    search_fields = ("borrower__name", "borrower__external_id", "=id")
    list_select_related = ("borrower", "lender", "assigned_to", "team")
    raw_id_fields = ("borrower", "field_agent")
    autocomplete_fields = ("lender",)
    readonly_fields = ENGINE_CASE_FIELDS
    inlines = [LoanInline]
    actions = [auto_allocate_selected]

    def save_model(self, request, obj, form, change):
        """An edit writes the fields the form changed and nothing else: the row was read at the start
        of the request, and a full save would write back what the nightly run, a contact or an
        allocation changed meanwhile (bucket, last contact, collector ...)."""
        if not change:
            return super().save_model(request, obj, form, change)
        fields = obj._meta.concrete_fields
        changed = [name for name in form.changed_data if name in {f.name for f in fields}]
        if changed:
            obj.save(update_fields=changed + [f.name for f in fields if getattr(f, "auto_now", False)])


@admin.register(m.CaseAction)
class CaseActionAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("case", "kind", "rule_code", "due_on", "status", "done_at")
    list_filter = ("kind", "status")
    search_fields = ("rule_code", "case__borrower__name")
    list_select_related = ("case__borrower",)
    raw_id_fields = ("case", "rule", "approval", "run")
    # the lifecycle goes through services.actions (who, how, when, the case's next action): read-only here
    readonly_fields = ("occurrence_key", "created_at", "status", "done_at", "done_by", "done_how")


@admin.register(m.AssignmentHistory)
class AssignmentHistoryAdmin(ReadOnlyAdmin):
    list_display = ("case", "from_user", "to_user", "by_user", "reason", "at")
    search_fields = ("case__borrower__name", "reason")
    list_select_related = ("case__borrower", "from_user", "to_user", "by_user")
    date_hierarchy = "at"


@admin.register(m.ContactLog)
class ContactLogAdmin(PersonalDataAuditMixin, ReadOnlyAdmin):
    audit_what = "number_used"
    list_display = ("occurred_at", "case", "user", "channel", "outcome", "number_used", "is_attempt",
                    "is_conversation", "is_third_party")
    list_filter = ("channel", "outcome", "is_attempt", "is_conversation", "is_third_party")
    search_fields = ("case__borrower__name", "number_used", "note")
    list_select_related = ("case__borrower", "user")
    date_hierarchy = "occurred_at"
    exclude = ("recording",)
    readonly_fields = ("recording_download",)

    @admin.display(description=_("recording"))
    def recording_download(self, obj):
        return _download_link(obj.recording, "contact_recording", obj.pk)


@admin.register(m.PromiseToPay)
class PromiseToPayAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("case", "amount", "promised_date", "status", "paid_amount", "resolved_on", "created_by")
    list_filter = ("status", "promised_date")
    search_fields = ("case__borrower__name", "borrower__external_id")
    list_select_related = ("case__borrower", "created_by")
    raw_id_fields = ("case", "borrower", "contact", "approval", "created_by")
    readonly_fields = ("paid_amount", "resolved_on", "created_at")


@admin.register(m.FieldVisit)
class FieldVisitAdmin(PersonalDataAuditMixin, RoleAdminMixin, SimpleHistoryAdmin):
    audit_what = "address"
    audit_borrower = "case.borrower_id"
    list_display = ("case", "agent", "status", "handed_over_on", "due_on", "visited_at", "cash_collected",
                    "signed_acknowledgement")
    list_filter = ("status", "signed_acknowledgement")
    search_fields = ("case__borrower__name", "address")
    list_select_related = ("case__borrower", "agent")
    raw_id_fields = ("case", "requested_by", "agent", "reviewed_by")
    # a recording comes only with the agent's visit result (audio checked there), never by hand here
    exclude = ("recording",)
    readonly_fields = ("recording_download",)

    @admin.display(description=_("recording"))
    def recording_download(self, obj):
        return _download_link(obj.recording, "visit_recording", obj.pk)


@admin.register(m.Letter)
class LetterAdmin(PersonalDataAuditMixin, RoleAdminMixin, SimpleHistoryAdmin):
    audit_what = "address"
    audit_borrower = "case.borrower_id"
    list_display = ("case", "kind", "status", "as_of", "amount_as_of", "sent_at")
    list_filter = ("kind", "status")
    search_fields = ("case__borrower__name", "address")
    list_select_related = ("case__borrower",)
    raw_id_fields = ("case", "approval", "created_by")


@admin.register(m.ApprovalRequest)
class ApprovalRequestAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("id", "kind", "case", "status", "requested_by", "decided_by", "created_at", "decided_at")
    list_filter = ("kind", "status")
    search_fields = ("case__borrower__name", "reason")
    list_select_related = ("case__borrower", "requested_by", "decided_by")
    raw_id_fields = ("case", "requested_by")
    # Decisions go through the approvals page (maker ≠ checker, effects applied).
    readonly_fields = ("status", "decided_by", "decided_at", "decision_note", "created_at")


@admin.register(m.Complaint)
class ComplaintAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("received_at", "borrower", "case", "against_user", "channel", "status", "resolved_at")
    list_filter = ("status", "channel")
    search_fields = ("borrower__name", "description")
    list_select_related = ("borrower", "case__borrower", "against_user")
    raw_id_fields = ("case", "borrower", "against_user", "logged_by", "contacts")


@admin.register(m.CaseNote)
class CaseNoteAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("case", "author", "text", "created_at")
    search_fields = ("text", "case__borrower__name")
    list_select_related = ("case__borrower", "author")
    raw_id_fields = ("case", "author")


@admin.register(m.Target)
class TargetAdmin(RoleAdminMixin, admin.ModelAdmin):
    deletable = True
    list_display = ("period", "period_start", "team", "collector", "amount", "set_by")
    list_filter = ("period", "team")
    search_fields = ("team__name", "collector__username")
    list_select_related = ("team", "collector", "set_by")
    autocomplete_fields = ("team", "collector")
    readonly_fields = ("set_by",)

    def save_model(self, request, obj, form, change):
        obj.set_by = request.user
        super().save_model(request, obj, form, change)


# --- imports and audit -------------------------------------------------------------------------


@admin.register(m.ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "lender", "original_name", "status", "total_rows", "stored_rows", "rejected_rows",
                    "created_by", "created_at")
    list_filter = ("kind", "status", "lender")
    search_fields = ("original_name", "file_sha256")
    list_select_related = ("lender", "created_by")
    date_hierarchy = "created_at"
    exclude = ("file", "error_report")
    readonly_fields = ("file_download", "error_report_download")

    @admin.display(description=_("file"))
    def file_download(self, obj):
        return _download_link(obj.file, "import_file", obj.pk)

    @admin.display(description=_("error report"))
    def error_report_download(self, obj):
        return _download_link(obj.error_report, "import_errors", obj.pk)


@admin.register(m.PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "borrower", "what", "file", "where")
    search_fields = ("user__username", "borrower__name", "what", "file")
    list_select_related = ("user", "borrower")
    date_hierarchy = "at"


# the admin pages of the later areas' models, registered on import
from collections_app import admin_disputes, admin_escalation, admin_messages, admin_quality, admin_reports, admin_settlements  # noqa: E402,F401,I001
