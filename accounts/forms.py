"""Password forms of the admin that save through ``accounts.services.user_save`` (which revokes
the user's API tokens on a password change)."""
from django.contrib.admin.forms import AdminPasswordChangeForm as OwnPasswordChangeFormBase
from django.contrib.auth.forms import AdminPasswordChangeForm as SetPasswordFormBase

from .services import user_save


class _SaveThroughService:
    def save(self, commit=True):
        user = super().save(commit=False)
        if commit:
            user_save(user=user)
        return user


class UserPasswordForm(_SaveThroughService, SetPasswordFormBase):
    """An admin sets another user's password (admin → user → "Reset password")."""


class OwnPasswordChangeForm(_SaveThroughService, OwnPasswordChangeFormBase):
    """A signed-in admin changes their own password (admin → "Change password")."""
