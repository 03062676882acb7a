"""API of agency placement and litigation (docs/api.md, docs/agency.md, docs/litigation.md).

    GET  /api/agencies/                              agencies (supervisors, admins)
    GET  /api/cases/{id}/placements/                 the case's placements
    POST /api/cases/{id}/placements/                 ask to place the case (an approval)
    GET  /api/placements/                            placements of the cases the user sees
    POST /api/placements/                            ask to place every case matching a filter (one approval)
    POST /api/placements/{id}/recall/                recall by hand
    GET  /api/cases/{id}/legal-cases/                the case's legal cases
    POST /api/cases/{id}/legal-cases/                ask for litigation (an approval)
    POST /api/legal-cases/{id}/stage/                move a legal case to a later stage
    POST /api/legal-cases/{id}/costs/                record a cost

Thin: every queryset through accounts.roles / selectors, every write through services.agency and
services.legal; cases and legal cases the user may not see answer 404.
"""
from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import re_path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Team
from collections_app import models as m
from collections_app.selectors import agency as agency_sel
from collections_app.selectors import visibility
from collections_app.services import agency as agency_svc
from collections_app.services import legal as legal_svc

from .pagination import StandardPagination
from .permissions import IsSupervisorOrAdmin
from .views import StrictRequestMixin

MAX_ID = 2**63 - 1


class AgencyRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.AgencyRate
        fields = ["bucket", "rate"]


class AgencySerializer(serializers.ModelSerializer):
    rates = AgencyRateSerializer(many=True, read_only=True, help_text="Commission rate per bucket (0–1).")

    class Meta:
        model = m.Agency
        fields = ["id", "name", "contact_person", "phone", "email", "contract_start", "contract_end",
                  "default_rate", "placement_days", "is_active", "rates"]
        read_only_fields = fields


class PlacementSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    active = serializers.BooleanField(read_only=True, source="is_active",
                                      help_text="True while the agency works the case (not recalled).")

    class Meta:
        model = m.AgencyPlacement
        fields = ["id", "case", "agency", "agency_name", "bucket", "commission_rate", "placed_on", "recall_on",
                  "recalled_on", "recall_reason", "approval", "active"]
        read_only_fields = fields


class PlacementRequestSerializer(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=m.Agency.objects.filter(is_active=True),
                                                help_text="Id of an active agency.")
    recall_on = serializers.DateField(required=False, allow_null=True,
                                      help_text="Planned recall date (default: the agency's usual period).")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class BulkPlacementRequestSerializer(PlacementRequestSerializer):
    bucket = serializers.CharField(required=False, allow_blank=True, max_length=10, default="")
    lender = serializers.SlugRelatedField(slug_field="code", queryset=m.Lender.objects.all(), required=False,
                                          allow_null=True, help_text="Lender code.")
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    dpd_min = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100000)
    dpd_max = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100000)


class ApprovalRequestedSerializer(serializers.Serializer):
    approval = serializers.IntegerField(help_text="Id of the approval request.")
    status = serializers.CharField(help_text="Always pending_approval: a supervisor or admin decides.")
    cases = serializers.IntegerField(help_text="Number of cases the request covers.")


class RecallSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class LegalStageChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.LegalStageChange
        fields = ["from_stage", "to_stage", "on", "note", "by", "at"]
        read_only_fields = fields


class LegalCostSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.LegalCost
        fields = ["id", "kind", "amount", "incurred_on", "note", "created_at"]
        read_only_fields = fields


class LegalDocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Download (access-checked and recorded).")

    class Meta:
        model = m.LegalDocument
        fields = ["id", "title", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return f"/legal-documents/{obj.pk}/"


class LegalCaseSerializer(serializers.ModelSerializer):
    stage_changes = LegalStageChangeSerializer(many=True, read_only=True)
    costs = LegalCostSerializer(many=True, read_only=True)
    documents = LegalDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = m.LegalCase
        fields = ["id", "case", "stage", "court", "case_number", "opened_on", "filed_on", "hearing_on",
                  "judgement_on", "enforcement_on", "dishonest_listed_on", "closed_on", "approval",
                  "stage_changes", "costs", "documents"]
        read_only_fields = fields


class LitigationRequestSerializer(serializers.Serializer):
    court = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class StageChangeSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=m.LegalStage.choices)
    on = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    court = serializers.CharField(required=False, max_length=200)
    case_number = serializers.CharField(required=False, max_length=100)


class LegalCostCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=m.LegalCostKind.choices)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    incurred_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotFound
    if not 0 < pk <= MAX_ID:
        raise NotFound
    return pk


class _Base(StrictRequestMixin, APIView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated]

    def visible_case(self) -> m.CollectionCase:
        return get_object_or_404(visibility.cases_visible_to(self.request.user), pk=_pk(self.kwargs["pk"]))


def _requested(approval) -> Response:
    body = {"approval": approval.id, "status": "pending_approval", "cases": len(approval.payload.get("case_ids", [1]))}
    return Response(ApprovalRequestedSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["agencies"])
class AgencyListView(_Base):
    permission_classes = [IsAuthenticated, IsSupervisorOrAdmin]

    @extend_schema(summary="List agencies", responses={200: AgencySerializer(many=True)})
    def get(self, request):
        return Response(AgencySerializer(m.Agency.objects.prefetch_related("rates").order_by("name"), many=True).data)


@extend_schema(tags=["agencies"])
class CasePlacementsView(_Base):
    @extend_schema(summary="A case's agency placements", responses={200: PlacementSerializer(many=True)})
    def get(self, request, pk):
        case = self.visible_case()
        qs = agency_sel.placements_visible_to(request.user, m.AgencyPlacement.objects.filter(case=case))
        return Response(PlacementSerializer(qs.select_related("agency").order_by("-placed_on", "-id"), many=True).data)

    @extend_schema(
        summary="Ask to place a case with an agency",
        description="Creates an approval request; the case is placed when a supervisor or admin other than the "
        "requester approves it, at the commission rate for the bucket it is in then.",
        request=PlacementRequestSerializer, responses={201: ApprovalRequestedSerializer},
        examples=[OpenApiExample("Place", request_only=True, value={"agency": 1, "recall_on": "2026-09-30",
                                                                     "reason": "No contact for 60 days"})],
    )
    def post(self, request, pk):
        case = self.visible_case()
        data = PlacementRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        approval = agency_svc.request_placement(user=request.user, agency=v["agency"], case=case,
                                                recall_on=v.get("recall_on"), reason=v["reason"])
        return _requested(approval)


