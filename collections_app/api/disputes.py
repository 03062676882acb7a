"""API for disputes, the limitation warnings, the blacklist and the dialer's call events
(docs/disputes.md, docs/api.md). Thin: every write is a service call."""
from __future__ import annotations

import hmac

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import re_path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from collections_app import models as m
from collections_app.selectors import disputes as selectors
from collections_app.selectors import visibility
from collections_app.services import blacklist as blacklist_service
from collections_app.services import dialer
from collections_app.services import disputes as dispute_service

from .filters import FilterSet, IntegerFilter
from .pagination import StandardPagination
from .permissions import IsSupervisorOrAdmin
from .serializers import OutputSerializer
from .views import StrictRequestMixin

# --- serializers -----------------------------------------------------------------------------


class DisputeSerializer(OutputSerializer):
    documents = serializers.SerializerMethodField(help_text=_("Evidence kept with the dispute: id and file name."))

    class Meta:
        model = m.Dispute
        fields = ["id", "case", "reason", "details", "status", "respond_by", "opened_at", "opened_by", "resolved_at",
                  "resolved_by", "resolution_note", "adjustment", "closed_case", "documents"]
        read_only_fields = fields

    def get_documents(self, obj) -> list[dict[str, str]]:
        return [{"id": str(d.pk), "name": d.original_name} for d in obj.documents.all()]


class DisputeCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=dispute_service.REASON_MAX, help_text=_("What the borrower disputes."))
    details = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=dispute_service.DETAILS_MAX)


class DisputeCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=m.DisputeStatus.choices)
    respond_by = serializers.DateField()


class DisputeResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=m.DisputeOutcome.choices)
    note = serializers.CharField(max_length=dispute_service.DETAILS_MAX, allow_blank=True)
    adjustment = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True,
                                          help_text=_("Upheld: the amount the debt is reduced by."))
    loan = serializers.IntegerField(required=False, allow_null=True,
                                    help_text=_("Upheld with an adjustment: the loan it applies to (default: the "
                                                "case's loan with the largest overdue amount)."))
    close_case = serializers.BooleanField(required=False, default=False,
                                          help_text=_("Upheld: close the case instead of correcting the amount."))


class LimitationWarningSerializer(serializers.Serializer):
    case = serializers.IntegerField(source="id")
    borrower = serializers.CharField(source="borrower.name")
    lender = serializers.CharField(source="lender.code")
    assigned_to = serializers.IntegerField(source="assigned_to_id", allow_null=True)
    limitation_date = serializers.DateField()
    days_left = serializers.IntegerField(help_text=_("Negative once lapsed."))
    warning = serializers.IntegerField(help_text=_("90 or 30: lapses within that many days; 0: lapsed."))


class BlacklistEntrySerializer(OutputSerializer):
    lender = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = m.BlacklistEntry
        fields = ["id", "lender", "borrower", "name", "reason", "rule", "added_by", "added_on", "removed_on"]
        read_only_fields = fields


class BlacklistCreateSerializer(serializers.Serializer):
    borrower = serializers.IntegerField()
    reason = serializers.CharField(max_length=blacklist_service.REASON_MAX)


class CallEventSerializer(serializers.Serializer):
    call_id = serializers.CharField(max_length=100, help_text=_("The dialer's id of the call: one contact per call."))
    event = serializers.ChoiceField(choices=[(e, e) for e in dialer.EVENTS])
    number = serializers.CharField(max_length=40, help_text=_("The number called."))
    extension = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                      help_text=_("The collector's phone extension."))
    case = serializers.IntegerField(required=False, allow_null=True, help_text=_("The case, when the dialer knows it."))
    at = serializers.DateTimeField(required=False, allow_null=True, help_text=_("When the call started."))
    outcome = serializers.CharField(required=False, allow_blank=True, default="", max_length=14)
    duration_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    recording_url = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class CallEventResultSerializer(serializers.Serializer):
    contact = serializers.IntegerField()
    case = serializers.IntegerField()
    created = serializers.BooleanField()


# --- filters ---------------------------------------------------------------------------------------


