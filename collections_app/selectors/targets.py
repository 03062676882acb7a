"""Who a user may set targets for, and the targets they may see (docs/targets.md).

    target_teams(user) -> QuerySet[Team]
    target_collectors(user) -> QuerySet[User]
    targets_visible_to(user) -> QuerySet[Target]
    spans(targets) -> list[TargetSpan]
"""
from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Role, Team, User
from accounts.roles import is_admin
from collections_app.domain.targets import TargetSpan
from collections_app.models import Target


def target_teams(user) -> QuerySet:
    """An admin: every team; a supervisor: the teams they supervise."""
    if is_admin(user):
        return Team.objects.all()
    return Team.objects.filter(supervisor=user)


def target_collectors(user) -> QuerySet:
    """Collectors in those teams (active ones: a target is set ahead)."""
    return User.objects.filter(role=Role.COLLECTOR, is_active=True, team__in=target_teams(user))


def targets_visible_to(user) -> QuerySet:
    qs = Target.objects.all()
    if not is_admin(user):
        teams = target_teams(user)
        qs = qs.filter(Q(team__in=teams) | Q(collector__team__in=teams))
    return qs


def spans(targets) -> list[TargetSpan]:
    return [TargetSpan(t.period, t.period_start, t.amount) for t in targets]
