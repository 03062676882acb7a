"""The collector's day: the queue and the case page (docs/collector.md). Thin views over
selectors.queue, selectors.case_page and services.contacts / services.visits."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Role, User
from accounts.roles import is_supervisor_or_admin, mask_phone, role_required, visible_users
from collections_app.domain.compliance import STOP_FLAG_FOR_OUTCOME, THIRD_PARTY, rule_label
from collections_app.models import (
    BorrowerType,
    Channel,
    ContactKind,
    ContactPoint,
    ContactStatus,
    Outcome,
    OverdueReason,
    Relation,
    VisitStatus,
)
from collections_app.selectors import case_page
from collections_app.selectors import contact_verdicts as verdict_reads
from collections_app.selectors.buckets import case_bucket_codes
from collections_app.selectors.queue import QueueFilters, next_case_id, queue_page
from collections_app.services import contact_points as contact_point_svc
from collections_app.services import contacts as contact_svc
from collections_app.services import notes as note_svc
from collections_app.services import stop_flags as stop_flag_svc
from collections_app.services import visits as visit_svc
from collections_app.services.personal_data import record_personal_data_access

CONTACT_FIELDS = (
    "channel", "contact_point", "number_used", "outcome", "note", "promise_amount", "promise_date",
    "callback_at", "overdue_reason", "borrower_type", "recording_ref", "stop_reason",
)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


INLINE_ERRORS = {"channel", "contact_point", "outcome", "promise_amount", "promise_date", "callback_at", "note",
                 "confirm_stop", "stop_reason"}


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    """Field -> messages; whatever has no place of its own on the form goes under "general"."""
    if not hasattr(exc, "error_dict"):
        return {"general": [str(m) for m in exc.messages]}
    out: dict[str, list[str]] = {}
    for k, v in exc.message_dict.items():
        out.setdefault(k if k in INLINE_ERRORS else "general", []).extend(str(m) for m in v)
    return out


def _queue_owner(request):
    raw = request.GET.get("collector")
    if not raw:
        return request.user
    if not raw.isdigit() or not is_supervisor_or_admin(request.user):
        raise Http404
    owner = visible_users(request.user).filter(pk=int(raw)).first()
    if owner is None:
        raise Http404
    return owner


def verdict_view(verdict, case, *, refused_now=False):
    """A verdict with ``allowed_from`` in the borrower's own time as well. ``refused_now``: the
    verdict is the refusal of the contact just submitted (nothing was saved)."""
    label = rule_label(verdict.rule) if verdict is not None and verdict.rule else ""
    if verdict is None or verdict.allowed_from is None:
        return {"v": verdict, "label": label, "local": None, "refused_now": refused_now}
    tz = verdict_reads.borrower_zone(case.borrower, case.lender)
    return {"v": verdict, "label": label, "local": verdict.allowed_from.astimezone(tz), "tzname": str(tz),
            "refused_now": refused_now}


def picker_points(case, points, *, channel=Channel.PHONE, now=None):
    """The number picker's contact points, each with ``blocked``: why it may not be called ("" when
    it may). A number's own reasons only — its status or the third-party rule; what holds for every
    number (hours, caps, stop flags) is the one verdict shown above the form."""
    callable_points = [cp for cp in points if cp.status not in (ContactStatus.WRONG, ContactStatus.DISCONNECTED)]
    verdicts = verdict_reads.number_verdicts(case, callable_points, now=now, channel=channel or Channel.PHONE)
    for cp in points:
        cp.blocked = ""
        if cp.status in (ContactStatus.WRONG, ContactStatus.DISCONNECTED):
            cp.blocked = cp.get_status_display()
        else:
            v = verdicts.get(cp.pk)
            if v is not None and not v.allowed and v.rule == THIRD_PARTY:
                cp.blocked = v.detail
    return points


def _chosen_point(case, raw):
    if raw and str(raw).isdigit():
        return ContactPoint.objects.filter(pk=int(raw), borrower_id=case.borrower_id).first()
    return None


def current_verdict(case, *, contact_point_id="", channel=Channel.PHONE, now=None):
    """The one verdict the panel shows: for the chosen number and channel."""
    cp = _chosen_point(case, contact_point_id)
    channel = channel if channel in Channel.values else Channel.PHONE
    return verdict_view(verdict_reads.contact_verdict(case, now=now, contact_point=cp, channel=channel), case)


@role_required(Role.COLLECTOR, Role.SUPERVISOR)
@require_safe
def queue(request):
    owner = _queue_owner(request)
    filters = QueueFilters.from_params(request.GET)
    now = timezone.now()
    page_obj, rows = queue_page(owner, now=now, filters=filters, page=request.GET.get("page") or 1)
    for c in rows:
        c.phone_display = mask_phone(c.phone) if c.phone else ""
        c.rule_label = rule_label(c.verdict.rule) if c.verdict.rule else ""
    team_members = None
    if is_supervisor_or_admin(request.user):
        team_members = list(
            visible_users(request.user).filter(role=Role.COLLECTOR, is_active=True).order_by("username")[:200]
        )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "collector/queue.html",
        {
            "owner": owner,
            "rows": rows,
            "page_obj": page_obj,
            "filters": filters,
            "query": params.urlencode(),
            "team_members": team_members,
            "buckets": case_bucket_codes(),
            "now": now,
        },
    )


def _case_or_404(request, case_id):
    case = case_page.visible_case(request.user, case_id)
    if case is None:
        raise Http404
    return case


def _form_context(case, user, *, values=None, errors=None, refusal=None, saved=None, next_id=None, points=None):
    if points is None:
        points, _full = case_page.contact_points(case, user)
    values = values or {"channel": Channel.PHONE}
    now = timezone.now()
    points = picker_points(case, points, channel=values.get("channel") or Channel.PHONE, now=now)
    verdict = refusal or current_verdict(
        case, contact_point_id=values.get("contact_point", ""), channel=values.get("channel") or Channel.PHONE, now=now
    )
    return {
        "case": case,
        "values": values,
        "errors": errors or {},
        "refusal": refusal,
        "saved": saved,
        "next_id": next_id,
        "contact_points": points,
        "channels": Channel.choices,
        "outcomes": Outcome.choices,
        "overdue_reasons": OverdueReason.choices,
        "borrower_types": BorrowerType.choices,
        "verdict": verdict,
        "stop_outcomes": list(STOP_FLAG_FOR_OUTCOME),
        "ask_stop": values.get("outcome") in STOP_FLAG_FOR_OUTCOME,
    }


@login_required
@require_safe
def case_detail(request, case_id):
    case = _case_or_404(request, case_id)
    ctx = case_page.case_context(case, request.user)
    for what in ctx["personal_data_shown"]:
        record_personal_data_access(user=request.user, borrower_ids=[case.borrower_id], what=what, where=f"/cases/{case.pk}/")
    ctx.update(_form_context(case, request.user, points=ctx["contact_points"]))
    ctx["field_agents"] = list(User.objects.filter(role=Role.FIELD_AGENT, is_active=True).order_by("username")[:200])
    ctx["contact_kinds"] = ContactKind.choices
    ctx["relations"] = Relation.choices
    ctx["statuses"] = ContactStatus.choices
    return render(request, "collector/case.html", ctx)


@login_required
@require_POST
def log_contact(request, case_id):
    case = _case_or_404(request, case_id)
    values = {k: request.POST.get(k, "").strip() for k in CONTACT_FIELDS}
    errors, refusal, saved, next_id = {}, None, None, None
    cp = None
    if values["contact_point"]:
        if values["contact_point"].isdigit():
            cp = ContactPoint.objects.filter(pk=int(values["contact_point"]), borrower_id=case.borrower_id).first()
        if cp is None:
            errors["contact_point"] = [_("Choose one of this borrower's contact points.")]
    if not errors:
        try:
            saved = contact_svc.log_contact(
                case=case,
                user=request.user,
                channel=values["channel"],
                outcome=values["outcome"],
                contact_point=cp,
                number_used=values["number_used"],
                note=values["note"],
                promise_amount=values["promise_amount"] or None,
                promise_date=values["promise_date"] or None,
                callback_at=values["callback_at"] or None,
                overdue_reason=values["overdue_reason"],
                borrower_type=values["borrower_type"],
                recording=request.FILES.get("recording"),
                recording_ref=values["recording_ref"],
                already_happened=request.POST.get("already_happened") == "1",
                stop_confirmed=request.POST.get("confirm_stop") == "1",
                stop_reason=values["stop_reason"],
            )
        except contact_svc.ContactRefused as exc:
            refusal = verdict_view(exc, case, refused_now=True)
        except ValidationError as exc:
            errors = _errors(exc)
    if saved is not None:
        owner = case.assigned_to or request.user
        next_id = next_case_id(owner, after_id=case.pk)
        values = {"channel": values["channel"], "contact_point": values["contact_point"]}
    ctx = _form_context(case, request.user, values=values, errors=errors, refusal=refusal, saved=saved, next_id=next_id)
    if _is_htmx(request):
        ctx["oob"] = saved is not None
        ctx["verdict_oob"] = True  # the one verdict follows the number, the refusal or the save
        if saved is not None:
            ctx["timeline"] = case_page.timeline(case)
            if saved.promise_obj is not None:  # the Promises card follows without a reload
                ctx["promises"] = case_page.case_promises(case)
        return render(request, "collector/_contact_panel.html", ctx)
    if saved is not None:
        messages.success(request, _("Contact saved."))
        return redirect("case_detail", case_id=case.pk)
    full = case_page.case_context(case, request.user)
    full.update(ctx)
    return render(request, "collector/case.html", full, status=409 if refusal else 400)


def _points_response(request, case, error=None):
    points, _full = case_page.contact_points(case, request.user)
    ctx = {
        "case": case, "contact_points": points, "point_error": error, "contact_kinds": ContactKind.choices,
        "relations": Relation.choices, "statuses": ContactStatus.choices,
    }
    if _is_htmx(request):
        # the "log a contact" number picker is refreshed out of band (a number marked wrong leaves it,
        # a new one joins it), keeping the number that was chosen when it is still offered
        ctx["refresh_picker"] = True
        ctx["values"] = {"contact_point": request.POST.get("contact_point", "")}
        picker_points(case, points)
        return render(request, "collector/_contact_points.html", ctx)
    if error:
        messages.error(request, error)
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def add_contact_point(request, case_id):
    case = _case_or_404(request, case_id)
    error = None
    try:
        contact_point_svc.add_contact_point(
            borrower=case.borrower, user=request.user, kind=request.POST.get("kind"),
            relation=request.POST.get("relation"), value=request.POST.get("value"), name=request.POST.get("name"),
        )
    except ValidationError as exc:
        error = exc.messages[0]
    return _points_response(request, case, error)


@login_required
@require_POST
def set_contact_point_status(request, case_id, point_id):
    case = _case_or_404(request, case_id)
    cp = ContactPoint.objects.filter(pk=point_id, borrower_id=case.borrower_id).first()
    if cp is None:
        raise Http404
    try:
        contact_point_svc.set_contact_point_status(contact_point=cp, status=request.POST.get("status"))
    except ValidationError as exc:
        return _points_response(request, case, exc.messages[0])
    return _points_response(request, case)


@login_required
@require_http_methods(["GET"])
def case_verdict(request, case_id):
    """The panel's verdict for the number and channel chosen (htmx, on change)."""
    case = _case_or_404(request, case_id)
    verdict = current_verdict(case, contact_point_id=request.GET.get("contact_point", ""),
                              channel=request.GET.get("channel") or Channel.PHONE)
    return render(request, "collector/_verdict.html", {"verdict": verdict, "case": case})


