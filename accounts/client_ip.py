"""The client's address, as the proxies in front of us report it.

Nothing a client sends is trusted by default: with ``TRUSTED_PROXY_COUNT = 0`` (no proxy) the
address is the socket's ``REMOTE_ADDR`` and any ``X-Forwarded-For`` is ignored, so rotating that
header gains an attacker nothing. Behind N proxies that each append the address they received the
request from (nginx ``proxy_add_x_forwarded_for``), the client is the N-th entry from the right of
``CLIENT_IP_HEADER``; everything left of it was written by the client and is ignored.

The login lockout (django-axes, ``AXES_CLIENT_IP_CALLABLE``) and the API throttles both use it.
"""
from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    header = getattr(settings, "CLIENT_IP_HEADER", "HTTP_X_FORWARDED_FOR")
    hops = [h.strip() for h in (request.META.get(header) or "").split(",") if h.strip()]
    if len(hops) < count:
        # fewer hops than proxies: the request did not come through all of them
        return remote
    return hops[-count]
