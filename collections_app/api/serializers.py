"""API serializers: shapes only. Rules live in services, accounts.roles and selectors.visibility."""
import datetime as dt
import zoneinfo
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import roles
from accounts.models import Role, Team, User
from accounts.services import user_save, user_set_password
from collections_app import models as m
from collections_app.domain.buckets import DEFAULT_BUCKETS
from collections_app.selectors import visibility
from collections_app.selectors.loan_figures import figures_date, installment_states, last_run_date

MONEY = {"max_digits": 16, "decimal_places": 2}
DEFAULT_BUCKET_CODES = [b.code for b in DEFAULT_BUCKETS]  # a fresh database's version 1
TIMEZONES = sorted(zoneinfo.available_timezones())


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "08:00"}
)
class HHMMField(serializers.TimeField):
    """A local time of day as "HH:MM" (seconds are accepted on input and dropped)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class DescribedModelSerializer(serializers.ModelSerializer):
    """Model fields without a help text are described by their (translated) verbose name."""

    def build_field(self, field_name, info, model_class, nested_depth):
        field_class, kwargs = super().build_field(field_name, info, model_class, nested_depth)
        if "help_text" not in kwargs:
            try:
                model_field = model_class._meta.get_field(field_name)
            except Exception:  # noqa: BLE001 - properties and reverse names have no model field
                model_field = None
            verbose = getattr(model_field, "verbose_name", None)
            if verbose:
                kwargs["help_text"] = verbose
        return field_class, kwargs


class OutputSerializer(DescribedModelSerializer):
    """For response-only model serializers: keep a model field's blank/null in the schema even though
    the field is read-only (DRF drops ``allow_blank`` from read-only fields)."""

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        keep = {key: kwargs[key] for key in ("allow_blank", "allow_null") if key in kwargs}
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        kwargs.update(keep)
        return kwargs


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id or null; an empty string is a type error (DRF would quietly read it as null)."""

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str) and data == "":
            self.fail("incorrect_type", data_type="str")
        return super().run_validation(data)


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None) or AnonymousUser()


def known_bucket_codes() -> set[str]:
    codes = set(m.Bucket.objects.values_list("code", flat=True))
    return codes | set(DEFAULT_BUCKET_CODES)


# --- lenders, teams, users -------------------------------------------------------------------


class LenderSerializer(DescribedModelSerializer):
    timezone = serializers.ChoiceField(
        choices=TIMEZONES, default="Asia/Shanghai", help_text=_("IANA time zone of the lender's business dates.")
    )
    contact_start = HHMMField(
        default=dt.time(8, 0), help_text=_('Contact allowed from, borrower\'s local time, "HH:MM".')
    )
    contact_end = HHMMField(
        default=dt.time(21, 0), help_text=_('Contact allowed until, borrower\'s local time, "HH:MM".')
    )
    lunch_start = HHMMField(
        required=False, allow_null=True, help_text=_('No calls from (lunch break), "HH:MM"; null = no break.'),
    )
    lunch_end = HHMMField(
        required=False, allow_null=True, help_text=_('No calls until (lunch break), "HH:MM".')
    )
    max_calls_per_day = serializers.IntegerField(
        min_value=0, max_value=1000, default=3, help_text=_("Call attempts allowed per borrower per day.")
    )
    max_calls_per_7_days = serializers.IntegerField(
        min_value=0, max_value=5000, default=7, help_text=_("Call attempts allowed per borrower in 7 days.")
    )
    quiet_days_after_conversation = serializers.IntegerField(
        min_value=0, max_value=365, default=0,
        help_text=_("Days without calls after a conversation; 0 = off, 7 is the US Regulation F rule."),
    )
    third_party_from_bucket = serializers.CharField(
        max_length=10, allow_null=True, required=False,
        default=m.Lender._meta.get_field("third_party_from_bucket").default,
        help_text=_("Bucket code from which third parties may be contacted; null = never."),
    )
    max_promise_days = serializers.IntegerField(
        min_value=0, max_value=365, default=14, help_text=_("Furthest promise date without approval, in days.")
    )
    commission_rate = serializers.DecimalField(
        max_digits=6, decimal_places=4, min_value=Decimal("0"), required=False,
        help_text=_("Commission on amounts recovered, as a share (0.15 = 15%)."),
    )

    class Meta:
        model = m.Lender
        fields = [
            "id", "code", "name", "timezone", "contact_start", "contact_end", "lunch_start", "lunch_end",
            "max_calls_per_day", "max_calls_per_7_days", "quiet_days_after_conversation",
            "third_party_from_bucket", "max_promise_days", "agreement_ends_on", "retention_mode", "commission_rate",
            "is_active", "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "code": {"help_text": _("Short unique code used in files and URLs (letters, digits, - and _).")},
            "name": {"help_text": _("Display name.")},
            "agreement_ends_on": {"help_text": _("When the agreement with the lender ends (records kept 5 years after).")},
            "is_active": {"help_text": _("Inactive lenders accept no imports.")},
        }

    def validate_third_party_from_bucket(self, value):
        if value in (None, ""):
            return None
        if value not in known_bucket_codes():
            raise serializers.ValidationError(_("Unknown bucket code."))
        return value

    def validate(self, attrs):
        inst = self.instance
        start = attrs.get("contact_start", getattr(inst, "contact_start", None))
        end = attrs.get("contact_end", getattr(inst, "contact_end", None))
        if start and end and start >= end:
            raise serializers.ValidationError({"contact_end": [_("Must be later than contact_start.")]})
        lunch_start = attrs.get("lunch_start", getattr(inst, "lunch_start", None))
        lunch_end = attrs.get("lunch_end", getattr(inst, "lunch_end", None))
        if (lunch_start is None) != (lunch_end is None):
            raise serializers.ValidationError({"lunch_end": [_("Give both ends of the lunch break, or neither.")]})
        if lunch_start and lunch_end and lunch_start >= lunch_end:
            raise serializers.ValidationError({"lunch_end": [_("Must be later than lunch_start.")]})
        per_day = attrs.get("max_calls_per_day", getattr(inst, "max_calls_per_day", 3))
        per_week = attrs.get("max_calls_per_7_days", getattr(inst, "max_calls_per_7_days", 7))
        if per_day > per_week:
            raise serializers.ValidationError(
                {"max_calls_per_7_days": [_("Cannot be less than max_calls_per_day.")]}
            )
        return attrs


