"""Templates and messages over HTTP (docs/messages.md, docs/api.md): GET|POST /api/templates/,
GET|POST /api/cases/{id}/messages/, and the provider's delivery receipts at
POST /api/messages/receipts/. Thin: every write calls services.message_templates / services.messages."""
import hmac

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, mixins, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from collections_app import models as m
from collections_app.selectors.visibility import cases_visible_to
from collections_app.services import message_templates, messages
from collections_app.services.contacts import ContactRefused

from .pagination import StandardPagination
from .permissions import ReadAuthenticatedWriteAdmin
from .serializers import ContactRefusedSerializer
from .views import BaseViewSet, StrictRequestMixin


class TemplateSerializer(serializers.ModelSerializer):
    lender = serializers.SlugRelatedField(slug_field="code", queryset=m.Lender.objects.all(), required=False,
                                          allow_null=True, help_text=_("Lender code; null = every lender's default."))

    class Meta:
        model = m.MessageTemplate
        fields = ["id", "code", "channel", "language", "name", "lender", "stage", "subject", "body", "is_active",
                  "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []  # the uniqueness is the database's (a 409 from the error handler)

    def validate(self, attrs):
        instance = self.instance or m.MessageTemplate()
        for key, value in attrs.items():
            setattr(instance, key, value)
        other = m.MessageTemplate.objects.filter(code=instance.code).exclude(pk=instance.pk)
        errors = message_templates.template_errors(
            channel=instance.channel, subject=instance.subject, body=instance.body, code=instance.code,
            channel_of_code=other.values_list("channel", flat=True).first())
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class TemplateFilterSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=m.TemplateChannel.choices, required=False)


@extend_schema_view(
    list=extend_schema(summary="List message templates", description="Every signed-in user; `?channel=sms|email|letter`."),
    retrieve=extend_schema(summary="Get a message template"),
    create=extend_schema(summary="Add a message template (admin)",
                         description="Refused with 400 when the text makes a false threat or uses an unknown "
                                     "placeholder."),
    partial_update=extend_schema(summary="Change a message template (admin); the old text stays in its history"),
)
@extend_schema(tags=["messages"])
class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, BaseViewSet):
    serializer_class = TemplateSerializer
    permission_classes = [ReadAuthenticatedWriteAdmin]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def allowed_query_params(self):
        return super().allowed_query_params() | {"channel", "page", "page_size"}

    def get_queryset(self):
        qs = m.MessageTemplate.objects.select_related("lender").order_by("channel", "code", "language", "id")
        if self.action == "list":
            qs = qs.filter(is_active=True)
            data = TemplateFilterSerializer(data=self.request.query_params)
            data.is_valid(raise_exception=True)
            if data.validated_data.get("channel"):
                qs = qs.filter(channel=data.validated_data["channel"])
        return qs

    def perform_create(self, serializer):
        template = m.MessageTemplate(**serializer.validated_data)
        serializer.instance = message_templates.save_template(template=template, user=self.request.user)

    def perform_update(self, serializer):
        template = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(template, key, value)
        message_templates.save_template(template=template, user=self.request.user)


class MessageSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = m.Message
        fields = ["id", "status", "send_at", "channel", "template", "template_version", "to_address",
                  "is_third_party", "subject", "body", "sent_at", "delivered_at", "error", "created_at"]


SEND_CHANNELS = [("sms", "SMS"), ("email", "E-mail")]


class MessageCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=SEND_CHANNELS)
    template = serializers.SlugField(max_length=60, help_text=_("A template code (GET /api/templates/)."))
    contact_point = serializers.IntegerField(required=False, allow_null=True,
                                             help_text=_("Default: the borrower's own primary number or address."))


class MessageCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    send_at = serializers.DateTimeField()


