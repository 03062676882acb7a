import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils import translation


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