class TeamSerializer(DescribedModelSerializer):
    supervisor = StrictPrimaryKeyRelatedField(
        queryset=User.objects.filter(role__in=[Role.SUPERVISOR, Role.ADMIN]), allow_null=True, required=False,
        help_text=_("User id of the team's supervisor (a supervisor or an admin)."),
    )
    lender = serializers.SlugRelatedField(
        slug_field="code", queryset=m.Lender.objects.all(), allow_null=True, required=False,
        help_text=_("Lender code whose cases the team works; null = every lender."),
    )
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text=_("User ids of the members."))

    class Meta:
        model = Team
        fields = ["id", "name", "supervisor", "lender", "buckets", "region", "members", "created_at"]
        read_only_fields = ["id", "created_at", "members"]
        extra_kwargs = {
            "name": {"help_text": _("Unique team name.")},
            "buckets": {"help_text": _("Comma-separated bucket codes the team is allocated, e.g. M1,M2. Empty: any.")},
            "region": {"help_text": _("Region the team covers.")},
        }

    def validate_buckets(self, value):
        codes = [c.strip() for c in (value or "").split(",") if c.strip()]
        unknown = sorted(set(codes) - known_bucket_codes())
        if unknown:
            raise serializers.ValidationError(_("Unknown bucket code(s): %(codes)s") % {"codes": ", ".join(unknown)})
        return ",".join(codes)


class UserSerializer(DescribedModelSerializer):
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, max_length=128, style={"input_type": "password"},
        help_text=_("Write-only. Checked against the password rules."),
    )
    role = serializers.ChoiceField(choices=Role.choices, help_text=_("collector | field_agent | supervisor | admin | agency"))
    team = StrictPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False, help_text=_("Team id; null = no team.")
    )
    email = serializers.CharField(
        max_length=254, required=False, allow_blank=True, help_text=_("E-mail address; may be empty.")
    )
    agency = StrictPrimaryKeyRelatedField(
        queryset=m.Agency.objects.all(), allow_null=True, required=False,
        help_text=_("Agency id: required for the agency role, null for every other role."),
    )

    class Meta:
        model = User
        fields = [
            "id", "username", "password", "role", "team", "agency", "first_name", "last_name", "email",
            "is_active", "language", "phone_extension", "languages_spoken", "region", "max_open_cases", "date_joined",
        ]
        read_only_fields = ["id", "date_joined"]
        extra_kwargs = {
            "username": {"help_text": _("Login name, unique.")},
            "is_active": {"help_text": _("Inactive users cannot sign in (users are never deleted).")},
            "max_open_cases": {"help_text": _("Workload cap for automatic allocation."), "max_value": 100000},
        }

    def validate_email(self, value):
        if value:
            try:
                EmailValidator()(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(list(exc.messages))
        return value

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields["password"].required = False
        return fields

    def validate(self, attrs):
        role = attrs.get("role", getattr(self.instance, "role", None))
        agency = attrs["agency"] if "agency" in attrs else getattr(self.instance, "agency", None)
        if (role == Role.AGENCY) != (agency is not None):
            raise serializers.ValidationError({"agency": [_("An agency user needs an agency; other roles have none.")]})
        password = attrs.get("password")
        if password is not None:
            candidate = self.instance or User(
                username=attrs.get("username", ""), first_name=attrs.get("first_name", ""),
                last_name=attrs.get("last_name", ""), email=attrs.get("email", ""),
            )
            try:
                validate_password(password, candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)})
        return attrs

    def create(self, validated_data):
        password = validated_data.pop("password")
        return user_set_password(user=User(**validated_data), password=password)

    def update(self, instance, validated_data):
        # through the service: a new password, role or active flag revokes the user's tokens
        password = validated_data.pop("password", None)
        for key, value in validated_data.items():
            setattr(instance, key, value)
        if password is not None:
            return user_set_password(user=instance, password=password)
        return user_save(user=instance)


