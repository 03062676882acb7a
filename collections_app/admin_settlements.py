"""Admin pages for settlements (docs/settlements.md): the terms are edited here (discount limits per
lender and bucket, plan grace and reminder days); offers and plans are read only (they change through
the case page, the API, approvals and the delinquency run)."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import RoleAdminMixin
from collections_app import models as m


@admin.register(m.SettlementTerms)
class SettlementTermsAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ("lender", "bucket", "collector_max_discount", "supervisor_max_discount", "plan_grace_days",
                    "plan_reminder_days")
    list_filter = ("lender",)


class _ReadOnly(RoleAdminMixin, SimpleHistoryAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.SettlementOffer)
class SettlementOfferAdmin(_ReadOnly):
    list_display = ("case", "amount", "valid_until", "status", "level", "paid_amount", "forgiven_amount", "ended_on")
    list_filter = ("status", "level")
    search_fields = ("case__borrower__name",)
    list_select_related = ("case__borrower",)
    raw_id_fields = ("case", "approval", "requested_by")


class PlanInstallmentInline(RoleAdminMixin, admin.TabularInline):
    model = m.PlanInstallment
    extra = 0
    can_delete = False
    readonly_fields = ("seq", "due_date", "amount", "paid_amount", "paid_on", "remind_from")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(m.PaymentPlan)
class PaymentPlanAdmin(_ReadOnly):
    list_display = ("case", "total_amount", "covers", "status", "level", "activated_on", "ended_on")
    list_filter = ("status", "level", "covers")
    search_fields = ("case__borrower__name",)
    list_select_related = ("case__borrower",)
    raw_id_fields = ("case", "approval", "requested_by")
    inlines = [PlanInstallmentInline]
