"""The strategy page (admins): versions, drafting a new one, editing a draft's buckets and rules,
the diff against the active version, submit, approve for a date by a second admin, reject.
Writes in services.strategy_versions; the page never changes a version that is not a draft."""
from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import inlineformset_factory
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.roles import role_required
from collections_app.models import Bucket, StrategyRule, StrategyStatus, StrategyVersion
from collections_app.selectors.buckets import active_version
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.strategy_versions import version_diff, versions
from collections_app.services import strategy_versions as svc

admin_only = role_required(Role.ADMIN)

BucketFormSet = inlineformset_factory(
    StrategyVersion, Bucket, fields=("position", "code", "name", "min_dpd", "max_dpd", "risk_weight"),
    extra=1, can_delete=True,
)
RuleFormSet = inlineformset_factory(
    StrategyVersion, StrategyRule,
    fields=("position", "code", "description", "product", "bucket", "dpd_min", "dpd_max", "condition", "action",
            "channel", "repeat_every_days", "needs_approval"),
    widgets={"description": forms.Textarea(attrs={"rows": 2, "cols": 28}),
             "condition": forms.Textarea(attrs={"rows": 2, "cols": 18})},
    extra=1, can_delete=True,
)


def _errors(request, exc) -> None:
    for text in getattr(exc, "messages", None) or [str(exc) or _("You are not allowed to do that.")]:
        messages.error(request, text)


@admin_only
@require_http_methods(["GET", "HEAD", "POST"])
def strategy_list(request):
    if request.method == "POST":
        try:
            draft = svc.version_draft(user=request.user, note=request.POST.get("note", ""))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
            return redirect("strategy_versions")
        messages.success(request, _("Version %(n)s drafted from the active version.") % {"n": draft.number})
        return redirect("strategy_version", version_id=draft.id)
    return render(request, "strategy/list.html", {"versions": versions(), "tab": "strategy"})


def _editable(version: StrategyVersion, user) -> bool:
    return version.status == StrategyStatus.DRAFT and version.created_by_id == user.id


def _post(request, version: StrategyVersion):
    """Returns formsets to re-render when the edit was refused, else None."""
    action = request.POST.get("action")
    user = request.user
    try:
        if action == "save":
            if not _editable(version, user):
                svc.version_edit(version=version, user=user, apply=lambda: None)  # raises with the reason
            buckets = BucketFormSet(request.POST, instance=version, prefix="b")
            rules = RuleFormSet(request.POST, instance=version, prefix="r")
            if not (buckets.is_valid() and rules.is_valid()):
                messages.error(request, _("Nothing was saved: correct the fields marked below."))
                return buckets, rules
            svc.version_edit(version=version, user=user, apply=lambda: (buckets.save(), rules.save()))
            messages.success(request, _("Draft saved."))
        elif action == "submit":
            svc.version_submit(version=version, user=user)
            messages.success(request, _("Submitted: another admin approves or rejects it."))
        elif action == "approve":
            try:
                day = dt.date.fromisoformat(request.POST.get("effective_from", "").strip())
            except ValueError:
                raise ValidationError(_("Give the date it takes effect as YYYY-MM-DD.")) from None
            approved = svc.version_approve(version=version, user=user, effective_from=day)
            if approved.status == StrategyStatus.ACTIVE:
                messages.success(request, _("Version %(n)s is now active.") % {"n": approved.number})
            else:
                messages.success(request, _("Version %(n)s approved; it becomes active on %(day)s.")
                                 % {"n": approved.number, "day": day.isoformat()})
        elif action == "reject":
            svc.version_reject(version=version, user=user)
            messages.success(request, _("Version rejected."))
        else:
            messages.error(request, _("Unknown action."))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
        if action == "save" and _editable(version, user):
            return (BucketFormSet(request.POST, instance=version, prefix="b"),
                    RuleFormSet(request.POST, instance=version, prefix="r"))
    return None


@admin_only
@require_http_methods(["GET", "HEAD", "POST"])
def strategy_detail(request, version_id):
    version = versions().filter(id=version_id).first()
    if version is None:
        raise Http404
    formsets = None
    if request.method == "POST":
        formsets = _post(request, version)
        if formsets is None:
            return redirect("strategy_version", version_id=version.id)
        version.refresh_from_db()
    editable = _editable(version, request.user)
    if editable and formsets is None:
        formsets = (BucketFormSet(instance=version, prefix="b"), RuleFormSet(instance=version, prefix="r"))
    rules = list(version.rules.select_related("product"))
    for rule in rules:
        rule.condition_json = json.dumps(rule.condition, ensure_ascii=False) if rule.condition else ""
    active = active_version()
    diff = version_diff(active, version) if active and active.pk != version.pk else None
    return render(request, "strategy/detail.html", {
        "v": version, "editable": editable, "formsets": formsets, "active": active, "diff": diff,
        "buckets": version.buckets.order_by("position"), "rules": rules,
        "can_decide": version.status == StrategyStatus.PENDING and version.created_by_id != request.user.id,
        "today": business_date(), "tab": "strategy",
    })
