"""Admin pages for quality review (imported by admin.py; docs/quality.md): checklists per lender with
their items, editable until a review was scored on them (then an admin adds a new version); samples,
reviews and item scores viewable only — reviews are scored through the supervisor's page."""
from django.contrib import admin

from accounts.admin import RoleAdminMixin
from collections_app import models as m
from collections_app.admin import ReadOnlyAdmin


def _used(checklist) -> bool:
    return checklist is not None and checklist.pk is not None and checklist.reviews.exists()


class QualityItemInline(RoleAdminMixin, admin.TabularInline):
    model = m.QualityItem
    extra = 0
    fields = ("order", "code", "label", "weight")

    def has_change_permission(self, request, obj=None):
        return not _used(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not _used(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _used(obj) and super().has_delete_permission(request, obj)


@admin.register(m.QualityChecklist)
class QualityChecklistAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("lender", "name", "version", "is_active", "created_at")
    list_filter = ("is_active", "lender")
    list_select_related = ("lender",)
    inlines = [QualityItemInline]

    def get_readonly_fields(self, request, obj=None):
        # a version with scored reviews keeps its items; only whether it is in use may change
        return ("lender", "version", "name") if _used(obj) else ()

    def has_delete_permission(self, request, obj=None):
        return not _used(obj) and super().has_delete_permission(request, obj)


@admin.register(m.QualitySample)
class QualitySampleAdmin(ReadOnlyAdmin):
    list_display = ("rule", "date_from", "date_to", "team", "created_by", "created_at")
    list_filter = ("rule",)
    list_select_related = ("team", "created_by")


class QualityScoreInline(RoleAdminMixin, admin.TabularInline):
    model = m.QualityScore
    extra = 0
    can_delete = False
    readonly_fields = ("item", "result")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(m.QualityReview)
class QualityReviewAdmin(ReadOnlyAdmin):
    list_display = ("contact", "collector", "status", "score", "reviewer", "reviewed_at")
    list_filter = ("status",)
    list_select_related = ("contact", "collector", "reviewer")
    raw_id_fields = ("contact", "sample")
    inlines = [QualityScoreInline]

    def has_delete_permission(self, request, obj=None):
        return False
