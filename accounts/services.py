"""Writes on users: the one place where a change of password, role or active flag takes effect.

Every path that changes a user calls ``user_save`` (or ``user_set_password``): the admin (user
form, its password form and the admin's own password page), the API (``/api/users/``) and the
``changepassword`` command. A change of password, role or active flag revokes the user's API tokens
(the holder must sign in again with the new state); the role's own consequences (``is_staff`` /
``is_superuser``) are applied by ``User.apply_role`` on every save.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from .models import User

# A change of any of these revokes the user's tokens.
TOKEN_REVOKING_FIELDS = ("password", "role", "is_active")


def token_ttl() -> dt.timedelta:
    return dt.timedelta(hours=float(settings.API_TOKEN_TTL_HOURS))


def token_is_expired(token: Token, *, now: dt.datetime | None = None) -> bool:
    return token.created <= (now or timezone.now()) - token_ttl()


def revoke_tokens(*, user: User) -> int:
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


def token_for_user(*, user: User) -> Token:
    """The user's API token: the same one until it expires, then a new one. Simultaneous calls
    get the same token (one row per user; get_or_create takes the row a concurrent call made)."""
    token, created = Token.objects.get_or_create(user=user)
    if not created and token_is_expired(token):
        Token.objects.filter(pk=token.pk).delete()  # a concurrent call may have deleted it already
        token, _ = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def user_save(*, user: User) -> User:
    """Save ``user`` as edited (a new user, or an existing one with changed fields) and revoke its
    tokens when its password, role or active flag changed."""
    before = None
    if user.pk is not None:
        before = User.objects.select_for_update().filter(pk=user.pk).values(*TOKEN_REVOKING_FIELDS).first()
    user.save()
    if before is not None and any(before[name] != getattr(user, name) for name in TOKEN_REVOKING_FIELDS):
        revoke_tokens(user=user)
    return user


def user_set_password(*, user: User, password: str | None) -> User:
    """Set (or, with None, disable) the password and save through ``user_save``."""
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    return user_save(user=user)