class PlacementPageSerializer(serializers.Serializer):
    """One page of placements, as StandardPagination answers."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PlacementSerializer(many=True)


@extend_schema(tags=["agencies"])
class PlacementsView(_Base):
    def allowed_query_params(self) -> set[str]:
        return super().allowed_query_params() | {"agency", "active"}

    @extend_schema(
        summary="Placements of the cases the user sees",
        parameters=[OpenApiParameter("agency", int, description="Only this agency."),
                    OpenApiParameter("active", bool, description="true: not recalled yet; false: recalled.")],
        responses={200: PlacementPageSerializer},
    )
    def get(self, request):
        qs = agency_sel.placements_visible_to(request.user).select_related("agency").order_by("-placed_on", "-id")
        agency = request.query_params.get("agency")
        if agency is not None:  # given but empty or not an id: no such agency (not every placement)
            qs = qs.filter(agency_id=_pk(agency))
        active = request.query_params.get("active")
        if active in ("true", "false"):
            qs = qs.filter(recalled_on__isnull=active == "true")
        elif active is not None:
            raise serializers.ValidationError({"active": ["true or false."]})
        paginator = StandardPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(PlacementSerializer(page, many=True).data)

    @extend_schema(
        summary="Ask to place every matching case with an agency (supervisors, admins)",
        description="The selection (open cases the user sees, not placed yet, matching every filter given) is "
        "fixed now; one approval request covers it.",
        request=BulkPlacementRequestSerializer, responses={201: ApprovalRequestedSerializer},
        examples=[OpenApiExample("Bulk", request_only=True,
                                 value={"agency": 1, "bucket": "M3", "lender": "demo-xd", "dpd_min": 91,
                                        "dpd_max": 120})],
    )
    def post(self, request):
        data = BulkPlacementRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        filters = agency_sel.PlacementFilters(
            bucket=v["bucket"], lender_id=v["lender"].id if v.get("lender") else None,
            team_id=v["team"].id if v.get("team") else None, dpd_min=v.get("dpd_min"), dpd_max=v.get("dpd_max"),
        )
        approval = agency_svc.request_placement(user=request.user, agency=v["agency"], filters=filters,
                                                recall_on=v.get("recall_on"), reason=v["reason"])
        return _requested(approval)


@extend_schema(tags=["agencies"])
class PlacementRecallView(_Base):
    @extend_schema(summary="Recall a case from its agency (supervisors, admins)", request=RecallSerializer,
                   responses={200: PlacementSerializer},
                   examples=[OpenApiExample("Recall", request_only=True, value={"note": ""})])
    def post(self, request, pk):
        placement = get_object_or_404(agency_sel.placements_visible_to(request.user), pk=_pk(pk))
        RecallSerializer(data=request.data).is_valid(raise_exception=True)
        placement = agency_svc.recall_placement(placement=placement, user=request.user)
        return Response(PlacementSerializer(placement).data)


def _legal_cases(qs):
    return qs.prefetch_related(
        Prefetch("stage_changes", queryset=m.LegalStageChange.objects.order_by("at", "id")),
        Prefetch("costs", queryset=m.LegalCost.objects.order_by("incurred_on", "id")), "documents",
    ).order_by("-opened_on", "-id")


@extend_schema(tags=["litigation"])
class CaseLegalCasesView(_Base):
    @extend_schema(summary="A case's legal cases", responses={200: LegalCaseSerializer(many=True)})
    def get(self, request, pk):
        case = self.visible_case()
        return Response(LegalCaseSerializer(_legal_cases(m.LegalCase.objects.filter(case=case)), many=True).data)

    @extend_schema(summary="Ask for litigation on a case",
                   description="Creates an approval request; approved, a legal case opens in stage prepared.",
                   request=LitigationRequestSerializer, responses={201: ApprovalRequestedSerializer},
                   examples=[OpenApiExample("Litigation", request_only=True,
                                            value={"court": "朝阳区人民法院", "reason": "M4+, no payment"})])
    def post(self, request, pk):
        case = self.visible_case()
        data = LitigationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        approval = legal_svc.request_litigation(case=case, user=request.user, **data.validated_data)
        return _requested(approval)


class _LegalBase(_Base):
    def legal_case(self) -> m.LegalCase:
        visible = visibility.cases_visible_to(self.request.user).values("id")
        return get_object_or_404(m.LegalCase.objects.filter(case_id__in=visible), pk=_pk(self.kwargs["pk"]))


@extend_schema(tags=["litigation"])
class LegalStageView(_LegalBase):
    @extend_schema(summary="Move a legal case to a later stage (supervisors, admins)",
                   description="Stages only move forward (one may be skipped); closed from any stage.",
                   request=StageChangeSerializer, responses={200: LegalCaseSerializer},
                   examples=[OpenApiExample("Filed", request_only=True,
                                            value={"stage": "filed", "on": "2026-06-01",
                                                   "case_number": "(2026)京0105民初123号"})])
    def post(self, request, pk):
        legal = self.legal_case()
        data = StageChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        legal_svc.change_stage(legal_case=legal, user=request.user, stage=v["stage"], on=v.get("on"),
                               note=v["note"], court=v.get("court"), case_number=v.get("case_number"))
        return Response(LegalCaseSerializer(_legal_cases(m.LegalCase.objects.filter(pk=legal.pk)).get()).data)


@extend_schema(tags=["litigation"])
class LegalCostsView(_LegalBase):
    @extend_schema(summary="Record a cost of a legal case (supervisors, admins)", request=LegalCostCreateSerializer,
                   responses={201: LegalCostSerializer},
                   examples=[OpenApiExample("Court fee", request_only=True,
                                            value={"kind": "court_fee", "amount": "350.00",
                                                   "incurred_on": "2026-06-01"})])
    def post(self, request, pk):
        legal = self.legal_case()
        data = LegalCostCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cost = legal_svc.add_cost(legal_case=legal, user=request.user, **data.validated_data)
        return Response(LegalCostSerializer(cost).data, status=status.HTTP_201_CREATED)


ID = r"(?P<pk>[^/]+)"
urlpatterns = [
    re_path(r"^agencies/$", AgencyListView.as_view(), name="agency-list"),
    re_path(rf"^cases/{ID}/placements/$", CasePlacementsView.as_view(), name="case-placements"),
    re_path(r"^placements/$", PlacementsView.as_view(), name="placement-list"),
    re_path(rf"^placements/{ID}/recall/$", PlacementRecallView.as_view(), name="placement-recall"),
    re_path(rf"^cases/{ID}/legal-cases/$", CaseLegalCasesView.as_view(), name="case-legal-cases"),
    re_path(rf"^legal-cases/{ID}/stage/$", LegalStageView.as_view(), name="legal-case-stage"),
    re_path(rf"^legal-cases/{ID}/costs/$", LegalCostsView.as_view(), name="legal-case-costs"),
]
