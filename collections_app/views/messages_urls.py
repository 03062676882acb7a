from django.urls import path

from . import campaigns, files, messages

urlpatterns = [
    path("cases/<int:case_id>/messages/", messages.case_messages, name="case_messages"),
    path("cases/<int:case_id>/letters/", messages.case_letters, name="case_letters"),
    path("letters/<int:letter_id>/pdf/", files.letter_pdf, name="letter_pdf"),
    path("letters/<int:letter_id>/send/", messages.send_letter, name="letter_send"),
    path("supervisor/campaigns/", campaigns.campaigns, name="campaigns"),
    path("supervisor/actions/", campaigns.overdue_actions, name="overdue_actions"),
    path("supervisor/campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign_detail"),
    path("messages/templates/", messages.template_list, name="message_templates"),
    path("messages/templates/<int:template_id>/", messages.template_preview, name="message_template_preview"),
]
