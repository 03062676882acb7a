from django.urls import path

from . import disputes, files

urlpatterns = [
    path("cases/<int:case_id>/disputes/", disputes.open_dispute, name="case_open_dispute"),
    path("cases/<int:case_id>/disputes/<int:dispute_id>/evidence/", disputes.add_evidence, name="dispute_add_evidence"),
    path("cases/<int:case_id>/documents/", disputes.add_document, name="case_add_document"),
    path("cases/<int:case_id>/blacklist/", disputes.blacklist_borrower, name="case_blacklist"),
    path("cases/<int:case_id>/dial/<int:point_id>/", disputes.dial, name="case_dial"),
    path("disputes/<int:dispute_id>/resolve/", disputes.resolve_dispute, name="dispute_resolve"),
    path("documents/<int:document_id>/", files.case_document, name="case_document"),
    path("supervisor/disputes/", disputes.warnings_page, name="supervisor_disputes"),
    path("supervisor/blacklist/", disputes.blacklist_page, name="supervisor_blacklist"),
]
