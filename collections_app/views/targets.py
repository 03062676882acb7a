"""Targets page: supervisors set day / week / month recovery targets for their teams and
collectors, admins for all (services.targets); the dashboard compares against them pro-rated."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.roles import role_required
from collections_app.domain.targets import LONGEST_PERIOD_DAYS, period_bounds
from collections_app.models import TargetPeriod
from collections_app.selectors.targets import target_collectors, target_teams, targets_visible_to
from collections_app.services.targets import target_set

PAGE_SIZE = 50


def _subject(user, value: str):
    kind, _sep, raw = (value or "").partition(":")
    if not raw.isdigit():
        return None, None
    if kind == "team":
        return target_teams(user).filter(id=int(raw)).first(), None
    if kind == "collector":
        return None, target_collectors(user).filter(id=int(raw)).first()
    return None, None


def _post(request) -> None:
    user = request.user
    team, collector = _subject(user, request.POST.get("subject"))
    if team is None and collector is None:
        messages.error(request, _("Choose one of your teams or collectors."))
        return
    try:
        day = dt.date.fromisoformat(request.POST.get("day", "").strip())
    except ValueError:
        messages.error(request, _("The date must be a date as YYYY-MM-DD."))
        return
    try:
        target, created = target_set(user=user, period=request.POST.get("period", ""), day=day,
                                     amount=request.POST.get("amount", ""), team=team, collector=collector)
    except (ValidationError, PermissionDenied) as exc:
        for text in getattr(exc, "messages", None) or [str(exc)]:
            messages.error(request, text)
        return
    start, end = period_bounds(target.period, target.period_start)
    values = {"who": str(team or collector.get_full_name() or collector.username),
              "start": start.isoformat(), "end": end.isoformat(), "amount": f"{target.amount:,.2f}"}
    if created:
        messages.success(request, _("Target set for %(who)s, %(start)s to %(end)s: %(amount)s.") % values)
    else:
        messages.success(request, _("Target replaced for %(who)s, %(start)s to %(end)s: %(amount)s.") % values)


@role_required(Role.SUPERVISOR)
@require_http_methods(["GET", "HEAD", "POST"])
def targets_page(request):
    if request.method == "POST":
        _post(request)
        return redirect(request.get_full_path())
    user = request.user
    today = timezone.localdate()
    qs = (targets_visible_to(user)
          .filter(period_start__gte=today - dt.timedelta(days=LONGEST_PERIOD_DAYS))
          .select_related("team", "collector", "set_by")
          .order_by("period_start", "period", "team__name", "collector__username"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for t in page:
        t.start, t.end = period_bounds(t.period, t.period_start)
    return render(request, "supervisor/targets.html", {
        "page": page, "teams": list(target_teams(user).order_by("name")),
        "collectors": list(target_collectors(user).select_related("team").order_by("username")),
        "periods": TargetPeriod.choices, "today": today, "tab": "targets",
    })
