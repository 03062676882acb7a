"""Quality review pages (docs/quality.md): draw a sample, score a contact on its lender's checklist,
the scores per collector. Supervisors and admins; reads in selectors.quality, writes in services.quality."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.roles import role_required
from collections_app.domain import quality as rules
from collections_app.models import SampleRule
from collections_app.selectors import quality as q
from collections_app.selectors.dashboard import teams_for
from collections_app.selectors.loan_figures import business_date
from collections_app.services import quality as svc
from collections_app.services.personal_data import record_personal_data_access

supervisor_only = role_required(Role.SUPERVISOR)


def _date(value, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return default


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _errors(request, exc) -> None:
    for text in getattr(exc, "messages", None) or [str(exc) or _("You are not allowed to do that.")]:
        messages.error(request, text)


def _draw(request, teams) -> None:
    post = request.POST
    today = business_date()
    team = next((t for t in teams if str(t.id) == post.get("team")), None)
    try:
        sample = svc.draw_sample(
            user=request.user, rule=post.get("rule", ""), team=team,
            date_from=_date(post.get("from"), today.replace(day=1)), date_to=_date(post.get("to"), today),
            size=_int(post.get("size"), 20), long_minutes=_int(post.get("long_minutes"), rules.LONG_CALL_MINUTES),
            first_calls=_int(post.get("first_calls"), rules.NEW_COLLECTOR_CALLS),
            new_within_days=_int(post.get("new_within_days"), rules.NEW_COLLECTOR_DAYS),
        )
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
        return
    n = sample.reviews.count()
    if n:
        messages.success(request, _("%(n)d contacts to review were added.") % {"n": n})
    else:
        messages.info(request, _("No contact matched: nothing was added."))


@supervisor_only
@require_http_methods(["GET", "HEAD", "POST"])
def quality_page(request):
    teams = list(teams_for(request.user).order_by("name"))
    if request.method == "POST":
        _draw(request, teams)
        return redirect("supervisor_quality")
    today = business_date()
    date_from = _date(request.GET.get("from"), today.replace(day=1))
    date_to = _date(request.GET.get("to"), today)
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    team_id = _int(request.GET.get("team"), 0) or None
    if team_id not in {t.id for t in teams}:
        team_id = None
    return render(request, "supervisor/quality.html", {
        "tab": "quality", "teams": teams, "rules": SampleRule.choices, "team_id": team_id,
        "date_from": date_from, "date_to": date_to, "month_start": today.replace(day=1), "today": today,
        "defaults": {"long_minutes": rules.LONG_CALL_MINUTES, "first_calls": rules.NEW_COLLECTOR_CALLS,
                     "new_within_days": rules.NEW_COLLECTOR_DAYS, "size": 20},
        "open_reviews": q.open_reviews(request.user),
        "scores": q.collector_scores(request.user, date_from=date_from, date_to=date_to, team_id=team_id),
        "recent": q.recent_reviews(request.user),
    })


@supervisor_only
@require_http_methods(["GET", "HEAD", "POST"])
def review_detail(request, review_id):
    review = (q.reviews_visible_to(request.user)
              .select_related("contact__case__borrower", "contact__user", "contact__contact_point", "collector",
                              "reviewer", "checklist__lender", "sample")
              .filter(id=review_id).first())
    if review is None:
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                svc.cancel_review(review=review, user=request.user)
                messages.success(request, _("The review was taken out of the queue."))
                return redirect("supervisor_quality")
            results = {int(k.split("-", 1)[1]): v for k, v in request.POST.items()
                       if k.startswith("item-") and k.split("-", 1)[1].isdigit()}
            review = svc.score_review(review=review, user=request.user, results=results,
                                      comment=request.POST.get("comment", ""))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
            return redirect("quality_review", review_id=review.id)
        messages.success(request, _("Scored %(score)s%%.") % {"score": review.score})
        nxt = q.open_reviews(request.user, limit=1)
        return redirect("quality_review", review_id=nxt[0].id) if nxt else redirect("supervisor_quality")
    context = q.review_page(review, request.user)
    if context["full_number_shown"]:
        record_personal_data_access(user=request.user, what="contact points", where=request.path,
                                    borrower_ids=[review.contact.borrower_id])
    return render(request, "supervisor/quality_review.html", {**context, "tab": "quality"})
