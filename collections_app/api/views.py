"""API views: thin. Each queryset goes through selectors.visibility (built on accounts.roles); each write calls a service."""
from django.db.models import Prefetch
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts import roles
from accounts.models import Team
from collections_app import models as m
from collections_app.selectors import visibility
from collections_app.services import allocation, contacts, payments
from collections_app.services.personal_data import record_personal_data_access
from collections_app.services.promises import take_promise

from . import filters as f
from . import serializers as s
from .pagination import StandardPagination
from .permissions import (
    CanAssign,
    IsAdminRole,
    ReadAuthenticatedWriteAdmin,
    ReadAuthenticatedWriteSupervisorOrAdmin,
)

LOOKUP_ANY = "[^/]+"  # anything a path segment may hold; bad ids answer a JSON 404, never an HTML page


class StrictRequestMixin:
    """After authentication and permissions: unknown query parameters, a parameter given twice, and a
    write without a JSON body, are a 400 that says so (a typo such as ``?dpd_minimum=`` must not
    silently list everything)."""

    def allowed_query_params(self) -> set[str]:
        allowed = {"format"}
        if self.request.method in ("GET", "HEAD") and getattr(self, "action", "list") == "list":
            filterset = getattr(self, "filterset_class", None)
            if filterset is not None:
                allowed |= set(filterset.base_filters)
            allowed |= {"ordering", "page", "page_size"}
        return allowed

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            return  # dispatch answers 405 with the Allow header
        unknown = sorted(set(request.query_params) - self.allowed_query_params())
        if unknown:
            raise ValidationError({name[:100]: [_("Unknown query parameter.")] for name in unknown[:20]})
        # No parameter of ours is a list: one given twice is a 400, never "the last one wins" (a view
        # reading request.query_params.get() would otherwise act on a value the others hid).
        repeated = sorted(name for name in request.query_params if len(request.query_params.getlist(name)) > 1)
        if repeated:
            raise ValidationError({name[:100]: [_("Give this parameter once.")] for name in repeated[:20]})
        if request.method in ("POST", "PUT", "PATCH") and not (
            request.content_type and int(request.META.get("CONTENT_LENGTH") or 0) > 0
        ):
            raise ValidationError(
                {"non_field_errors": [_("Send a JSON object in the body (Content-Type: application/json).")]}
            )


class BaseViewSet(StrictRequestMixin, viewsets.GenericViewSet):
    pagination_class = StandardPagination
    parser_classes = [JSONParser]
    lookup_value_regex = LOOKUP_ANY


# --- lenders, teams, users -------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List lenders", description="Every signed-in user may list lenders."),
    retrieve=extend_schema(summary="Get a lender by code"),
    create=extend_schema(
        summary="Create a lender (admin)",
        description="Compliance settings are optional and default to 08:00–21:00, 3 call attempts a day, "
        "7 in 7 days, no quiet days, third parties from bucket M2.",
        examples=[
            OpenApiExample(
                "New lender",
                value={"code": "acme", "name": "Acme Finance", "contact_start": "09:00", "contact_end": "20:00"},
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a lender's settings (admin)",
        examples=[
            OpenApiExample(
                "US rules", value={"quiet_days_after_conversation": 7, "max_calls_per_7_days": 7}, request_only=True
            )
        ],
    ),
)
@extend_schema(tags=["lenders"])
class LenderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, BaseViewSet
):
    queryset = m.Lender.objects.all()
    serializer_class = s.LenderSerializer
    permission_classes = [ReadAuthenticatedWriteAdmin]
    filterset_class = f.LenderFilter
    ordering_fields = ["code", "name", "created_at"]
    ordering = ["code"]
    lookup_field = "code"
    http_method_names = ["get", "post", "patch", "head", "options"]


@extend_schema_view(
    list=extend_schema(summary="List teams"),
    retrieve=extend_schema(summary="Get a team"),
    create=extend_schema(
        summary="Create a team (admin)",
        examples=[OpenApiExample("New team", value={"name": "M1 team", "supervisor": 2}, request_only=True)],
    ),
    partial_update=extend_schema(summary="Change a team, e.g. set its supervisor (admin)"),
)
@extend_schema(tags=["teams"])
class TeamViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, BaseViewSet
):
    queryset = Team.objects.select_related("lender").prefetch_related("members")
    serializer_class = s.TeamSerializer
    permission_classes = [ReadAuthenticatedWriteAdmin]
    filterset_class = f.TeamFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "head", "options"]


