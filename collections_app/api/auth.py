"""``POST /api/auth/token/``: a token for scripts (docs/api.md), rate-limited (scope "auth") per client address and
guarded by the same sign-in lockout as the login page (django-axes: accounts/lockout.py)."""
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import token_for_user
from accounts.throttling import ClientScopedRateThrottle

from .schema import ErrorSerializer


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text=_("The user's login name."))
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, write_only=True, style={"input_type": "password"},
        help_text=_("The user's password."),
    )

    def validate(self, attrs):
        # The Django request (not DRF's wrapper): the lockout marks it, and its middleware then
        # answers 429 with the lockout message instead of this 400.
        request = self.context["request"]._request
        user = authenticate(request, username=attrs["username"], password=attrs["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to sign in with these credentials.")]}, code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_('Send it as the header "Authorization: Token <token>".'))


class ObtainTokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        summary="Get an API token",
        description="Exchange a username and password for the user's API token: the same token until it "
        "expires (`API_TOKEN_TTL_HOURS`, 24 h by default; an expired token answers 401), then a new one. "
        "A change of the user's password, role or active flag revokes it. "
        "Rate-limited per client address, and locked for a while after repeated wrong passwords for "
        "the account or from the address (even the right password is then refused); a 429 says when to retry.",
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Missing fields or wrong credentials."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts or locked out; retry later."),
        },
        examples=[
            OpenApiExample("Request", value={"username": "alice", "password": "s3cret-pass"}, request_only=True),
            OpenApiExample(
                "Token", value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Wrong credentials",
                value={"non_field_errors": ["Unable to sign in with these credentials."]},
                response_only=True, status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = token_for_user(user=serializer.validated_data["user"])
        return Response({"token": token.key})