@login_required
@require_POST
def lift_stop_flag(request, case_id):
    case = _case_or_404(request, case_id)
    try:
        stop_flag_svc.lift_stop_flag(borrower=case.borrower, flag=request.POST.get("flag", ""), user=request.user,
                                     reason=request.POST.get("reason", ""))
    except PermissionDenied:
        raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(m for v in _errors(exc).values() for m in v))
    else:
        messages.success(request, _("Stop flag lifted."))
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def add_note(request, case_id):
    case = _case_or_404(request, case_id)
    error = None
    try:
        note_svc.add_case_note(case=case, user=request.user, text=request.POST.get("text"))
    except ValidationError as exc:
        error = " ".join(m for v in _errors(exc).values() for m in v)
    if _is_htmx(request):
        response = render(request, "collector/_timeline.html",
                          {"timeline": case_page.timeline(case), "case": case, "note_error": error})
        if error:  # the typed note stays in its field: the form resets only without this header
            response["X-Note-Error"] = "1"
        return response
    if error:
        messages.error(request, error)
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_http_methods(["POST"])
def request_visit(request, case_id):
    case = _case_or_404(request, case_id)
    agent = None
    raw = request.POST.get("agent") or ""
    if raw.isdigit():
        agent = User.objects.filter(pk=int(raw), role=Role.FIELD_AGENT, is_active=True).first()
    try:
        visit = visit_svc.request_visit(case=case, user=request.user, agent=agent, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        msg = " ".join(m for v in _errors(exc).values() for m in v)
        if _is_htmx(request):
            return HttpResponse(f'<p class="error">{_escape(msg)}</p>')
        messages.error(request, msg)
        return redirect("case_detail", case_id=case.pk)
    text = (
        _("Field visit requested; waiting for a supervisor's approval.")
        if visit.status == VisitStatus.REQUESTED
        else _("Field visit approved and handed over.")
    )
    if _is_htmx(request):
        return HttpResponse(f'<p class="ok">{_escape(text)}</p>')
    messages.success(request, text)
    return redirect("case_detail", case_id=case.pk)


def _escape(text):
    return escape(text)
