"""What a locked-out client is told (django-axes calls ``lockout_response``, AXES_LOCKOUT_CALLABLE).

Lockout is by account and by client address (``AXES_LOCKOUT_PARAMETERS``): after
``AXES_FAILURE_LIMIT`` wrong passwords, even the right one is refused until the cool-off ends or
an admin unlocks it (admin "Access attempts" → delete, or ``manage.py axes_reset_username NAME`` /
``axes_reset_ip ADDRESS``); see README.md, "Sign-in protection".
"""
from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_message(minutes: int | None) -> str:
    if minutes:
        return _(
            "Too many failed sign-in attempts for this account or from this address. "
            "Try again in %(minutes)d minutes, or ask an administrator to unlock it."
        ) % {"minutes": minutes}
    return _(
        "Too many failed sign-in attempts for this account or from this address. "
        "Ask an administrator to unlock it."
    )


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    message = lockout_message(math.ceil(seconds / 60) if seconds else None)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(
            request, "accounts/login.html",
            {"lockout_message": message, "next": request.POST.get("next", "")}, status=429,
        )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
