"""The admin pages of message templates and messages (docs/messages.md). A template's form is
checked by MessageTemplate.clean (services.message_templates.template_errors: false threats,
unknown placeholders); each save is a version in its history, with who saved it."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import RoleAdminMixin
from collections_app import models as m
from collections_app.admin import PersonalDataAuditMixin
from collections_app.domain.message_templates import PLACEHOLDERS


@admin.register(m.MessageTemplate)
class MessageTemplateAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("code", "channel", "language", "lender", "stage", "name", "is_active", "updated_by", "updated_at")
    list_filter = ("channel", "language", "lender", "is_active")
    search_fields = ("code", "name", "body")
    readonly_fields = ("updated_by", "updated_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        names = ", ".join("{{ " + name + " }}" for name in PLACEHOLDERS)
        form.base_fields["body"].help_text = _("Placeholders: %(names)s.") % {"names": names}
        return form

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # messages keep their template: deactivate instead


@admin.register(m.Message)
class MessageAdmin(PersonalDataAuditMixin, RoleAdminMixin, admin.ModelAdmin):
    audit_what = "number_used"
    list_display = ("send_at", "case", "channel", "template", "status", "sent_at", "delivered_at", "provider_id")
    list_filter = ("channel", "status")
    search_fields = ("case__borrower__name", "provider_id")
    list_select_related = ("case__borrower", "template")
    date_hierarchy = "send_at"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
