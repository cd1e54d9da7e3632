"""A count of requests per key (a client's IP address) in a sliding window, kept in the shared cache.

Used by the doors without a log-in: a firm's self-registration (firms/throttle.py) and the public 公示
pages (incentives/public_views.py). The stamps of one key are a list in one cache entry; a key that
has used up its ``limit`` in the last ``window`` seconds is refused until the oldest stamp ages out.
"""

import time

from axes.helpers import get_client_ip_address
from django.core.cache import cache


def client_ip(request) -> str:
    """The address axes keys its lock-outs on (the same setting, so every limit sees one address)."""
    return get_client_ip_address(request) or ""


def recent(prefix: str, key: str, *, window: int) -> list[float]:
    """The times (epoch seconds) ``key`` was counted in the last ``window`` seconds."""
    now = time.time()
    return [t for t in cache.get(prefix + key, []) if now - t < window]


def record(prefix: str, key: str, *, window: int) -> list[float]:
    """Count ``key`` once more now; returns its stamps in the window, this one included."""
    stamps = [*recent(prefix, key, window=window), time.time()]
    cache.set(prefix + key, stamps, timeout=window)
    return stamps


def retry_after(stamps: list[float], *, limit: int, window: int) -> float | None:
    """Seconds until ``key`` may go on, when ``stamps`` have used up ``limit``; None when it may now."""
    if len(stamps) < limit:
        return None
    return max(0.0, min(stamps) + window - time.time())


def hit(prefix: str, key: str, *, limit: int, window: int) -> float | None:
    """Count one request of ``key`` unless it is over ``limit``; returns the seconds to wait when it is
    (a refused request is not counted, so a client that waits gets in)."""
    wait = retry_after(recent(prefix, key, window=window), limit=limit, window=window)
    if wait is not None:
        return wait
    record(prefix, key, window=window)
    return None
