"""Admin pages for disputes and case documents (imported by admin.py): viewable with their history,
never added, changed or deleted by hand — disputes are answered through services.disputes."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from collections_app import models as m
from collections_app.admin import ReadOnlyAdmin, _download_link


@admin.register(m.Dispute)
class DisputeAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ("case", "reason", "status", "opened_at", "respond_by", "resolved_at", "adjustment")
    list_filter = ("status",)
    search_fields = ("reason", "case__borrower__name")
    list_select_related = ("case__borrower",)
    raw_id_fields = ("case", "opened_by", "resolved_by")


@admin.register(m.CaseDocument)
class CaseDocumentAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "original_name", "uploaded_by", "uploaded_at")
    list_filter = ("kind",)
    list_select_related = ("case__borrower", "uploaded_by")
    exclude = ("file",)
    readonly_fields = ("download",)

    @admin.display(description=_("file"))
    def download(self, obj):
        return _download_link(obj.file, "case_document", obj.pk)
