"""The admin site for agencies, placements and litigation (docs/agency.md, docs/litigation.md).
Agencies and their rates are configuration; placements, attributed payments and stage changes are
records the services write, read-only here; nothing is deleted."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import RoleAdminMixin
from collections_app import models as m


class NoDeleteMixin:
    def has_delete_permission(self, request, obj=None):
        return False


class AgencyRateInline(RoleAdminMixin, admin.TabularInline):
    model = m.AgencyRate
    extra = 1
    fields = ("bucket", "rate")


@admin.register(m.Agency)
class AgencyAdmin(NoDeleteMixin, RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "contact_person", "phone", "contract_start", "contract_end", "default_rate", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "contact_person")
    inlines = [AgencyRateInline]


class ReadOnlyRecordAdmin(NoDeleteMixin, RoleAdminMixin, SimpleHistoryAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(m.AgencyPlacement)
class AgencyPlacementAdmin(ReadOnlyRecordAdmin):
    list_display = ("case", "agency", "bucket", "commission_rate", "placed_on", "recall_on", "recalled_on",
                    "recall_reason")
    list_filter = ("agency", "recall_reason")
    raw_id_fields = ("case", "approval")
    date_hierarchy = "placed_on"


@admin.register(m.PlacementPayment)
class PlacementPaymentAdmin(NoDeleteMixin, RoleAdminMixin, admin.ModelAdmin):
    list_display = ("payment", "placement", "created_at")
    raw_id_fields = ("payment", "placement")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LegalCostInline(RoleAdminMixin, admin.TabularInline):
    model = m.LegalCost
    extra = 0
    fields = ("kind", "amount", "incurred_on", "note")
    can_delete = False


class LegalStageChangeInline(RoleAdminMixin, admin.TabularInline):
    model = m.LegalStageChange
    extra = 0
    fields = ("from_stage", "to_stage", "on", "note", "by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(m.LegalCase)
class LegalCaseAdmin(NoDeleteMixin, RoleAdminMixin, SimpleHistoryAdmin):
    """The stage moves on the case page (services.legal.change_stage, recorded on the timeline);
    here court, number and costs can be corrected."""

    list_display = ("case", "stage", "court", "case_number", "opened_on", "closed_on")
    list_filter = ("stage",)
    search_fields = ("case_number", "court")
    raw_id_fields = ("case", "approval", "opened_by")
    readonly_fields = ("stage", "opened_on", "filed_on", "hearing_on", "judgement_on", "enforcement_on",
                       "dishonest_listed_on", "closed_on")
    inlines = [LegalStageChangeInline, LegalCostInline]
