from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .forms import UserPasswordForm
from .models import Team, User
from .roles import is_admin
from .services import user_save


class RoleAdminMixin:
    """Users with the admin role may use the admin site without per-model permissions.

    Nothing is hard-deleted by a user action (docs/compliance.md): deleting is allowed only where the
    admin class sets ``deletable = True`` (configuration rows such as targets or buckets).
    """

    deletable = False

    def has_module_permission(self, request):
        return is_admin(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args, **kwargs):
        return is_admin(request.user) or super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.deletable and (is_admin(request.user) or super().has_delete_permission(request, obj))


# Roles (accounts.roles) are the permission model; Django's groups are not used.
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(RoleAdminMixin, SimpleHistoryAdmin, BaseUserAdmin):
    """Saves go through ``accounts.services.user_save``: a change of password, role or active flag
    revokes the user's API tokens; the role sets ``is_staff`` / ``is_superuser`` (read-only here);
    every change is kept in the user's history."""

    change_password_form = UserPasswordForm
    readonly_fields = ("is_staff", "is_superuser", "last_login", "date_joined")
    list_display = ("username", "first_name", "last_name", "role", "team", "is_active", "last_login")
    list_filter = ("role", "team", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    list_select_related = ("team",)
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Collections"), {"fields": ("role", "team", "agency", "language", "phone_extension", "languages_spoken", "region", "max_open_cases")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Collections"), {"fields": ("role", "team", "agency")}),)

    def save_model(self, request, obj, form, change):
        user_save(user=obj)


class MemberInline(RoleAdminMixin, admin.TabularInline):
    model = User
    fields = ("username", "first_name", "last_name", "role", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("name", "supervisor", "lender", "buckets", "region")
    list_select_related = ("supervisor", "lender")
    list_filter = ("lender",)
    search_fields = ("name", "supervisor__username")
    autocomplete_fields = ("supervisor", "lender")
    inlines = [MemberInline]


# --- sign-in lockout (django-axes) ------------------------------------------------------------
# Admins see failed sign-ins and lockouts; deleting an access attempt unlocks that account and
# address (as does `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`). The logs are
# evidence: read-only, never deleted here.


class _AxesAdmin(RoleAdminMixin):
    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AccessAttemptAdmin(_AxesAdmin, axes_admin.AccessAttemptAdmin):
    deletable = True


class AccessLogAdmin(_AxesAdmin, axes_admin.AccessLogAdmin):
    pass


class AccessFailureLogAdmin(_AxesAdmin, axes_admin.AccessFailureLogAdmin):
    pass


for _model, _admin_class in (
    (AccessAttempt, AccessAttemptAdmin), (AccessLog, AccessLogAdmin), (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