@extend_schema_view(
    get=extend_schema(summary="A case's messages", tags=["messages"]),
    post=extend_schema(
        summary="Send a message from a template",
        description="Checked like a contact: 409 with `rule` for a stop flag, a third party, the daily message "
                    "cap or a debt-stating text to a third party. Outside contact hours it is scheduled for the "
                    "start of the next window (`status` scheduled, `send_at`). An `Idempotency-Key` header makes "
                    "a repeated request answer the first message.",
        tags=["messages"], request=MessageCreateSerializer,
        responses={201: MessageCreatedSerializer,
                   409: OpenApiResponse(ContactRefusedSerializer, description="The compliance rules forbid it.")},
        examples=[OpenApiExample("Reminder", request_only=True, value={"channel": "sms", "template": "polite_reminder"})],
    ),
)
class CaseMessagesView(StrictRequestMixin, generics.ListCreateAPIView):
    serializer_class = MessageSerializer
    pagination_class = StandardPagination
    parser_classes = [JSONParser]
    queryset = m.Message.objects.none()

    def get_case(self):
        if not hasattr(self, "_case"):
            cases = cases_visible_to(self.request.user, m.CollectionCase.objects.select_related("lender", "borrower"))
            try:
                self._case = get_object_or_404(cases, pk=self.kwargs["pk"])
            except (TypeError, ValueError, OverflowError):
                raise NotFound from None
        return self._case

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return m.Message.objects.none()
        return m.Message.objects.filter(case=self.get_case()).select_related("template").order_by("-send_at", "-id")

    def create(self, request, *args, **kwargs):
        case = self.get_case()
        data = MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        point = None
        if data.validated_data.get("contact_point"):
            point = m.ContactPoint.objects.filter(pk=data.validated_data["contact_point"],
                                                  borrower_id=case.borrower_id).first()
            if point is None:
                return Response({"contact_point": [_("Not one of this borrower's contact points.")]},
                                status=status.HTTP_400_BAD_REQUEST)
        try:
            message = messages.plan_message(
                case=case, user=request.user, channel=data.validated_data["channel"],
                template_code=data.validated_data["template"], contact_point=point,
                idempotency_key=(request.headers.get("Idempotency-Key") or "")[:100] or None,
            )
        except ContactRefused as refused:
            return Response(ContactRefusedSerializer(refused.as_dict()).data, status=status.HTTP_409_CONFLICT)
        message.refresh_from_db(fields=["status", "send_at"])
        return Response(MessageCreatedSerializer(message).data, status=status.HTTP_201_CREATED)


class ReceiptSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=200, help_text=_("The provider's message id."))
    status = serializers.ChoiceField(choices=[("delivered", "delivered"), ("failed", "failed")])
    error = serializers.CharField(max_length=500, required=False, allow_blank=True)


@extend_schema(
    summary="Delivery receipt from the SMS provider",
    description="Authenticated by the header `X-Webhook-Secret` (the setting SMS_WEBHOOK_SECRET); 403 without "
                "it, 404 when no secret is configured.",
    tags=["messages"], request=ReceiptSerializer,
    responses={200: inline_serializer("ReceiptResult", {"updated": serializers.IntegerField()})},
)
class ReceiptView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    def post(self, request):
        secret = settings.SMS_WEBHOOK_SECRET
        if not secret:
            raise NotFound
        given = request.headers.get("X-Webhook-Secret", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return Response({"detail": _("Wrong or missing webhook secret.")}, status=status.HTTP_403_FORBIDDEN)
        data = ReceiptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = messages.record_receipt(provider_id=data.validated_data["id"],
                                          delivered=data.validated_data["status"] == "delivered",
                                          error=data.validated_data.get("error", ""))
        return Response({"updated": updated})


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("templates", TemplateViewSet, basename="template")

urlpatterns = [
    re_path(r"^cases/(?P<pk>[^/]+)/messages/$", CaseMessagesView.as_view(), name="case-messages"),
    re_path(r"^messages/receipts/$", ReceiptView.as_view(), name="message-receipts"),
    *router.urls,
]
