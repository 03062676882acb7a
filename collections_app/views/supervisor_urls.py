from django.urls import path

from . import supervisor, targets

urlpatterns = [
    path("supervisor/", supervisor.dashboard, name="supervisor_dashboard"),
    path("supervisor/allocation/", supervisor.allocation_page, name="supervisor_allocation"),
    path("supervisor/approvals/", supervisor.approvals_page, name="supervisor_approvals"),
    path("supervisor/targets/", targets.targets_page, name="supervisor_targets"),
]
