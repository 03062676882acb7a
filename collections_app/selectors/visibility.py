"""Which cases, loans, borrowers, contacts, visits and files a user may reach.

The rule (collector or field agent: the cases given to them; supervisor: the cases of the teams
they supervise and their own; agency user: the cases placed with their agency now; admin:
everything) is built on the roles and teams of
``accounts.roles``; the queries over this app's models live here, so ``accounts`` never imports
``collections_app`` (tests/accounts/test_app_dependency.py). Pages, the API, services and the
file downloads all filter through these functions.
"""
from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.roles import can_import, is_admin, is_agency_user, is_supervisor
from collections_app.models import Borrower, CollectionCase, ContactLog, FieldVisit, Loan


def cases_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Filter a CollectionCase queryset to what ``user`` may see."""
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
    if is_agency_user(user):  # an outside agency's collector (docs/agency.md)
        from collections_app.selectors.agency import placed_with

        return placed_with(user.agency_id, qs)
    return qs.filter(Q(assigned_to=user) | Q(field_agent=user))


def loans_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Loans the user may see: an admin all; others the loans of the cases they may see."""
    if qs is None:
        qs = Loan.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if is_admin(user):
        return qs
    case_ids = cases_visible_to(user).values("id")
    return qs.filter(case_id__in=case_ids)


def borrowers_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    if qs is None:
        qs = Borrower.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if is_admin(user):
        return qs
    return qs.filter(cases__in=cases_visible_to(user).values("id")).distinct()


def contacts_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Contact log entries the user may see: those of the cases they may see."""
    if qs is None:
        qs = ContactLog.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if is_admin(user):
        return qs
    return qs.filter(case_id__in=cases_visible_to(user).values("id"))


def visits_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Field visits the user may see: the agent their own; others those of the cases they may see."""
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
