from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from accounts.roles import home_url


@login_required
def home(request):
    """Each role lands on its own home."""
    return redirect(home_url(request.user))
