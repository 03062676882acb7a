from django.urls import path

from . import messages

urlpatterns = [
    path("cases/<int:case_id>/messages/", messages.case_messages, name="case_messages"),
    path("messages/templates/", messages.template_list, name="message_templates"),
    path("messages/templates/<int:template_id>/", messages.template_preview, name="message_template_preview"),
]