@extend_schema_view(
    list=extend_schema(summary="List users (admin)"),
    retrieve=extend_schema(summary="Get a user (admin)"),
    create=extend_schema(
        summary="Create a user (admin)",
        examples=[
            OpenApiExample(
                "New collector",
                value={"username": "li.lei", "password": "a-long-pass-phrase", "role": "collector", "team": 1},
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(summary="Change a user: role, team, password, deactivate (admin)"),
)
@extend_schema(tags=["users"])
class UserViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, BaseViewSet
):
    serializer_class = s.UserSerializer
    permission_classes = [IsAdminRole]
    filterset_class = f.UserFilter
    ordering_fields = ["username", "date_joined", "role"]
    ordering = ["username"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return roles.visible_users(self.request.user).select_related("team")


# --- borrowers, loans, installments, payments ------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List borrowers", description="National ids and phone numbers are masked unless "
                       "the role needs them (supervisors and admins); unmasked views are recorded."),
    retrieve=extend_schema(summary="Get a borrower"),
)
@extend_schema(tags=["borrowers"])
class BorrowerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    serializer_class = s.BorrowerSerializer
    filterset_class = f.BorrowerFilter
    ordering_fields = ["name", "external_id", "created_at"]
    ordering = ["id"]

    def get_queryset(self):
        qs = m.Borrower.objects.select_related("lender").prefetch_related("contact_points")
        return visibility.borrowers_visible_to(self.request.user, qs)

    def _audit(self, borrowers):
        """Every view of personal data is recorded, one insert per page: unmasked national ids and
        phones for the roles that see them, and the address, which every role sees."""
        borrowers = list(borrowers or [])
        if roles.can_see_full_pii(self.request.user):
            what, ids = "national_id,phones,address", [b.pk for b in borrowers]
        else:
            what, ids = "address", [
                b.pk for b in borrowers
                if b.address or any(cp.kind == m.ContactKind.ADDRESS for cp in b.contact_points.all())
            ]
        record_personal_data_access(user=self.request.user, borrower_ids=ids, what=what,
                                    where=self.request.get_full_path())

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        self._audit(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        borrower = self.get_object()
        self._audit([borrower])
        return Response(self.get_serializer(borrower).data)


@extend_schema_view(
    list=extend_schema(
        summary="List loans",
        description="Loans the user may see (an admin all; others those of their visible cases), "
        "with the delinquency figures as of `as_of`.",
        examples=[
            OpenApiExample(
                "A page of loans",
                response_only=True,
                value={
                    "count": 1, "next": None, "previous": None,
                    "results": [{
                        "id": 7, "external_id": "L0001", "lender": "acme",
                        "borrower": {"id": 3, "external_id": "B001", "name": "张三"},
                        "product": None, "principal": "12000.00", "currency": "CNY", "disbursed_on": "2026-01-05",
                        "annual_rate": "0.180000", "term_months": 12, "overdue_amount": "1100.14",
                        "outstanding_amount": "13201.68", "paid_total": "0.00", "overpayment": "0.00",
                        "penalty_accrued": "0.00", "fees_accrued": "0.00", "dpd": 35, "aging_days": 35,
                        "bucket": "M1", "status": "open", "as_of": "2026-03-12",
                        "oldest_unpaid_due_date": "2026-02-05", "settled_on": None, "case": 5,
                    }],
                },
            )
        ],
    ),
    retrieve=extend_schema(summary="Get a loan with its installments"),
)
@extend_schema(tags=["loans"])
class LoanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    filterset_class = f.LoanFilter
    ordering_fields = ["dpd", "overdue_amount", "principal", "external_id", "as_of", "id"]
    ordering = ["id"]

    def get_serializer_class(self):
        return s.LoanDetailSerializer if self.action == "retrieve" else s.LoanSerializer

    def get_queryset(self):
        qs = m.Loan.objects.select_related("lender", "borrower", "product")
        if self.action == "retrieve":
            qs = qs.prefetch_related("installments")
        return visibility.loans_visible_to(self.request.user, qs)


@extend_schema_view(
    list=extend_schema(summary="List installments", description="Filter with `?loan=<id>`."),
    retrieve=extend_schema(summary="Get an installment"),
)
@extend_schema(tags=["loans"])
class InstallmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    serializer_class = s.InstallmentSerializer
    filterset_class = f.InstallmentFilter
    ordering_fields = ["due_date", "seq", "id"]
    ordering = ["loan_id", "due_date", "seq"]

    def get_queryset(self):
        return m.Installment.objects.filter(loan__in=visibility.loans_visible_to(self.request.user).values("id"))


@extend_schema_view(
    list=extend_schema(summary="List payments"),
    retrieve=extend_schema(summary="Get a payment"),
    create=extend_schema(
        summary="Record a payment (supervisor or admin)",
        description="Stores the payment (identity: lender + external_id; sending the same payment again is a "
        "no-op) and reclassifies the loan at once.",
        request=s.PaymentCreateSerializer,
        responses={201: s.PaymentSerializer},
        examples=[
            OpenApiExample(
                "Payment",
                value={"loan": 7, "external_id": "PAY-2026-0001", "paid_on": "2026-03-10", "amount": "500.00",
                       "channel": "bank transfer"},
                request_only=True,
            )
        ],
    ),
)
@extend_schema(tags=["payments"])
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, BaseViewSet):
    serializer_class = s.PaymentSerializer
    permission_classes = [ReadAuthenticatedWriteSupervisorOrAdmin]
    filterset_class = f.PaymentFilter
    ordering_fields = ["paid_on", "amount", "id"]
    ordering = ["-paid_on", "-id"]

    def get_queryset(self):
        qs = m.Payment.objects.select_related("lender")
        return qs.filter(loan__in=visibility.loans_visible_to(self.request.user).values("id"))

    def create(self, request, *args, **kwargs):
        data = s.PaymentCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        payment = payments.record_payment(**data.validated_data, source=m.Payment.Source.API, user=request.user)
        return Response(self.get_serializer(payment).data, status=status.HTTP_201_CREATED)


# --- cases, contacts, promises -----------------------------------------------------------------


def case_queryset(user):
    qs = m.CollectionCase.objects.select_related("lender", "borrower").prefetch_related(
        Prefetch("loans", queryset=m.Loan.objects.only("id", "case_id").order_by("id")),
        Prefetch(
            "promises",
            queryset=m.PromiseToPay.objects.filter(status=m.PromiseStatus.PENDING).order_by("promised_date", "id"),
            to_attr="open_promises",
        ),
    )
    return visibility.cases_visible_to(user, qs)


@extend_schema_view(
    list=extend_schema(
        summary="List cases",
        description="A collector sees the cases assigned to them, a supervisor their teams' cases, an admin all.",
    ),
    retrieve=extend_schema(summary="Get a case", description="Cases the user may not see answer 404."),
)
@extend_schema(tags=["cases"])
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    serializer_class = s.CaseSerializer
    filterset_class = f.CaseFilter
    ordering_fields = ["dpd", "overdue_amount", "next_action_at", "priority_score", "opened_at", "id"]
    ordering = ["-priority_score", "id"]

    def get_queryset(self):
        return case_queryset(self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":  # one case: with its payoff amount (docs/settlements.md)
            from .settlements import CaseDetailSerializer

            return CaseDetailSerializer
        return super().get_serializer_class()

    @extend_schema(
        summary="Assign a case (supervisor or admin)",
        request=s.AssignSerializer,
        responses={200: s.AssignResultSerializer},
        examples=[OpenApiExample("Assign", value={"user": 12}, request_only=True)],
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, CanAssign], filterset_class=None,
            pagination_class=None)
    def assign(self, request, pk=None):
        case = self.get_object()
        data = s.AssignSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        changed = allocation.assign_cases(
            case_ids=[case.id], to_user=data.validated_data["user"], by_user=request.user,
            reason=data.validated_data["reason"],
        )
        return Response({"assigned": changed})


CONTACT_409_EXAMPLE = {
    "rule": "daily_cap",
    "detail": "3 call attempts already made to this borrower today.",
    "allowed_from": "2026-03-13T08:00:00+08:00",
}


@extend_schema_view(
    get=extend_schema(summary="A case's contact history", tags=["cases"]),
    post=extend_schema(
        summary="Log a contact on a case",
        description="Checked against the lender's compliance rules first; a forbidden contact is refused with "
        "409 and is not stored as made. A promise outcome takes `promise_amount` and `promise_date`.",
        tags=["cases"],
        request=s.ContactCreateSerializer,
        responses={
            201: s.ContactLogSerializer,
            409: OpenApiResponse(s.ContactRefusedSerializer, description="The compliance rules forbid this contact now."),
        },
        examples=[
            OpenApiExample(
                "Promise", request_only=True,
                value={"channel": "phone", "outcome": "promise", "contact_point": 31, "note": "Salary on the 15th",
                       "promise_amount": "800.00", "promise_date": "2026-03-15"},
            ),
            OpenApiExample("Refused by the rules", response_only=True, status_codes=["409"], value=CONTACT_409_EXAMPLE),
        ],
    ),
)
class CaseContactsView(StrictRequestMixin, generics.ListCreateAPIView):
    """``/api/cases/{id}/contacts/``: list the case's contacts, or log one through the compliance guard."""

    serializer_class = s.ContactLogSerializer
    pagination_class = StandardPagination
    parser_classes = [JSONParser]
    filterset_class = f.ContactFilter
    ordering_fields = ["occurred_at", "id"]
    ordering = ["-occurred_at", "-id"]
    queryset = m.ContactLog.objects.none()  # for the schema; get_queryset() is what answers

    def get_case(self):
        if not hasattr(self, "_case"):
            cases = visibility.cases_visible_to(self.request.user, m.CollectionCase.objects.select_related("lender"))
            try:
                self._case = get_object_or_404(cases, pk=self.kwargs["pk"])
            except (TypeError, ValueError, OverflowError):
                raise NotFound
        return self._case

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return m.ContactLog.objects.none()
        return m.ContactLog.objects.filter(case=self.get_case()).select_related("promise")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        # Full numbers dialled or texted (supervisors, admins; masked for others) and addresses
        # written to or visited (every role) are recorded: one record for the page.
        full = roles.can_see_full_pii(request.user)
        shown = set()
        for row in response.data.get("results", []) if isinstance(response.data, dict) else []:
            if not row.get("number_used"):
                continue
            if row.get("channel") in (m.Channel.PHONE, m.Channel.SMS):
                if full:
                    shown.add("number_used")
            elif row.get("channel") in (m.Channel.LETTER, m.Channel.VISIT):
                shown.add("address")
        if shown:
            record_personal_data_access(user=request.user, borrower_ids=[self.get_case().borrower_id],
                                        what=",".join(sorted(shown)), where=request.get_full_path())
        return response

    def create(self, request, *args, **kwargs):
        case = self.get_case()
        data = s.ContactCreateSerializer(data=request.data, context={**self.get_serializer_context(), "case": case})
        data.is_valid(raise_exception=True)
        try:
            log = contacts.log_contact(case=case, user=request.user, **data.validated_data)
        except contacts.ContactRefused as refused:
            body = s.ContactRefusedSerializer(
                {"rule": refused.rule, "detail": str(refused.detail), "allowed_from": refused.allowed_from}
            ).data
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(log).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List promises to pay", description="Promises on the cases the user may see."),
    retrieve=extend_schema(summary="Get a promise"),
    create=extend_schema(
        summary="Take a promise to pay on a case",
        request=s.PromiseCreateSerializer,
        responses={201: s.PromiseSerializer},
        examples=[
            OpenApiExample("Promise", value={"case": 5, "amount": "800.00", "promised_date": "2026-03-15"},
                           request_only=True)
        ],
    ),
)
@extend_schema(tags=["promises"])
class PromiseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, BaseViewSet):
    serializer_class = s.PromiseSerializer
    filterset_class = f.PromiseFilter
    ordering_fields = ["promised_date", "amount", "created_at", "id"]
    ordering = ["promised_date", "id"]

    def get_queryset(self):
        visible = visibility.cases_visible_to(self.request.user).values("id")
        return m.PromiseToPay.objects.filter(case__in=visible)

    def create(self, request, *args, **kwargs):
        data = s.PromiseCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        case = data.validated_data["case"]
        promise = take_promise(case=case, borrower=case.borrower, user=request.user,
                               amount=data.validated_data["amount"], date=data.validated_data["promised_date"])
        return Response(self.get_serializer(promise).data, status=status.HTTP_201_CREATED)


def api_not_found(request, *args, **kwargs):
    """Anything under /api/ that matches no route: a JSON 404, not an HTML page (a GET missing only its
    trailing slash is redirected, as APPEND_SLASH would)."""
    if request.method in ("GET", "HEAD") and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return JsonResponse({"detail": _("Not found.")}, status=404)

