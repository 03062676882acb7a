"""Bulk sends for supervisors and admins (docs/messages.md, "Campaigns"): a filter and a template,
the preview of what would happen, the send, and the progress (htmx polling). Thin over
services.campaigns."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import Role
from accounts.roles import role_required
from collections_app.models import Campaign, Lender
from collections_app.selectors import messages as sel
from collections_app.selectors.buckets import bucket_order
from collections_app.services import campaigns as svc
from collections_app.views.messages import message_rule_label


def _reasons(reasons: dict) -> list[tuple[str, int]]:
    from django.utils.translation import gettext as _

    own = {svc.NO_NUMBER: _("No valid number or address"), svc.NO_TEMPLATE: _("No template fits the case")}
    return [(own.get(code) or message_rule_label(code), n) for code, n in sorted(reasons.items())]


@role_required(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def campaigns(request):
    source = request.POST if request.method == "POST" else request.GET
    choice = source.get("choice") or ""
    channel, _sep, code = choice.partition(":")
    ctx = {"templates": sel.sendable_templates(), "lenders": Lender.objects.order_by("code"),
           "buckets": bucket_order(), "values": source, "choice": choice, "preview": None, "error": None,
           "recent": Campaign.objects.filter(created_by=request.user)[:10]}
    try:
        filters = svc.clean_filters(source)
        if request.method == "POST" and code:
            campaign = svc.start_campaign(user=request.user, filters=filters, channel=channel, template_code=code)
            return redirect("campaign_detail", campaign_id=campaign.pk)
        if code:
            ctx["preview"] = svc.preview(user=request.user, filters=filters, channel=channel, template_code=code)
            ctx["preview"]["reason_rows"] = _reasons(ctx["preview"]["reasons"])
    except ValidationError as exc:
        ctx["error"] = " ".join(str(m) for m in exc.messages)
    return render(request, "messages/campaigns.html", ctx, status=400 if ctx["error"] else 200)


@role_required(Role.SUPERVISOR)
@require_safe
def campaign_detail(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id, created_by=request.user)
    ctx = {"campaign": campaign, "reason_rows": _reasons(campaign.reasons)}
    template = "messages/_campaign_progress.html" if request.headers.get("HX-Request") == "true" else \
        "messages/campaign.html"
    return render(request, template, ctx)


@role_required(Role.SUPERVISOR)
@require_safe
def overdue_actions(request):
    """The strategy's actions still open after their day, on the supervisor's teams' cases."""
    from collections_app.selectors.actions import overdue_actions as select
    from collections_app.selectors.loan_figures import business_date

    today = business_date()
    return render(request, "messages/overdue_actions.html", {"today": today, **select(user=request.user, today=today)})
