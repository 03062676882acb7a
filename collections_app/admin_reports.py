"""Admin page of the stored weekly and monthly reports (docs/kpis.md, "Reports"): read only — they are
made by the beat task and downloaded from /supervisor/reports/."""
from django.contrib import admin

from accounts.admin import RoleAdminMixin
from collections_app import models as m


@admin.register(m.Report)
class ReportAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("period_start", "period_end", "kind", "scope", "scope_name", "status", "generated_at",
                    "emailed_at")
    list_filter = ("kind", "scope", "status")
    search_fields = ("scope_name",)
    date_hierarchy = "period_start"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
