from django.urls import path

from . import agency, files, legal

urlpatterns = [
    path("supervisor/agencies/", agency.agencies_page, name="supervisor_agencies"),
    path("supervisor/agencies/<int:agency_id>/statement/", agency.statement_page, name="agency_statement"),
    path("supervisor/placements/<int:placement_id>/recall/", agency.recall, name="placement_recall"),
    path("cases/<int:case_id>/placement/", agency.place_case, name="case_place"),
    path("agency/", agency.agency_cases, name="agency_cases"),
    path("supervisor/legal/", legal.legal_page, name="supervisor_legal"),
    path("cases/<int:case_id>/litigation/", legal.request_litigation, name="case_litigation"),
    path("legal-cases/<int:legal_id>/stage/", legal.change_stage, name="legal_stage"),
    path("legal-cases/<int:legal_id>/costs/", legal.add_cost, name="legal_cost"),
    path("legal-cases/<int:legal_id>/documents/", legal.add_document, name="legal_document_upload"),
    path("legal-documents/<int:document_id>/", files.legal_document, name="legal_document"),
]