class DisputeFilter(FilterSet):
    case = IntegerFilter(field_name="case__id", help_text=_("Case id."))
    status = filters.ChoiceFilter(choices=m.DisputeStatus.choices, help_text=_("Dispute status."))
    respond_by_before = filters.DateFilter(field_name="respond_by", lookup_expr="lte",
                                           help_text=_("Answer due on or before."))

    class Meta:
        model = m.Dispute
        fields = ["case", "status", "respond_by_before"]


class BlacklistFilter(FilterSet):
    lender = filters.CharFilter(field_name="lender__code", help_text=_("Lender code."))

    class Meta:
        model = m.BlacklistEntry
        fields = ["lender"]


# --- views -----------------------------------------------------------------------------------------


def _visible_case(request, pk):
    if not str(pk).isdigit():
        raise NotFound
    return get_object_or_404(visibility.cases_visible_to(request.user, m.CollectionCase.objects.select_related("lender")),
                             pk=int(pk))


class CaseDisputesView(StrictRequestMixin, generics.ListCreateAPIView):
    serializer_class = DisputeSerializer
    pagination_class = StandardPagination
    parser_classes = [JSONParser]
    filterset_class = None
    queryset = m.Dispute.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return m.Dispute.objects.none()
        return m.Dispute.objects.filter(case=_visible_case(self.request, self.kwargs["pk"])).prefetch_related("documents")

    @extend_schema(summary="A case's disputes", tags=["disputes"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Open a dispute on a case", tags=["disputes"],
        description="While it is open the compliance guard refuses collection contact on the case with 409 and "
        "rule `dispute`; the case is suspended. The answer is due `respond_by` (the lender's dispute_response_days).",
        request=DisputeCreateSerializer, responses={201: DisputeCreatedSerializer},
        examples=[OpenApiExample("Dispute", request_only=True,
                                 value={"reason": "Paid in March", "details": "Bank receipt attached on the page"})],
    )
    def post(self, request, *args, **kwargs):
        case = _visible_case(request, kwargs["pk"])
        data = DisputeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = dispute_service.open_dispute(case=case, user=request.user, **data.validated_data)
        return Response({"id": d.pk, "status": d.status, "respond_by": d.respond_by}, status=status.HTTP_201_CREATED)


class DisputeListView(StrictRequestMixin, generics.ListAPIView):
    serializer_class = DisputeSerializer
    pagination_class = StandardPagination
    filterset_class = DisputeFilter
    ordering_fields = ["respond_by", "opened_at", "id"]
    ordering = ["respond_by", "id"]
    queryset = m.Dispute.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return m.Dispute.objects.none()
        return selectors.disputes_visible_to(self.request.user).prefetch_related("documents")

    @extend_schema(summary="Disputes on the cases the user may see", tags=["disputes"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DisputeDetailView(StrictRequestMixin, generics.RetrieveAPIView):
    serializer_class = DisputeSerializer
    queryset = m.Dispute.objects.none()

    def get_object(self):
        if not str(self.kwargs["pk"]).isdigit():
            raise NotFound
        return get_object_or_404(selectors.disputes_visible_to(self.request.user), pk=int(self.kwargs["pk"]))

    @extend_schema(summary="Get a dispute", tags=["disputes"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DisputeResolveView(StrictRequestMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Answer a dispute (supervisor or admin)", tags=["disputes"],
        description="upheld: give `adjustment` (the debt is reduced by it, applied by the engine) or "
        "`close_case: true`; rejected: collection resumes and a letter to the borrower is recorded.",
        request=DisputeResolveSerializer,
        responses={200: DisputeSerializer, 403: OpenApiResponse(description="Not a supervisor or admin.")},
        examples=[OpenApiExample("Rejected", request_only=True,
                                 value={"outcome": "rejected", "note": "The payment was for another loan."})],
    )
    def post(self, request, pk):
        if not str(pk).isdigit():
            raise NotFound
        d = get_object_or_404(selectors.disputes_visible_to(request.user), pk=int(pk))
        data = DisputeResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        loan = None
        if v.get("loan") is not None:
            loan = m.Loan.objects.filter(pk=v["loan"], case_id=d.case_id).first()
            if loan is None:
                raise serializers.ValidationError({"loan": [_("This loan belongs to another case.")]})
        try:
            d = dispute_service.resolve_dispute(dispute=d, user=request.user, outcome=v["outcome"], note=v["note"],
                                                adjustment=v.get("adjustment"), loan=loan,
                                                close_case=v.get("close_case", False))
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        return Response(DisputeSerializer(d).data)


class LimitationWarningsView(StrictRequestMixin, generics.ListAPIView):
    serializer_class = LimitationWarningSerializer
    pagination_class = StandardPagination
    filter_backends: list = []
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return m.CollectionCase.objects.none()
        return selectors.limitation_warnings(self.request.user, today=timezone.localdate())

    @extend_schema(summary="Cases whose limitation period lapses within 90 days, or has lapsed", tags=["disputes"],
                   description="Soonest first; `warning` 0 = lapsed, 30 or 90 = lapses within that many days.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BlacklistView(StrictRequestMixin, generics.ListCreateAPIView):
    serializer_class = BlacklistEntrySerializer
    pagination_class = StandardPagination
    permission_classes = [IsAuthenticated, IsSupervisorOrAdmin]
    parser_classes = [JSONParser]
    filterset_class = BlacklistFilter
    queryset = m.BlacklistEntry.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return m.BlacklistEntry.objects.none()
        return selectors.blacklist_visible_to(self.request.user)

    @extend_schema(summary="The blacklist (supervisor or admin)", tags=["blacklist"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="Blacklist a borrower by hand", tags=["blacklist"], request=BlacklistCreateSerializer,
                   responses={201: BlacklistEntrySerializer})
    def post(self, request, *args, **kwargs):
        data = BlacklistCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        borrower = visibility.borrowers_visible_to(request.user).filter(pk=data.validated_data["borrower"]).first()
        if borrower is None:
            raise NotFound
        entry = blacklist_service.add_to_blacklist(borrower=borrower, user=request.user,
                                                   reason=data.validated_data["reason"])
        return Response(BlacklistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class DialerEventView(APIView):
    """For the phone system, not people: authenticated by the shared secret in ``X-Dialer-Token``."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="A call event from the dialer", tags=["dialer"], auth=[],
        parameters=[OpenApiParameter("X-Dialer-Token", str, OpenApiParameter.HEADER, required=True,
                                     description="The shared secret DIALER_WEBHOOK_TOKEN.")],
        request=CallEventSerializer,
        responses={200: CallEventResultSerializer, 201: CallEventResultSerializer,
                   403: OpenApiResponse(description="Missing or wrong token, or the webhook is off.")},
        examples=[OpenApiExample("Ended", request_only=True, value={
            "call_id": "pbx-7781", "event": "ended", "number": "13800138000", "extension": "8012",
            "at": "2026-03-12T10:15:00+08:00", "duration_seconds": 95,
            "recording_url": "https://pbx.example/rec/7781.mp3"})],
    )
    def post(self, request):
        secret = settings.DIALER_WEBHOOK_TOKEN
        given = request.headers.get("X-Dialer-Token", "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return Response({"detail": _("Missing or wrong dialer token.")}, status=status.HTTP_403_FORBIDDEN)
        data = CallEventSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        log, created = dialer.record_call_event(
            call_id=v["call_id"], event=v["event"], number=v["number"], extension=v["extension"],
            case_id=v.get("case"), at=v.get("at"), outcome=v["outcome"], duration_seconds=v.get("duration_seconds"),
            recording_url=v["recording_url"],
        )
        return Response({"contact": log.pk, "case": log.case_id, "created": created},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


urlpatterns = [
    re_path(r"^cases/(?P<pk>[^/]+)/disputes/$", CaseDisputesView.as_view(), name="api-case-disputes"),
    re_path(r"^disputes/$", DisputeListView.as_view(), name="api-disputes"),
    re_path(r"^disputes/(?P<pk>[^/]+)/$", DisputeDetailView.as_view(), name="api-dispute-detail"),
    re_path(r"^disputes/(?P<pk>[^/]+)/resolve/$", DisputeResolveView.as_view(), name="api-dispute-resolve"),
    re_path(r"^limitation-warnings/$", LimitationWarningsView.as_view(), name="api-limitation-warnings"),
    re_path(r"^blacklist/$", BlacklistView.as_view(), name="api-blacklist"),
    re_path(r"^dialer/events/$", DialerEventView.as_view(), name="api-dialer-events"),
]