# --- borrowers ---------------------------------------------------------------------------------


class BorrowerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text=_("Borrower id."))
    external_id = serializers.CharField(read_only=True, help_text=_("The lender's borrower id."))
    name = serializers.CharField(read_only=True, help_text=_("Borrower's name."))


class ContactPointSerializer(OutputSerializer):
    value = serializers.SerializerMethodField(help_text=_("Phone numbers are masked for roles that do not need them."))

    class Meta:
        model = m.ContactPoint
        fields = ["id", "kind", "value", "relation", "name", "status", "source", "is_primary"]
        read_only_fields = fields

    def get_value(self, obj) -> str:
        if obj.kind == m.ContactKind.PHONE and not roles.can_see_full_pii(_user(self)):
            return roles.mask_phone(obj.value)
        return obj.value


class BorrowerSerializer(OutputSerializer):
    lender = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Lender code."))
    national_id = serializers.SerializerMethodField(help_text=_("Masked for roles that do not need it."))
    contact_points = ContactPointSerializer(
        many=True, read_only=True, help_text=_("Phones, addresses, e-mails and employers of the borrower and third parties.")
    )

    class Meta:
        model = m.Borrower
        fields = [
            "id", "external_id", "lender", "name", "national_id", "address", "employer", "timezone", "region",
            "preferred_language", "borrower_type", "cease_contact", "dispute", "deceased", "bankruptcy",
            "lawyer_represented", "promises_made", "promises_kept", "promises_broken", "contact_points",
        ]
        read_only_fields = fields

    def get_national_id(self, obj) -> str:
        if roles.can_see_full_pii(_user(self)):
            return obj.national_id
        return roles.mask_national_id(obj.national_id)


# --- loans, installments, payments -------------------------------------------------------------


