"""Django's ``changepassword``, then ``accounts.services.revoke_tokens``: the user's API tokens
stop working with the old password."""
import getpass

from django.contrib.auth.management.commands import changepassword

from accounts.models import User
from accounts.services import revoke_tokens


class Command(changepassword.Command):
    def handle(self, *args, **options):
        result = super().handle(*args, **options)
        username = options["username"] or getpass.getuser()
        user = User._default_manager.using(options["database"]).get(username=username)
        revoke_tokens(user=user)
        return result
