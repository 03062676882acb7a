from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from accounts.roles import home_url


@login_required
@require_safe
def home(request):
    """Each role lands on its own home."""
    return redirect(home_url(request.user))
