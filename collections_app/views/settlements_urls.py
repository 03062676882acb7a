from django.urls import path

from . import settlements

urlpatterns = [
    path("cases/<int:case_id>/offers/", settlements.propose_offer, name="case_propose_offer"),
    path("cases/<int:case_id>/plans/", settlements.propose_plan, name="case_propose_plan"),
    path("cases/<int:case_id>/<str:what>/<int:obj_id>/cancel/", settlements.cancel, name="case_settlement_cancel"),
]
