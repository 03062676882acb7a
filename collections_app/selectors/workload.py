"""Who carries how much work: collectors with their open cases, field agents with their open visits,
and the field agent to suggest for a visit (same region first, then the lightest load).

Each list is one aggregate query, whatever the number of people.

    collectors_with_load(user) -> list[User]        (.open_cases)
    field_agents_with_load(user) -> list[User]      (.open_visits, .area)
    suggest_agents(region, agents) -> list[AgentChoice]  (pure: best first)
    assignable_cases(user, qs=None) -> QuerySet[CollectionCase]  (what the user may allocate)
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from accounts.models import Role, User
from accounts.roles import is_admin, visible_users
from collections_app.models import CaseStatus, CollectionCase, VisitStatus
from collections_app.selectors.visibility import cases_visible_to

WORKING_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.SUSPENDED)
OPEN_VISIT_STATUSES = (VisitStatus.REQUESTED, VisitStatus.APPROVED, VisitStatus.PLANNED)


def _people(user, role):
    qs = User.objects.filter(role=role, is_active=True)
    if not is_admin(user):
        qs = qs.filter(id__in=visible_users(user).values("id"))
    return qs.select_related("team")


def display_name(person) -> str:
    return person.get_full_name() or person.username


def collectors_with_load(user) -> list[User]:
    """Active collectors ``user`` may assign to, each with ``open_cases`` (open or suspended)."""
    qs = _people(user, Role.COLLECTOR).annotate(
        open_cases=Count("cases", filter=Q(cases__status__in=WORKING_CASE_STATUSES))
    )
    return list(qs.order_by("username"))


def field_agents_with_load(user) -> list[User]:
    """Active field agents ``user`` may hand visits to, each with ``open_visits`` (requested,
    approved or planned) and ``area`` (their own region, else their team's)."""
    qs = _people(user, Role.FIELD_AGENT).annotate(
        open_visits=Count("visits", filter=Q(visits__status__in=OPEN_VISIT_STATUSES))
    )
    agents = list(qs.order_by("username"))
    for a in agents:
        a.area = (a.region or (a.team.region if a.team else "") or "").strip()
    return agents


def _norm(text: str | None) -> str:
    return (text or "").strip().casefold()


@dataclass(frozen=True)
class AgentChoice:
    agent: User
    same_region: bool


def suggest_agents(region: str | None, agents: list[User]) -> list[AgentChoice]:
    """``agents`` best first for a visit in ``region``: those covering the region, then the fewest
    open visits, then by user name."""
    wanted = _norm(region)
    choices = [AgentChoice(a, bool(wanted) and _norm(a.area) == wanted) for a in agents]
    return sorted(choices, key=lambda c: (not c.same_region, c.agent.open_visits, c.agent.username))


def assignable_cases(user, qs=None):
    """Cases ``user`` may allocate: those they can see plus the unassigned pool that no other
    supervisor's team holds."""
    if qs is None:
        qs = CollectionCase.objects.all()
    if is_admin(user):
        return qs
    pool = Q(assigned_to__isnull=True) & (Q(team__isnull=True) | Q(team__supervisor=user))
    return qs.filter(Q(id__in=cases_visible_to(user).values("id")) | pool)
