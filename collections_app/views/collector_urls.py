from django.urls import path

from . import collector, files, visits

urlpatterns = [
    path("queue/", collector.queue, name="queue"),
    path("cases/<int:case_id>/", collector.case_detail, name="case_detail"),
    path("cases/<int:case_id>/contact/", collector.log_contact, name="case_log_contact"),
    path("cases/<int:case_id>/contact-points/", collector.add_contact_point, name="case_add_contact_point"),
    path(
        "cases/<int:case_id>/contact-points/<int:point_id>/status/",
        collector.set_contact_point_status,
        name="case_contact_point_status",
    ),
    path("cases/<int:case_id>/verdict/", collector.case_verdict, name="case_verdict"),
    path("cases/<int:case_id>/stop-flags/lift/", collector.lift_stop_flag, name="case_lift_stop_flag"),
    path("cases/<int:case_id>/notes/", collector.add_note, name="case_add_note"),
    path("cases/<int:case_id>/visit/", collector.request_visit, name="case_request_visit"),
    path("cases/<int:case_id>/evidence-pack/", files.evidence_pack, name="case_evidence_pack"),
    path("contacts/<int:contact_id>/recording/", files.contact_recording, name="contact_recording"),
    path("visits/", visits.visit_list, name="visits"),
    path("visits/<int:visit_id>/recording/", files.visit_recording, name="visit_recording"),
    path("visits/<int:visit_id>/plan/", visits.plan, name="visit_plan"),
    path("visits/<int:visit_id>/result/", visits.result, name="visit_result"),
    path("visits/<int:visit_id>/extension/", visits.extension, name="visit_extension"),
]
