"""The one permission layer. Views, the API, commands and tasks all ask these functions.

A collector or field agent sees the cases assigned to them; a supervisor the cases assigned to
members of the teams they supervise (and their own); an agency user the cases placed with their
agency now; an admin sees everything.
"""
from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import redirect

from .models import Role

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
    from .models import User

    return User.objects.filter(team__supervisor=user).values("id")


def visible_users(user) -> QuerySet:
    from .models import User

    if is_admin(user):
        return User.objects.all()
    if is_supervisor(user):
        return User.objects.filter(Q(team__supervisor=user) | Q(id=user.id))
    return User.objects.filter(id=user.id)


def cases_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Filter a CollectionCase queryset to what ``user`` may see."""
    from collections_app.models import CollectionCase

    if qs is None:
        qs = CollectionCase.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if is_admin(user):
        return qs
    if is_supervisor(user):
        return qs.filter(
            Q(assigned_to__team__supervisor=user) | Q(assigned_to=user) | Q(team__supervisor=user)
        )
    if is_agency_user(user):
        from collections_app.selectors.agency import placed_with

        return placed_with(user.agency_id, qs)
    return qs.filter(Q(assigned_to=user) | Q(field_agent=user))


def loans_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Loans the user may see: an admin all; others the loans of the cases they may see."""
    from collections_app.models import Loan

    if qs is None:
        qs = Loan.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if is_admin(user):
        return qs
    case_ids = cases_visible_to(user).values("id")
    return qs.filter(case_id__in=case_ids)


def borrowers_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    from collections_app.models import Borrower

    if qs is None:
        qs = Borrower.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if is_admin(user):
        return qs
    return qs.filter(cases__in=cases_visible_to(user).values("id")).distinct()


def contacts_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Contact log entries the user may see: those of the cases they may see."""
    from collections_app.models import ContactLog

    if qs is None:
        qs = ContactLog.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if is_admin(user):
        return qs
    return qs.filter(case_id__in=cases_visible_to(user).values("id"))


def visits_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Field visits the user may see: the agent their own; others those of the cases they may see."""
    from collections_app.models import FieldVisit

    if qs is None:
        qs = FieldVisit.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if is_admin(user):
        return qs
    return qs.filter(Q(agent=user) | Q(case_id__in=cases_visible_to(user).values("id")))


def can_download_import_files(user) -> bool:
    """Lenders' files and their error reports hold whole loan books: only those who import."""
    return can_import(user)


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
