"""API token authentication with expiry: a token older than ``API_TOKEN_TTL_HOURS`` is deleted
and refused (401); ``POST /api/auth/token/`` then issues a new one."""
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .services import token_is_expired


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token):
            token.delete()
            raise AuthenticationFailed(_("Token expired; get a new one from /api/auth/token/."))
        return user, token
