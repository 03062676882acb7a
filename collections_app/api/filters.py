"""FilterSets for the API lists. Ids are plain integer filters: an unknown id gives an empty list."""
import re

from django import forms
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from accounts.models import Role, Team, User
from collections_app import models as m


class StrictIntegerField(forms.IntegerField):
    """Digits only: Django's IntegerField also takes "1.0", which the OpenAPI schema (integer) refuses."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not re.fullmatch(r"[+-]?\d+", value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IntegerFilter(filters.NumberFilter):
    field_class = StrictIntegerField


class StrictBooleanField(forms.Field):
    """``true`` or ``false``; anything else is an error, not silently ignored."""

    default_error_messages = {"invalid": _("Enter true or false.")}
    VALUES = {"true": True, "false": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value)]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)  # the default widget turns bad values into "no filter"
        super().__init__(*args, **kwargs)


class FilterSet(filters.FilterSet):
    """Query parameters are checked strictly: a typed parameter (number, date, choice, boolean) given
    empty is a 400 rather than silently ignored (one given twice: StrictRequestMixin, api/views.py)."""

    def is_valid(self):
        valid = super().is_valid()
        for name, flt in self.filters.items():
            if name in self.data and self.data[name] == "" and not isinstance(flt, filters.CharFilter):
                self.form.add_error(name, _("This parameter cannot be empty."))
        return valid and not self.form.errors


class LenderFilter(FilterSet):
    code = filters.CharFilter(help_text=_("Lender code, exact."))
    is_active = BooleanFilter(help_text=_("Active lenders only (true) or inactive only (false)."))

    class Meta:
        model = m.Lender
        fields = ["code", "is_active"]


class TeamFilter(FilterSet):
    supervisor = IntegerFilter(field_name="supervisor__id", help_text=_("Supervisor's user id."))
    lender = filters.CharFilter(field_name="lender__code", help_text=_("Lender code."))

    class Meta:
        model = Team
        fields = ["supervisor", "lender"]


class UserFilter(FilterSet):
    role = filters.ChoiceFilter(choices=Role.choices, help_text=_("Role."))
    team = IntegerFilter(field_name="team__id", help_text=_("Team id."))
    is_active = BooleanFilter(help_text=_("Active users only (true) or inactive only (false)."))

    class Meta:
        model = User
        fields = ["role", "team", "is_active"]


class BorrowerFilter(FilterSet):
    lender = filters.CharFilter(field_name="lender__code", help_text=_("Lender code."))
    external_id = filters.CharFilter(help_text=_("The lender's borrower id, exact."))
    name = filters.CharFilter(lookup_expr="icontains", help_text=_("Part of the name."))

    class Meta:
        model = m.Borrower
        fields = ["lender", "external_id", "name"]


class LoanFilter(FilterSet):
    external_id = filters.CharFilter(help_text=_("The lender's loan id, exact."))
    lender = filters.CharFilter(field_name="lender__code", help_text=_("Lender code."))
    bucket = filters.CharFilter(help_text=_("Bucket code, e.g. M1."))
    status = filters.ChoiceFilter(choices=m.LoanStatus.choices, help_text=_("Loan status."))
    dpd_min = IntegerFilter(field_name="dpd", lookup_expr="gte", help_text=_("Days past due at least."))
    dpd_max = IntegerFilter(field_name="dpd", lookup_expr="lte", help_text=_("Days past due at most."))
    borrower = IntegerFilter(field_name="borrower__id", help_text=_("Borrower id."))
    case = IntegerFilter(field_name="case__id", help_text=_("Case id."))

    class Meta:
        model = m.Loan
        fields = ["external_id", "lender", "bucket", "status", "dpd_min", "dpd_max", "borrower", "case"]


class InstallmentFilter(FilterSet):
    loan = IntegerFilter(field_name="loan__id", help_text=_("Loan id."))
    due_from = filters.DateFilter(field_name="due_date", lookup_expr="gte", help_text=_("Due on or after."))
    due_to = filters.DateFilter(field_name="due_date", lookup_expr="lte", help_text=_("Due on or before."))

    class Meta:
        model = m.Installment
        fields = ["loan", "due_from", "due_to"]


class PaymentFilter(FilterSet):
    loan = IntegerFilter(field_name="loan__id", help_text=_("Loan id."))
    lender = filters.CharFilter(field_name="lender__code", help_text=_("Lender code."))
    external_id = filters.CharFilter(help_text=_("The lender's payment id, exact."))
    paid_from = filters.DateFilter(field_name="paid_on", lookup_expr="gte", help_text=_("Paid on or after."))
    paid_to = filters.DateFilter(field_name="paid_on", lookup_expr="lte", help_text=_("Paid on or before."))
    source = filters.ChoiceFilter(choices=m.Payment.Source.choices, help_text=_("Where the payment came from."))

    class Meta:
        model = m.Payment
        fields = ["loan", "lender", "external_id", "paid_from", "paid_to", "source"]


class CaseFilter(FilterSet):
    status = filters.ChoiceFilter(choices=m.CaseStatus.choices, help_text=_("Case status."))
    bucket = filters.CharFilter(help_text=_("Bucket code, e.g. M1."))
    assigned_to = IntegerFilter(field_name="assigned_to__id", help_text=_("Collector's user id."))
    unassigned = BooleanFilter(
        field_name="assigned_to", lookup_expr="isnull", help_text=_("Only cases nobody is assigned (true).")
    )
    lender = filters.CharFilter(field_name="lender__code", help_text=_("Lender code."))
    team = IntegerFilter(field_name="team__id", help_text=_("Team id."))
    borrower = IntegerFilter(field_name="borrower__id", help_text=_("Borrower id."))
    dpd_min = IntegerFilter(field_name="dpd", lookup_expr="gte", help_text=_("Days past due at least."))
    dpd_max = IntegerFilter(field_name="dpd", lookup_expr="lte", help_text=_("Days past due at most."))

    class Meta:
        model = m.CollectionCase
        fields = ["status", "bucket", "assigned_to", "unassigned", "lender", "team", "borrower", "dpd_min", "dpd_max"]


class ContactFilter(FilterSet):
    channel = filters.ChoiceFilter(choices=m.Channel.choices, help_text=_("Channel."))
    outcome = filters.ChoiceFilter(choices=m.Outcome.choices, help_text=_("Outcome."))

    class Meta:
        model = m.ContactLog
        fields = ["channel", "outcome"]


class PromiseFilter(FilterSet):
    case = IntegerFilter(field_name="case__id", help_text=_("Case id."))
    status = filters.ChoiceFilter(choices=m.PromiseStatus.choices, help_text=_("Promise status."))
    due_from = filters.DateFilter(field_name="promised_date", lookup_expr="gte", help_text=_("Promised on or after."))
    due_to = filters.DateFilter(field_name="promised_date", lookup_expr="lte", help_text=_("Promised on or before."))

    class Meta:
        model = m.PromiseToPay
        fields = ["case", "status", "due_from", "due_to"]


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` with the view's ``ordering_fields`` only: an unknown field, an empty term or the
    parameter given empty or twice is a 400 that lists the fields (DRF's filter silently drops unknown
    fields and orders by the default). The schema gives the accepted form as
    a pattern and the fields in the description."""

    def _fields(self, view, queryset=None, request=None) -> list[str]:
        fields = getattr(view, "ordering_fields", self.ordering_fields)
        if isinstance(fields, list | tuple):
            return [item if isinstance(item, str) else item[0] for item in fields]
        return [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]

    def get_ordering(self, request, queryset, view):
        values = request.query_params.getlist(self.ordering_param)
        if len(values) > 1:
            raise ValidationError({self.ordering_param: [gettext_now("Give this parameter once.")]})
        if not values:
            return self.get_default_ordering(view)
        if values[0] == "":
            raise ValidationError({self.ordering_param: [gettext_now("This parameter cannot be empty.")]})
        terms = values[0].split(",")
        valid = set(self._fields(view, queryset, request))
        bad = [term for term in terms if term.removeprefix("-") not in valid]
        if bad:
            raise ValidationError({self.ordering_param: [
                gettext_now("Cannot order by %(bad)s. Order by one or more of %(fields)s, separated by commas; a leading - "
                  "reverses the order.") % {"bad": ", ".join(repr(t[:50]) for t in bad[:5]),
                                           "fields": ", ".join(sorted(valid))}
            ]})
        return terms

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, list | tuple) and fields:
            names = [item if isinstance(item, str) else item[0] for item in fields]
            one = "-?(?:" + "|".join(re.escape(n) for n in names) + ")"
            for parameter in parameters:
                parameter["schema"]["pattern"] = f"^{one}(?:,{one})*$"
                parameter["description"] = str(_("Order by %(fields)s (several separated by commas; a leading - "
                                                  "reverses the order).") % {"fields": ", ".join(names)})
        return parameters
