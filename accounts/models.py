from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Phone collector")
    FIELD_AGENT = "field_agent", _("Field agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")
    AGENCY = "agency", _("Agency collector")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    supervisor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_teams",
    )
    lender = models.ForeignKey(
        "collections_app.Lender",
        verbose_name=_("lender"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams",
        help_text=_("Leave empty for a team that works every lender's cases."),
    )
    buckets = models.CharField(
        _("buckets worked"),
        max_length=100,
        blank=True,
        help_text=_("Comma-separated bucket codes this team is allocated, e.g. M1,M2. Empty: any."),
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CollectionsUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `createsuperuser` makes an admin of the product
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.COLLECTOR, db_index=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        help_text=_("Interface language; empty follows the browser."),
    )
    phone_extension = models.CharField(_("phone extension"), max_length=20, blank=True)
    languages_spoken = models.CharField(_("languages spoken"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    max_open_cases = models.PositiveIntegerField(_("maximum open cases"), default=400)
    # an agency user works the cases placed with this agency, and nothing else (docs/agency.md)
    agency = models.ForeignKey(
        "collections_app.Agency", verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users", help_text=_("Only for the agency role: the agency this user works for."),
    )

    objects = CollectionsUserManager()
    # Who promoted, demoted, deactivated or re-passworded whom, and when (the hash is not kept;
    # last_login would add a row per sign-in).
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="agency") & Q(agency__isnull=False)) | (~Q(role="agency") & Q(agency__isnull=True)),
                name="user_agency_iff_agency_role",
                violation_error_message=_("An agency user needs an agency; other roles have none."),
            ),
        ]

    def apply_role(self):
        """The one place the role decides Django's flags: an admin is staff (the admin site);
        anyone else is neither staff nor superuser, so a demoted admin loses both. A new user
        created as superuser (e.g. by a script) is an admin."""
        if self._state.adding and self.is_superuser:
            self.role = Role.ADMIN
        if self.role == Role.ADMIN:
            self.is_staff = True
        else:
            self.is_staff = False
            self.is_superuser = False

    def save(self, *args, **kwargs):
        self.apply_role()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

    @property
    def is_collector(self):
        return self.role == Role.COLLECTOR

    @property
    def is_field_agent(self):
        return self.role == Role.FIELD_AGENT

    @property
    def is_supervisor(self):
        return self.role == Role.SUPERVISOR

    @property
    def is_agency(self):
        return self.role == Role.AGENCY

    @property
    def is_admin_role(self):
        return self.role == Role.ADMIN or self.is_superuser
