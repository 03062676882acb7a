"""API rate limits keyed on the real client address, that keep working when the cache is down."""
from __future__ import annotations

import logging

from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError
from rest_framework.throttling import ScopedRateThrottle

from .client_ip import client_ip

log = logging.getLogger(__name__)

# Used only while the shared cache (Redis) cannot be reached: limits then hold per process instead
# of across processes, which still bounds a brute force (and the database-backed login lockout
# still holds across processes) instead of answering 500 or letting everything through.
_fallback_cache = LocMemCache("throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})


class ClientScopedRateThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` keyed on ``accounts.client_ip`` (not the raw X-Forwarded-For), with
    a per-process fallback when the cache raises."""

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:  # cache unreachable (refused, timed out, DNS)
            log.warning("throttle cache unavailable (%s: %s); limiting per process", type(exc).__name__, exc)
            self.cache = _fallback_cache
            return super().allow_request(request, view)
