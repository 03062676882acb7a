"""The one permission layer. Views, the API, commands and tasks all ask these functions.

Roles, teams and users: who is an admin or a supervisor, whom a supervisor oversees, what a role
may do, masking. Which cases, loans, borrowers, contacts and visits a user may see is built on
these in ``collections_app/selectors/visibility.py`` (a collector or field agent: the cases
assigned to them; a supervisor: the cases of the teams they supervise and their own; an agency
user: the cases placed with their agency now; an admin: everything), so this app never imports
collections_app.
"""
from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import redirect

from .models import Role, User

HOME_BY_ROLE = {
    Role.COLLECTOR: "/queue/",
    Role.FIELD_AGENT: "/visits/",
    Role.SUPERVISOR: "/supervisor/",
    Role.ADMIN: "/imports/",
    Role.AGENCY: "/agency/",
}


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN))


def is_supervisor(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.SUPERVISOR)


def is_agency_user(user) -> bool:
    """An outside agency's collector: sees only the cases placed with their agency now."""
    return bool(user and user.is_authenticated and user.role == Role.AGENCY)


def is_supervisor_or_admin(user) -> bool:
    return is_admin(user) or is_supervisor(user)


def can_import(user) -> bool:
    return is_admin(user)


def can_assign(user) -> bool:
    return is_supervisor_or_admin(user)


def home_url(user) -> str:
    if is_admin(user):
        return HOME_BY_ROLE[Role.ADMIN]
    return HOME_BY_ROLE.get(user.role, "/queue/")


def supervised_user_ids(user) -> QuerySet:
    """Ids of users in the teams ``user`` supervises."""
    return User.objects.filter(team__supervisor=user).values("id")


def visible_users(user) -> QuerySet:
    if is_admin(user):
        return User.objects.all()
    if is_supervisor(user):
        return User.objects.filter(Q(team__supervisor=user) | Q(id=user.id))
    return User.objects.filter(id=user.id)


def can_see_full_pii(user) -> bool:
    """National ids and full phone numbers are shown unmasked only to those who need them."""
    return is_supervisor_or_admin(user)


def role_required(*roles: str, allow_admin: bool = True):
    """View decorator: the user must be logged in and hold one of ``roles`` (admins always pass)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect(f"/accounts/login/?next={request.path}")
            if (allow_admin and is_admin(user)) or user.role in roles:
                return view(request, *args, **kwargs)
            raise PermissionDenied

        return wrapped

    return decorator


def mask_phone(value: str) -> str:
    digits = value or ""
    if len(digits) <= 7:
        return digits[:2] + "*" * max(len(digits) - 2, 0)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_national_id(value: str) -> str:
    v = value or ""
    if len(v) <= 8:
        return "*" * len(v)
    return v[:4] + "*" * (len(v) - 8) + v[-4:]
