"""Core API routes (docs/api.md). Imports have their own list in api/imports.py."""
from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from . import views
from .auth import ObtainTokenView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("lenders", views.LenderViewSet, basename="lender")
router.register("teams", views.TeamViewSet, basename="team")
router.register("users", views.UserViewSet, basename="user")
router.register("borrowers", views.BorrowerViewSet, basename="borrower")
router.register("loans", views.LoanViewSet, basename="loan")
router.register("installments", views.InstallmentViewSet, basename="installment")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("cases", views.CaseViewSet, basename="case")
router.register("promises", views.PromiseViewSet, basename="promise")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    re_path(r"^cases/(?P<pk>[^/]+)/contacts/$", views.CaseContactsView.as_view(), name="case-contacts"),
    *router.urls,
]
