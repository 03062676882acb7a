"""Message pages (docs/messages.md): the case page's "Send a message" card (htmx) and the template
list with a preview on a real case (supervisors and admins). Thin over selectors.messages and
services.messages."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import Role
from accounts.roles import role_required
from collections_app.domain.compliance import rule_label
from collections_app.domain.message_templates import PLACEHOLDERS
from collections_app.models import CollectionCase, MessageTemplate
from collections_app.selectors import case_page
from collections_app.selectors import messages as sel
from collections_app.selectors.contact_verdicts import borrower_zone
from collections_app.selectors.visibility import cases_visible_to
from collections_app.services import message_templates
from collections_app.services import messages as svc
from collections_app.services.contacts import ContactRefused


def _case(request, case_id):
    case = case_page.visible_case(request.user, case_id)
    if case is None:
        raise Http404
    return case


@login_required
@require_http_methods(["GET", "POST"])
def case_messages(request, case_id):
    """GET: the card (loaded by htmx on the case page); POST: send a message from a template."""
    case = _case(request, case_id)
    channel, _sep, code = (request.POST.get("choice") or "").partition(":")
    ctx = {"case": case, "error": None, "refusal": None, "sent": None,
           "values": {"channel": channel, "template": code}}
    status = 200
    if request.method == "POST":
        try:
            ctx["sent"] = svc.plan_message(case=case, user=request.user, channel=ctx["values"]["channel"],
                                           template_code=ctx["values"]["template"])
            ctx["sent"].refresh_from_db(fields=["status", "send_at", "error"])
        except ContactRefused as refused:
            ctx["refusal"] = {"label": message_rule_label(refused.rule),
                              "detail": refused.detail, "allowed_from": refused.allowed_from}
            status = 409
        except ValidationError as exc:
            ctx["error"] = " ".join(str(m) for m in exc.messages)
            status = 400
    ctx["tz"] = borrower_zone(case.borrower, case.lender)
    ctx["messages_list"] = sel.case_messages(case)
    ctx["templates"] = sel.sendable_templates()
    # htmx swaps only on 2xx by default: a refusal is still a page to show, answered 200 to htmx
    return render(request, "messages/_case_messages.html", ctx,
                  status=200 if request.headers.get("HX-Request") == "true" else status)


def message_rule_label(rule: str) -> str:
    own = {svc.MESSAGE_CAP: _("Daily message limit"), svc.THIRD_PARTY_DEBT: _("Debt details to a third party")}
    return str(own.get(rule) or rule_label(rule))


@role_required(Role.SUPERVISOR)
@require_safe
def template_list(request):
    return render(request, "messages/templates.html", {"templates": sel.templates_for_preview()})


@role_required(Role.SUPERVISOR)
@require_safe
def template_preview(request, template_id):
    template = get_object_or_404(MessageTemplate.objects.select_related("lender"), pk=template_id)
    raw = (request.GET.get("case") or "").strip()
    ctx = {"template": template, "case_id": raw, "placeholders": PLACEHOLDERS.items(), "preview": None,
           "error": None, "versions": template.history.select_related("history_user").order_by("-history_id")[:20]}
    if raw:
        case = None
        if raw.isdigit():
            case = cases_visible_to(request.user, CollectionCase.objects.select_related("lender", "borrower",
                                                                                        "assigned_to")
                                    ).filter(pk=int(raw)).first()
        if case is None:
            ctx["error"] = _("No case with this number that you may see.")
        else:
            ctx["case"] = case
            ctx["preview"] = message_templates.preview(template=template, case=case)
    else:
        ctx["case"] = None
    return render(request, "messages/preview.html", ctx)


def _letters_response(request, case, *, error=None, status=200):
    from collections_app.models import LetterKind

    ctx = {"case": case, "error": error, "kinds": LetterKind.choices,
           "letters": list(case.letters.select_related("approval").order_by("-created_at", "-id")[:20])}
    return render(request, "messages/_case_letters.html", ctx,
                  status=200 if request.headers.get("HX-Request") == "true" else status)


@login_required
@require_http_methods(["GET", "POST"])
def case_letters(request, case_id):
    """GET: the letters card (htmx on the case page); POST: write a letter as PDF."""
    from collections_app.services import letters

    case = _case(request, case_id)
    if request.method == "GET":
        return _letters_response(request, case)
    try:
        letters.produce_letter(case=case, user=request.user, kind=request.POST.get("kind", ""))
    except ValidationError as exc:
        return _letters_response(request, case, error=" ".join(str(m) for m in exc.messages), status=400)
    return _letters_response(request, case)


@login_required
@require_http_methods(["POST"])
def send_letter(request, letter_id):
    """Record a draft letter as sent (after approval for a lawyer's letter)."""
    from collections_app.models import Letter
    from collections_app.services import letters

    letter = Letter.objects.filter(pk=letter_id).first()
    case = _case(request, letter.case_id) if letter is not None else None
    if case is None:
        raise Http404
    try:
        letters.send_letter(letter=letter, user=request.user)
    except ValidationError as exc:
        return _letters_response(request, case, error=" ".join(str(m) for m in exc.messages), status=400)
    return _letters_response(request, case)
