"""The limits on the public self-registration page: django-axes' lock-out, and a count per IP address.

Registration is a door without a log-in, so it is held like the log-in: an address that axes has locked
out after failed log-ins cannot register either, and one address may register at most
``FIRM_REGISTRATION_LIMIT`` times in ``FIRM_REGISTRATION_WINDOW`` seconds (counted in the shared cache;
every submitted attempt counts, refused or not, so the page cannot be used to probe credit codes).
"""

import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from anyang_hte.core import throttle
from anyang_hte.core.errors import DomainError
from anyang_hte.core.throttle import client_ip

CACHE_PREFIX = "firms:registration:"
__all__ = ["client_ip", "count_attempt", "ensure_registration_allowed", "ensure_within_limit"]


def _ip_locked_out(request, ip: str) -> bool:
    """Whether axes has locked this address out: for the name typed here, or for any name at all
    (the log-in locks a name and an address together; a register page that accepted a locked address
    under a fresh name would be a way round the lock)."""
    if not ip:
        return False
    limit = get_failure_limit(request, None)
    attempts = AccessAttempt.objects.filter(ip_address=ip, failures_since_start__gte=limit)
    cool_off = get_cool_off(request)
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts.exists()


def ensure_not_locked_out(request, *, username: str = "") -> None:
    """Refuse an address (or the name typed from it) that axes has locked out after failed log-ins."""
    credentials = {"username": username} if username else None
    if AxesProxyHandler.is_locked(request, credentials) or _ip_locked_out(request, client_ip(request)):
        cool_off = get_cool_off(request)
        minutes = int(cool_off.total_seconds() // 60) if cool_off else None
        raise DomainError(
            _("登录失败次数过多，本机已被暂时锁定，锁定期间不能注册。请 %(minutes)s 分钟后再试。")
            % {"minutes": minutes}
            if minutes
            else _("登录失败次数过多，本机已被锁定，不能注册。请联系系统管理员解除锁定。")
        )


def _stamps(ip: str) -> list[float]:
    return throttle.recent(CACHE_PREFIX, ip, window=settings.FIRM_REGISTRATION_WINDOW)


def ensure_within_limit(ip: str) -> None:
    """Refuse when this address has used up its registrations for the window; say when it may retry."""
    stamps = _stamps(ip)
    if len(stamps) >= settings.FIRM_REGISTRATION_LIMIT:
        retry_at = datetime.datetime.fromtimestamp(
            min(stamps) + settings.FIRM_REGISTRATION_WINDOW, tz=datetime.UTC
        )
        raise DomainError(
            _("本机提交注册过于频繁（%(minutes)s 分钟内最多 %(n)s 次），请于 %(when)s 之后再试。")
            % {
                "n": settings.FIRM_REGISTRATION_LIMIT,
                "minutes": settings.FIRM_REGISTRATION_WINDOW // 60,
                "when": date_format(timezone.localtime(retry_at), "Y-m-d H:i"),
            }
        )


def count_attempt(ip: str) -> None:
    """One more submitted registration from ``ip`` in the window."""
    throttle.record(CACHE_PREFIX, ip, window=settings.FIRM_REGISTRATION_WINDOW)


def ensure_registration_allowed(request, *, username: str = "") -> None:
    """Both limits, before anything is checked or written; a refused attempt is not counted again."""
    ensure_not_locked_out(request, username=username)
    ip = client_ip(request)
    ensure_within_limit(ip)
    count_attempt(ip)
