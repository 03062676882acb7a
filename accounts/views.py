from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .forms import OwnPasswordChangeForm
from .models import User


@login_required
@require_POST
def set_language(request):
    """Store the user's interface language on their account (and the cookie) and go back."""
    lang = request.POST.get("language", "")
    if lang not in dict(User._meta.get_field("language").choices):
        lang = ""
    User.objects.filter(pk=request.user.pk).update(language=lang)
    nxt = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    response = HttpResponseRedirect(nxt)
    if lang:
        translation.activate(lang)
        response.set_cookie("django_language", lang)
    return response


class OwnPasswordChangeView(auth_views.PasswordChangeView):
    """The admin site's "Change password" page (served at its usual URL), saving through
    ``accounts.services`` so that the admin's API tokens are revoked too."""

    form_class = OwnPasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("admin:password_change_done")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **admin.site.each_context(self.request)}
