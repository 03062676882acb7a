from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "team", "is_active", "last_login")
    list_filter = ("role", "team", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Collections"), {"fields": ("role", "team", "language", "phone_extension", "languages_spoken", "region", "max_open_cases")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Collections"), {"fields": ("role", "team")}),)


class MemberInline(admin.TabularInline):
    model = User
    fields = ("username", "first_name", "last_name", "role", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "supervisor", "lender", "buckets", "region")
    list_filter = ("lender",)
    search_fields = ("name", "supervisor__username")
    autocomplete_fields = ("supervisor",)
    inlines = [MemberInline]
