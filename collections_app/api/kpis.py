"""``GET /api/kpis/``: the supervisor dashboard's recovery KPIs as JSON.

The figures come from ``selectors.dashboard.kpis`` — the functions the dashboard page and its
exports use, with the same scope rules (a supervisor their teams, an admin every team; collectors
and field agents, who have no dashboard, get 403). Definitions: docs/api.md and the docstring of
``collections_app/selectors/dashboard.py``.
"""
import re

from django.urls import re_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from collections_app.domain import kpis as formulas
from collections_app.models import Lender
from collections_app.selectors import dashboard as dash
from collections_app.selectors.loan_figures import business_date

from .permissions import IsSupervisorOrAdmin
from .views import StrictRequestMixin

PARAMS = ("from", "to", "team", "collector", "lender")
MAX_ID = 2**63 - 1


class WholeNumberField(serializers.IntegerField):
    """Digits only (DRF's IntegerField also takes ``1.0``, which the schema's integer refuses)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(r"[+-]?\d{1,19}", data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class KpiQuerySerializer(serializers.Serializer):
    team = WholeNumberField(required=False, min_value=1, max_value=MAX_ID)
    collector = WholeNumberField(required=False, min_value=1, max_value=MAX_ID)
    lender = serializers.CharField(required=False, max_length=50)

    def get_fields(self):  # "from" cannot be an attribute name
        return {"from": serializers.DateField(required=False), "to": serializers.DateField(required=False),
                **super().get_fields()}

    def validate(self, attrs):
        user = self.context["user"]
        errors = {}
        for name in ("from", "to"):
            day = attrs.get(name)
            if day is not None and not dash.EARLIEST_DATE <= day <= dash.LATEST_DATE:
                errors[name] = [_("Give a date between %(a)s and %(b)s.")
                                % {"a": dash.EARLIEST_DATE.isoformat(), "b": dash.LATEST_DATE.isoformat()}]
        today = business_date()
        date_from, date_to = attrs.get("from") or today.replace(day=1), attrs.get("to") or today
        if not errors and date_to < date_from:
            errors["to"] = [_("The period ends before it starts (%(to)s is before %(from)s).")
                            % {"to": date_to.isoformat(), "from": date_from.isoformat()}]
        team = attrs.get("team")
        if team is not None and not dash.teams_for(user).filter(id=team).exists():
            errors["team"] = [_("No team of yours has this id.")]
        collector = attrs.get("collector")
        if collector is not None and not dash.collectors_for(user).filter(id=collector).exists():
            errors["collector"] = [_("No collector of your teams has this id.")]
        lender_id = None
        if attrs.get("lender") is not None:
            lender_id = Lender.objects.filter(code=attrs["lender"]).values_list("id", flat=True).first()
            if lender_id is None:
                errors["lender"] = [_("No lender has this code.")]
        if errors:
            raise ValidationError(errors)
        return dash.DashboardFilters(date_from, date_to, team_id=team, lender_id=lender_id, collector_id=collector)


class Rate(serializers.FloatField):
    """A fraction between 0 and 1 to 4 places: the exact rate rounded once (domain.kpis.api_rate)."""

    def __init__(self, help_text, max_value=1):
        super().__init__(allow_null=True, min_value=0, max_value=max_value, help_text=help_text)

    def to_representation(self, value):
        return None if value is None else float(formulas.api_rate(value))


class Money(serializers.DecimalField):
    def __init__(self, help_text):
        super().__init__(max_digits=18, decimal_places=2, help_text=help_text)


class AgingRowSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    count = serializers.IntegerField(help_text=gettext_lazy("Delinquent loans in the bucket at the end of the period."))
    cases = serializers.IntegerField(help_text=gettext_lazy("The cases those loans belong to."))
    overdue = Money(gettext_lazy("Their overdue amount at the end of the period."))
    outstanding = Money(gettext_lazy("Their scheduled amounts less payments at the end of the period."))


class RecoveryRowSerializer(serializers.Serializer):
    bucket = serializers.CharField(help_text=gettext_lazy("The loan's bucket at the start of the period or at entry."))
    loans = serializers.IntegerField()
    base = Money(gettext_lazy("Overdue at the start of the period, or at entry into collections during it."))
    recovered = Money(gettext_lazy("What the loans' payments from that date recovered of it."))
    recovery_rate = Rate(gettext_lazy("recovered ÷ base."))


class KpiSerializer(serializers.Serializer):
    team = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("The team asked for, or null for all."))
    collector = serializers.IntegerField(allow_null=True,
                                         help_text=gettext_lazy("The collector asked for, or null for all."))
    lender = serializers.CharField(allow_null=True, help_text=gettext_lazy("The lender code asked for, or null for all."))
    collected = Money(gettext_lazy("Payments dated in the period on loans in collections, credited to whoever "
                                   "held the case that day."))
    overdue_at_start = Money(gettext_lazy("Each loan's overdue amount at the start of the period, or at its entry "
                                          "into collections during it."))
    recovered = Money(gettext_lazy("What the loans' payments from that date recovered of it (per loan, at most "
                                   "that amount)."))
    recovery_rate = Rate(gettext_lazy("recovered ÷ overdue_at_start; null when nothing was overdue."))
    recovery_by_bucket = RecoveryRowSerializer(many=True, help_text=gettext_lazy("The same, per bucket."))
    target = Money(gettext_lazy("Day, week and month targets overlapping the period, each pro-rated to the days "
                                "it shares with it (the collector's when one is chosen, else the teams')."))
    target_achieved = Rate(gettext_lazy("collected ÷ target; null without a target."), max_value=None)
    promises_due = serializers.IntegerField(help_text=gettext_lazy(
        "Promises falling due in the period (replaced and cancelled ones excluded)."))
    promises_made = serializers.IntegerField(help_text=gettext_lazy("Promises taken in the period."))
    promised_amount = Money(gettext_lazy("Amount of the promises taken in the period."))
    promises_kept = serializers.IntegerField(help_text=gettext_lazy("Promises due in the period that were kept."))
    promises_partially_kept = serializers.IntegerField(
        help_text=gettext_lazy("Promises due in the period that were partially kept."))
    promises_broken = serializers.IntegerField(help_text=gettext_lazy("Promises due in the period that were broken."))
    promise_keep_rate = Rate(gettext_lazy("promises_kept ÷ promises_due; null when none fell due."))
    call_attempts = serializers.IntegerField(help_text=gettext_lazy("Phone contacts in the period, answered or not."))
    contacts = serializers.IntegerField(
        help_text=gettext_lazy("Call attempts that reached someone (a conversation or a third party)."))
    right_party_contacts = serializers.IntegerField(
        help_text=gettext_lazy("Call attempts that were a conversation with the borrower (not a third party)."))
    contact_rate = Rate(gettext_lazy("contacts ÷ call_attempts; null without attempts."))
    rpc_rate = Rate(gettext_lazy("right_party_contacts ÷ call_attempts; null without attempts."))
    roll_rates = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text=gettext_lazy("{from bucket: {to bucket: loans}}: every loan's bucket at the start of the period "
                               "against its bucket at the end, from the bucket history by date."),
    )
    cure_rate = Rate(gettext_lazy("Loans that started the period delinquent and ended it CURRENT ÷ loans that "
                                  "started it delinquent; null when none did."))
    non_performing_ratio = Rate(gettext_lazy(
        "Balance of the loans in the non-performing buckets ÷ balance of every loan, at the end of the period."))
    open_cases = serializers.IntegerField(help_text=gettext_lazy("Open cases now."))
    open_overdue = Money(gettext_lazy("Overdue amount of the open cases now."))
    aging = AgingRowSerializer(many=True, help_text=gettext_lazy(
        "Delinquent loans by their own bucket as of the period's last day."))

    def get_fields(self):
        return {
            "from": serializers.DateField(source="date_from", help_text=gettext_lazy("First day of the period.")),
            "to": serializers.DateField(source="date_to", help_text=gettext_lazy("Last day of the period.")),
            **super().get_fields(),
        }


EXAMPLE = {
    "from": "2026-11-01", "to": "2026-11-23", "team": None, "collector": None, "lender": None,
    "collected": "1500.00", "overdue_at_start": "3500.00", "recovered": "1500.00", "recovery_rate": 0.4286,
    "target": "3000.00", "promises_made": 4, "promised_amount": "2400.00", "promises_kept": 1,
    "promises_due": 3, "promises_partially_kept": 1, "promises_broken": 1, "promise_keep_rate": 0.3333, "call_attempts": 6,
    "contacts": 4, "right_party_contacts": 3, "contact_rate": 0.6667, "rpc_rate": 0.5,
    "roll_rates": {"CURRENT": {"CURRENT": 1, "M0": 0, "M1": 1}, "M1": {"CURRENT": 0, "M0": 0, "M1": 0, "M2": 1}},
    "cure_rate": 0.0, "open_cases": 3, "open_overdue": "3100.00",
    "aging": [{"bucket": "M1", "count": 2, "cases": 2, "overdue": "1400.00", "outstanding": "1400.00"}],
}


class KpiView(StrictRequestMixin, APIView):
    permission_classes = [IsAuthenticated, IsSupervisorOrAdmin]
    http_method_names = ["get", "head", "options"]

    def allowed_query_params(self) -> set[str]:
        return {"format", *PARAMS}

    @extend_schema(
        summary="Recovery KPIs (supervisor or admin)",
        description="The dashboard's figures for a period (business dates, both ends included; default: this "
        "month to the business date) over the work the user may see: a supervisor their teams', an admin all. Rates are "
        "numbers between 0 and 1, or null when there is nothing to divide by; amounts are decimal strings. "
        "A bad date, a period ending before it starts, or a team, collector or lender outside the user's "
        "scope is a 400 naming the parameter.",
        tags=["kpis"],
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day of the period (default: the 1st "
                             "of the business date's month)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day of the period (default: the business date)."),
            OpenApiParameter("team", OpenApiTypes.INT, description="One of the user's teams (id)."),
            OpenApiParameter("collector", OpenApiTypes.INT, description="A collector of the user's teams (id): "
                             "the work done while they held the cases."),
            OpenApiParameter("lender", OpenApiTypes.STR, description="Lender code."),
        ],
        responses={200: KpiSerializer},
        examples=[OpenApiExample("A month to date", value=EXAMPLE, response_only=True)],
    )
    def get(self, request):
        errors = {}
        for name in PARAMS:  # a parameter given twice: StrictRequestMixin has answered 400 already
            if request.query_params.getlist(name) == [""]:
                errors[name] = [_("This parameter cannot be empty.")]
        if errors:
            raise ValidationError(errors)
        query = KpiQuerySerializer(data=request.query_params, context={"user": request.user})
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        figures = dash.kpis(request.user, filters)
        lender = request.query_params.get("lender") if filters.lender_id else None
        figures.update(team=filters.team_id, collector=filters.collector_id, lender=lender)
        return Response(KpiSerializer(figures).data)


urlpatterns = [re_path(r"^kpis/$", KpiView.as_view(), name="api-kpis")]
