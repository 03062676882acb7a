import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme


class UserLanguageMiddleware:
    """After LocaleMiddleware and authentication: a logged-in user's own language setting wins
    over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        lang = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if lang:
            translation.activate(lang)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session has expired would follow the redirect to the login page and
    swap that whole page into a fragment of the current one (the "log a contact" panel). Instead,
    answer with ``HX-Redirect`` so that htmx sends the whole window to the login page, with ``next``
    set to the page the user was on (the htmx endpoint itself is usually POST-only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code not in (301, 302, 303, 307, 308):
            return response
        login_path = resolve_url(settings.LOGIN_URL)
        if urlsplit(response.get("Location", "")).path != login_path:
            return response
        current = request.headers.get("HX-Current-URL", "")
        if current and url_has_allowed_host_and_scheme(current, allowed_hosts={request.get_host()}):
            parts = urlsplit(current)
            back = parts.path + (f"?{parts.query}" if parts.query else "")
        else:
            back = "/"
        redirected = HttpResponse(status=200)
        redirected["HX-Redirect"] = f"{login_path}?{urlencode({'next': back})}"
        return redirected


class SessionIdleTimeoutMiddleware:
    """After authentication: a signed-in session unused for ``SESSION_IDLE_TIMEOUT`` seconds is
    ended (the user signs in again). The last-seen time is rewritten at most once a minute, so
    a busy page does not write the session on every request."""

    KEY = "_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        timeout = settings.SESSION_IDLE_TIMEOUT
        if timeout and user is not None and user.is_authenticated and hasattr(request, "session") \
                and "_auth_user_id" in request.session:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - int(last) > timeout:
                logout(request)
            elif last is None or now - int(last) >= 60:
                request.session[self.KEY] = now
        return self.get_response(request)
