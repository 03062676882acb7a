"""``/api/cases/{id}/offers/`` and ``/api/cases/{id}/plans/``: settlement offers and payment plans
(docs/settlements.md). Thin: the case through accounts.roles, each write through a service."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from collections_app import models as m
from collections_app.selectors.payoff import case_payoff_amount
from collections_app.selectors.visibility import cases_visible_to
from collections_app.services.settlements.offers import propose_offer
from collections_app.services.settlements.plans import propose_plan
from collections_app.services.settlements.terms import case_today

from .pagination import StandardPagination
from .serializers import MONEY, CaseSerializer, OutputSerializer
from .views import StrictRequestMixin


class OfferSerializer(OutputSerializer):
    class Meta:
        model = m.SettlementOffer
        fields = ["id", "case", "status", "amount", "valid_until", "payoff_amount", "discount_percent", "offered_on",
                  "level", "approval", "requested_by", "paid_amount", "ended_on", "forgiven_amount",
                  "forgiven_by_loan", "note", "created_at"]
        read_only_fields = fields


class OfferCreateSerializer(serializers.Serializer):
    amount = serializers.DecimalField(min_value=Decimal("0.01"), help_text=_("The settlement sum, below the payoff amount."),
                                      **MONEY)
    valid_until = serializers.DateField(help_text=_("Last day the sum may be paid, YYYY-MM-DD."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class PlanInstallmentSerializer(OutputSerializer):
    class Meta:
        model = m.PlanInstallment
        fields = ["seq", "due_date", "amount", "paid_amount", "paid_on"]
        read_only_fields = fields


class PlanSerializer(OutputSerializer):
    installments = PlanInstallmentSerializer(many=True, read_only=True)

    class Meta:
        model = m.PaymentPlan
        fields = ["id", "case", "status", "covers", "base_amount", "total_amount", "shortfall_percent", "proposed_on",
                  "activated_on", "ended_on", "level", "grace_days", "approval", "requested_by", "note", "created_at",
                  "installments"]
        read_only_fields = fields


class PlanLineInputSerializer(serializers.Serializer):
    due_date = serializers.DateField(help_text=_("YYYY-MM-DD, not in the past."))
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)


class PlanCreateSerializer(serializers.Serializer):
    installments = PlanLineInputSerializer(many=True, allow_empty=False)
    covers = serializers.ChoiceField(choices=m.PaymentPlan.Covers.choices, default=m.PaymentPlan.Covers.OVERDUE,
                                     help_text=_("overdue: the overdue amount; balance: everything owed."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class CaseDetailSerializer(CaseSerializer):
    payoff_amount = serializers.SerializerMethodField(
        help_text=_("What pays off the case today: what is left of an accepted settlement offer, else the sum of "
                    "the loans' payoff quotes."))

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "payoff_amount"]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_payoff_amount(self, obj) -> str:
        return f"{case_payoff_amount(obj, case_today(obj)):.2f}"


class _CaseChildView(StrictRequestMixin, generics.ListCreateAPIView):
    pagination_class = StandardPagination
    parser_classes = [JSONParser]
    ordering = ["-created_at", "-id"]

    def get_case(self):
        if not hasattr(self, "_case"):
            cases = cases_visible_to(self.request.user, m.CollectionCase.objects.select_related("lender"))
            try:
                self._case = get_object_or_404(cases, pk=self.kwargs["pk"])
            except (TypeError, ValueError, OverflowError):
                raise NotFound
        return self._case


@extend_schema_view(
    get=extend_schema(summary="A case's settlement offers", tags=["settlements"]),
    post=extend_schema(
        summary="Offer a settlement below the payoff amount",
        description="Active at once within the collector's discount limit (per lender and bucket), else pending "
        "a supervisor's approval, beyond the supervisor's limit an admin's. Paid in full by `valid_until`, the "
        "case closes as settled with a discount.",
        tags=["settlements"], request=OfferCreateSerializer, responses={201: OfferSerializer},
        examples=[OpenApiExample("Offer", request_only=True, value={"amount": "2700.00", "valid_until": "2026-02-28"})],
    ),
)
class CaseOffersView(_CaseChildView):
    serializer_class = OfferSerializer
    queryset = m.SettlementOffer.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return m.SettlementOffer.objects.none()
        return m.SettlementOffer.objects.filter(case=self.get_case()).order_by("-created_at", "-id")

    def create(self, request, *args, **kwargs):
        case = self.get_case()
        data = OfferCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = propose_offer(case=case, user=request.user, **data.validated_data)
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="A case's payment plans", tags=["settlements"]),
    post=extend_schema(
        summary="Propose a payment plan",
        description="Instalments adding up to at least the overdue amount (or the whole balance with "
        "`covers: balance`) are active at once; below it the plan waits for approval. While kept, the case's "
        "aging holds and it leaves the call queue except for reminders before each date.",
        tags=["settlements"], request=PlanCreateSerializer, responses={201: PlanSerializer},
        examples=[OpenApiExample("Plan", request_only=True, value={"installments": [
            {"due_date": "2026-02-20", "amount": "1000.00"}, {"due_date": "2026-03-05", "amount": "1000.00"}]})],
    ),
)
class CasePlansView(_CaseChildView):
    serializer_class = PlanSerializer
    queryset = m.PaymentPlan.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return m.PaymentPlan.objects.none()
        return (m.PaymentPlan.objects.filter(case=self.get_case())
                .prefetch_related(Prefetch("installments", queryset=m.PlanInstallment.objects.order_by("seq")))
                .order_by("-created_at", "-id"))

    def create(self, request, *args, **kwargs):
        case = self.get_case()
        data = PlanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lines: list[tuple[dt.date, Decimal]] = [(x["due_date"], x["amount"]) for x in data.validated_data["installments"]]
        plan = propose_plan(case=case, user=request.user, installments=lines, covers=data.validated_data["covers"],
                            note=data.validated_data["note"])
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    re_path(r"^cases/(?P<pk>[^/]+)/offers/$", CaseOffersView.as_view(), name="case-offers"),
    re_path(r"^cases/(?P<pk>[^/]+)/plans/$", CasePlansView.as_view(), name="case-plans"),
]
