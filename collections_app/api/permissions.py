"""DRF permission classes, all built on the one permission layer (accounts.roles)."""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts import roles


class IsAdminRole(BasePermission):
    """Admins only (role admin or superuser)."""

    def has_permission(self, request, view):
        return roles.is_admin(request.user)


class IsSupervisorOrAdmin(BasePermission):
    def has_permission(self, request, view):
        return roles.is_supervisor_or_admin(request.user)


class CanAssign(BasePermission):
    def has_permission(self, request, view):
        return roles.can_assign(request.user)


class ReadAuthenticatedWriteAdmin(BasePermission):
    """Any signed-in user reads; only admins write."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or roles.is_admin(request.user)


class ReadAuthenticatedWriteSupervisorOrAdmin(BasePermission):
    """Any signed-in user reads (within what they may see); supervisors and admins write."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or roles.is_supervisor_or_admin(request.user)
