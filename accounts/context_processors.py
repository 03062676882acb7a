from . import roles as role_rules


def roles(request):
    user = getattr(request, "user", None)
    return {
        "is_admin": role_rules.is_admin(user),
        "is_supervisor": role_rules.is_supervisor(user),
        "is_supervisor_or_admin": role_rules.is_supervisor_or_admin(user),
    }
