from django.urls import path

from . import complaints, quality, reconciliation, reports, strategy_versions, supervisor, targets

urlpatterns = [
    path("supervisor/", supervisor.dashboard, name="supervisor_dashboard"),
    path("supervisor/allocation/", supervisor.allocation_page, name="supervisor_allocation"),
    path("supervisor/approvals/", supervisor.approvals_page, name="supervisor_approvals"),
    path("supervisor/reconciliation/", reconciliation.reconciliation_page, name="supervisor_reconciliation"),
    path("supervisor/reports/", reports.reports_page, name="supervisor_reports"),
    path("supervisor/reports/<int:report_id>.<str:fmt>", reports.report_file, name="supervisor_report_file"),
    path("supervisor/targets/", targets.targets_page, name="supervisor_targets"),
    path("supervisor/complaints/", complaints.complaints_page, name="supervisor_complaints"),
    path("supervisor/complaints/<int:complaint_id>/", complaints.complaint_detail, name="complaint_detail"),
    path("supervisor/quality/", quality.quality_page, name="supervisor_quality"),
    path("supervisor/quality/reviews/<int:review_id>/", quality.review_detail, name="quality_review"),
    path("cases/<int:case_id>/complaint/", complaints.case_complaint, name="case_complaint"),
    path("strategy/", strategy_versions.strategy_list, name="strategy_versions"),
    path("strategy/<int:version_id>/", strategy_versions.strategy_detail, name="strategy_version"),
]
