"""Complaints a user may see and the people who may own them (docs/complaints.md).

    complaints_visible_to(user) -> QuerySet[Complaint]
    complaint_list(user, show, today) -> QuerySet[Complaint]
    possible_owners(user) -> QuerySet[User]
    default_owner(case) -> User | None
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from accounts.roles import is_admin
from collections_app.models import Complaint, ComplaintStatus
from collections_app.selectors.visibility import cases_visible_to

SHOW = ("open", "overdue", "resolved", "all")


def complaints_visible_to(user) -> QuerySet:
    """An admin: all; a supervisor: those on cases they may see, about people in their teams, or
    owned by them."""
    qs = Complaint.objects.all()
    if is_admin(user):
        return qs
    return qs.filter(
        Q(case__in=cases_visible_to(user).values("id")) | Q(against_user__team__supervisor=user) | Q(owner=user)
    )


def complaint_list(user, show: str, today: dt.date) -> QuerySet:
    qs = complaints_visible_to(user)
    if show == "open":
        qs = qs.filter(status=ComplaintStatus.OPEN)
    elif show == "overdue":
        qs = qs.filter(status=ComplaintStatus.OPEN, due_on__lt=today)
    elif show == "resolved":
        qs = qs.filter(status=ComplaintStatus.RESOLVED)
    order = ("due_on", "received_at", "id") if show in ("open", "overdue") else ("-received_at", "-id")
    return qs.select_related("borrower", "case", "against_user", "owner", "resolved_by", "logged_by").order_by(*order)


def possible_owners(user) -> QuerySet:
    """Active supervisors and admins (an admin may give it to anyone of them; a supervisor too:
    the complaint may concern another team)."""
    return User.objects.filter(is_active=True).filter(
        Q(role__in=[Role.SUPERVISOR, Role.ADMIN]) | Q(is_superuser=True)).order_by("username")


def default_owner(case) -> User | None:
    """The supervisor of the case's team, else of its collector's team."""
    if case is None:
        return None
    for team in (case.team, getattr(case.assigned_to, "team", None)):
        if team is not None and team.supervisor_id and team.supervisor.is_active:
            return team.supervisor
    return None
