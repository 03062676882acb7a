from django.urls import path

from . import imports

urlpatterns = [
    path("imports/", imports.index, name="imports"),
    path("imports/<int:job_id>/", imports.detail, name="import_detail"),
    path("imports/<int:job_id>/progress/", imports.progress, name="import_progress"),
    path("imports/<int:job_id>/errors.csv", imports.error_report, name="import_errors"),
    path("imports/<int:job_id>/file", imports.source_file, name="import_file"),
]
