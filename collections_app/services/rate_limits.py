"""A rate shared by every process (docs/messages.md, "Exactly once"): how many sends a provider
takes per second or per minute, counted in the cache (Redis in production, so every Celery worker
counts against the same window; the embedded default's local memory is one process, which is all
it runs). Celery's own ``rate_limit`` is per worker: with 20 workers it would allow 20 times the rate.
"""
from __future__ import annotations

from django.core.cache import cache

WINDOWS = {"s": 1, "m": 60, "h": 3600}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"20/s"`` → (20, 1): sends allowed, window in seconds. ``/m`` and ``/h`` too."""
    try:
        count, unit = rate.strip().split("/")
        count_n, window = int(count), WINDOWS[unit.strip().lower()[:1]]
    except (ValueError, KeyError):
        raise ValueError(f"a rate is N/s, N/m or N/h, not {rate!r}") from None
    if count_n < 1:
        raise ValueError(f"a rate allows at least one send, not {rate!r}")
    return count_n, window


def take_slot(*, key: str, rate: str, now: float) -> float:
    """Take one send of ``key``'s ``rate`` in the window holding ``now`` (a Unix time). Returns 0 when
    taken, else the seconds until the next window opens (nothing taken)."""
    count, window = parse_rate(rate)
    index = int(now // window)
    bucket = f"rate:{key}:{window}:{index}"
    cache.add(bucket, 0, timeout=window * 2)
    try:
        used = cache.incr(bucket)
    except ValueError:  # expired between add and incr: a new window
        cache.add(bucket, 1, timeout=window * 2)
        used = 1
    if used <= count:
        return 0.0
    return (index + 1) * window - now