class InstallmentListSerializer(serializers.ListSerializer):
    """Computes what the payments applied to the page's installments in one go (3 queries)."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        self.child.context["installment_states"] = installment_states(items)
        return super().to_representation(items)


class InstallmentSerializer(OutputSerializer):
    amount_due = serializers.DecimalField(read_only=True, help_text=_("principal + interest + fee"), **MONEY)
    paid_amount = serializers.SerializerMethodField(
        help_text=_("What the payments to date applied to this installment (fee, then interest, then principal, "
                    "oldest installment first).")
    )
    paid_off_on = serializers.SerializerMethodField(
        help_text=_("The date of the payment that completed it, or null while it is not fully paid.")
    )

    class Meta:
        list_serializer_class = InstallmentListSerializer
        model = m.Installment
        fields = [
            "id", "loan", "seq", "due_date", "principal_due", "interest_due", "fee_due", "amount_due",
            "paid_amount", "paid_off_on",
        ]
        read_only_fields = fields

    def _state(self, obj):
        states = self.context.get("installment_states")
        if states is None or obj.id not in states:
            states = self.context.setdefault("installment_states", {})
            states.update(installment_states([obj]))
        return states.get(obj.id)

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_paid_amount(self, obj):
        st = self._state(obj)
        return f"{st.paid:.2f}" if st else "0.00"

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_paid_off_on(self, obj):
        st = self._state(obj)
        return st.paid_off_on.isoformat() if st and st.paid_off_on else None


class LoanSerializer(OutputSerializer):
    lender = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Lender code."))
    as_of = serializers.SerializerMethodField(
        help_text=_("The business date the delinquency figures hold for: the last nightly run's date, or a "
                    "later date when a payment reclassified the loan since.")
    )

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_as_of(self, loan):
        if "last_run_date" not in self.context:
            self.context["last_run_date"] = last_run_date()
        date = figures_date(loan.as_of, loan.status, self.context["last_run_date"])
        return date.isoformat() if date else None
    borrower = BorrowerRefSerializer(read_only=True, help_text=_("The borrower: id, the lender's id, name."))
    product = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True, help_text=_("Product code, or null."))

    class Meta:
        model = m.Loan
        fields = [
            "id", "external_id", "lender", "borrower", "product", "principal", "currency", "disbursed_on",
            "annual_rate", "term_months", "overdue_amount", "outstanding_amount", "paid_total", "overpayment",
            "penalty_accrued", "fees_accrued", "dpd", "aging_days", "bucket", "status", "as_of",
            "oldest_unpaid_due_date", "settled_on", "case",
        ]
        read_only_fields = fields


class LoanDetailSerializer(LoanSerializer):
    installments = InstallmentSerializer(many=True, read_only=True, help_text=_("The schedule, oldest first."))

    class Meta(LoanSerializer.Meta):
        fields = [*LoanSerializer.Meta.fields, "installments"]
        read_only_fields = fields


class PaymentSerializer(OutputSerializer):
    lender = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Lender code."))

    class Meta:
        model = m.Payment
        fields = [
            "id", "loan", "lender", "external_id", "paid_on", "amount", "channel", "note", "source", "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    loan = StrictPrimaryKeyRelatedField(queryset=m.Loan.objects.none(), help_text=_("Loan id."))
    external_id = serializers.CharField(
        max_length=64, help_text=_("The lender's payment id; (lender, external_id) identifies the payment.")
    )
    paid_on = serializers.DateField(help_text=_("Business date the money was paid, YYYY-MM-DD."))
    amount = serializers.DecimalField(min_value=Decimal("0.01"), help_text=_("Amount paid, > 0."), **MONEY)
    channel = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text=_("How it was paid, e.g. bank transfer.")
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="", help_text=_("Note."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loan"].queryset = visibility.loans_visible_to(_user(self)).select_related("lender")


# --- cases, contacts, promises -----------------------------------------------------------------


class PromiseSerializer(OutputSerializer):
    class Meta:
        model = m.PromiseToPay
        fields = [
            "id", "case", "borrower", "contact", "amount", "promised_date", "status", "paid_amount", "resolved_on",
            "created_by", "created_at",
        ]
        read_only_fields = fields


class PromiseCreateSerializer(serializers.Serializer):
    case = StrictPrimaryKeyRelatedField(queryset=m.CollectionCase.objects.none(), help_text=_("Case id."))
    amount = serializers.DecimalField(min_value=Decimal("0.01"), help_text=_("Amount promised, > 0."), **MONEY)
    promised_date = serializers.DateField(help_text=_("Date the borrower promises to pay, YYYY-MM-DD."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = visibility.cases_visible_to(_user(self)).select_related("lender")


class ContactLogSerializer(OutputSerializer):
    number_used = serializers.SerializerMethodField(help_text=_("Masked for roles that do not need it."))
    promise = serializers.SerializerMethodField(help_text=_("Id of the promise taken in this contact, or null."))

    class Meta:
        model = m.ContactLog
        fields = [
            "id", "case", "borrower", "user", "channel", "outcome", "contact_point", "number_used",
            "is_third_party", "is_attempt", "is_conversation", "note", "overdue_reason", "borrower_type",
            "callback_at", "recording_ref", "occurred_at", "promise", "breach_rule",
        ]
        read_only_fields = fields

    def get_promise(self, obj) -> int | None:
        promise = getattr(obj, "promise_obj", None)
        if promise is None:
            try:
                promise = obj.promise
            except m.PromiseToPay.DoesNotExist:
                promise = None
        return promise.id if promise else None

    def get_number_used(self, obj) -> str:
        if obj.channel in (m.Channel.PHONE, m.Channel.SMS) and not roles.can_see_full_pii(_user(self)):
            return roles.mask_phone(obj.number_used)
        return obj.number_used


class ContactCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=m.Channel.choices, help_text=_("phone | sms | letter | email | visit"))
    outcome = serializers.ChoiceField(
        choices=m.Outcome.choices,
        help_text=_("rpc | promise | refused | dispute | third_party | no_answer | busy | switched_off | "
                    "wrong_number | deceased | cease_contact | bankruptcy | lawyer"),
    )
    contact_point = serializers.IntegerField(
        required=False, allow_null=True, min_value=1,
        help_text=_("Id of the borrower's contact point used (phone, address...)."),
    )
    number_used = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="",
        help_text=_("Number or address used, when not a stored contact point."),
    )
    note = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", help_text=_("What was said or agreed.")
    )
    promise_amount = serializers.DecimalField(
        min_value=Decimal("0.01"), required=False, allow_null=True, help_text=_("With outcome promise."), **MONEY
    )
    promise_date = serializers.DateField(required=False, allow_null=True, help_text=_("With outcome promise."))
    callback_at = serializers.DateTimeField(required=False, allow_null=True, help_text=_("Call back at (ISO 8601)."))
    overdue_reason = serializers.ChoiceField(
        choices=m.OverdueReason.choices, required=False, allow_blank=True, default="",
        help_text=_("Why the borrower is overdue, as learnt in this contact."),
    )
    borrower_type = serializers.ChoiceField(
        choices=m.BorrowerType.choices, required=False, allow_blank=True, default="",
        help_text=_("Borrower type as judged by the collector (shows the matching tactics)."),
    )
    recording_ref = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text=_("Reference of the call recording.")
    )
    already_happened = serializers.BooleanField(
        required=False, default=False,
        help_text=_("The contact already took place (a number dialled by hand): when the rules forbid it, it is "
                    "stored flagged with the rule it broke (breach_rule) for a supervisor's review, answering 201 "
                    "instead of 409."),
    )
    stop_reason = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="",
        help_text=_("Why, for an outcome that stops collection contact (dispute, deceased, cease_contact, "
                    "bankruptcy, lawyer); the note when empty."),
    )

    def validate(self, attrs):
        case = self.context["case"]
        cp_id = attrs.pop("contact_point", None)
        attrs["contact_point"] = None
        if cp_id is not None:
            cp = m.ContactPoint.objects.filter(id=cp_id, borrower_id=case.borrower_id).first()
            if cp is None:
                raise serializers.ValidationError({"contact_point": [_("Not a contact point of this borrower.")]})
            attrs["contact_point"] = cp
        return attrs


class ContactRefusedSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text=_('Machine-readable rule, e.g. "contact_hours", "daily_cap".'))
    detail = serializers.CharField(help_text=_("Why, in the user's language."))
    allowed_from = serializers.DateTimeField(
        allow_null=True, help_text=_("When contact becomes allowed; null when waiting will not help.")
    )


class AssignSerializer(serializers.Serializer):
    user = StrictPrimaryKeyRelatedField(
        queryset=User.objects.none(), allow_null=True,
        help_text=_("Id of the collector to assign (someone you may manage); null unassigns."),
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text=_("Why (kept in the assignment history).")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = roles.visible_users(_user(self)).filter(is_active=True)


class AssignResultSerializer(serializers.Serializer):
    assigned = serializers.IntegerField(help_text=_("Number of cases whose assignment changed (0 or 1)."))


class CaseSerializer(OutputSerializer):
    lender = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Lender code."))
    borrower = BorrowerRefSerializer(read_only=True, help_text=_("The borrower: id, the lender's id, name."))
    loans = serializers.SerializerMethodField(help_text=_("Ids of the case's loans."))
    promise = serializers.SerializerMethodField(help_text=_("The open (pending) promise, or null."))
    next_action_state = serializers.SerializerMethodField(help_text=_(
        "State of the next action: planned (next_action_at after the business date), due (on or before it), "
        "or null when the case has no next action."))

    class Meta:
        model = m.CollectionCase
        fields = [
            "id", "borrower", "lender", "loans", "assigned_to", "team", "field_agent", "status", "close_reason",
            "stage", "bucket", "dpd", "overdue_amount", "outstanding_amount", "opened_at", "assigned_at",
            "first_contact_due_at", "last_contact_at", "last_outcome", "next_action", "next_action_at",
            "callback_at", "overdue_reason", "written_off", "limitation_date", "closed_at", "promise",
            "next_action_state",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[m.ActionState.PLANNED, m.ActionState.DUE], allow_null=True))
    def get_next_action_state(self, obj) -> str | None:
        from collections_app.selectors.actions import next_action_state
        from collections_app.selectors.loan_figures import business_date

        if "business_date" not in self.context:
            self.context["business_date"] = business_date()
        return next_action_state(obj, today=self.context["business_date"])

    def get_loans(self, obj) -> list[int]:
        return [loan.id for loan in obj.loans.all()]

    @extend_schema_field(PromiseSerializer(allow_null=True))
    def get_promise(self, obj):
        promises = getattr(obj, "open_promises", None)
        if promises is None:
            promises = list(obj.promises.filter(status=m.PromiseStatus.PENDING).order_by("promised_date", "id")[:1])
        return PromiseSerializer(promises[0], context=self.context).data if promises else None
