"""The pure parts of ``make load`` (scripts/load.py, scripts/load_locustfile.py): no Django, no locust.

What a response must look like to count as the page asked for, how a log-in is recognised, and the
summary the run prints: one line per page and a total line,

    page ledger requests 1234 errors 0 p50_ms 85 p95_ms 240

p50/p95 are nearest-rank percentiles of the measured times in milliseconds (the smallest time that at
least 50 % / 95 % of the requests took no longer than), computed from every request, not from buckets.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

LOGIN_PATH = "/accounts/login/"
SECOND_FACTOR_PATH = "/accounts/2fa/"

# What each page must contain besides HTTP 200 (the portal is Chinese unless a user chose English):
# its <title> or a mark of its template that neither the log-in page nor an error page has.
PAGE_MARKERS: dict[str, str] = {
    "login": "",  # the log-in's own checks: landed on the role's start page, not the form again
    "ledger": "<title>培育台账 · ",
    "ledger_filtered": "<title>培育台账 · ",
    "ledger_search": "<title>培育台账 · ",
    "enterprise": 'data-testid="stage"',
    "dashboard": 'data-testid="dashboard-numbers"',  # the city's, a reviewer's
    "county_dashboard": 'data-testid="indicators"',  # a county official's: /assessment/ redirects there
    "reward_queue": "<title>奖励兑现 · ",
}

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrfmiddlewaretoken"[^>]*>')
_VALUE = re.compile(r'value="([^"]+)"')
_PASSWORD_INPUT = re.compile(r'<input[^>]*name="password"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on the page ('' if there is none)."""
    found = _CSRF_INPUT.search(html)
    value = _VALUE.search(found.group(0)) if found else None
    return value.group(1) if value else ""


def looks_like_login(url: str, html: str) -> bool:
    """True when a response is the log-in form: the session was lost or the log-in was refused."""
    return urlsplit(url or "").path.startswith(LOGIN_PATH) or bool(_PASSWORD_INPUT.search(html or ""))


def needs_second_factor(url: str) -> bool:
    """True when the password was accepted and the portal asks for the TOTP code (or its enrolment)."""
    return SECOND_FACTOR_PATH in urlsplit(url or "").path


def page_problem(page: str, status: int, url: str, html: str, expected_path: str = "") -> str:
    """Why a response is not the page asked for ('' when it is): not 200, the log-in or two-factor page,
    another path than expected (a redirect elsewhere; a trailing "*" accepts any path it begins), or the
    page's mark missing (an error page)."""
    if status != 200:
        return f"HTTP {status}"
    if looks_like_login(url, html):
        return "the log-in page instead (session lost?)"
    if needs_second_factor(url):
        return "the two-factor page instead"
    path = urlsplit(url or "").path
    if expected_path.endswith("*"):
        if not path.startswith(expected_path[:-1]):
            return f"landed on {path}, expected {expected_path}"
    elif expected_path and path != expected_path:
        return f"landed on {path}, expected {expected_path}"
    marker = PAGE_MARKERS.get(page, "")
    if marker and marker not in html:
        return f"not the {page} page (no {marker!r})"
    return ""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 < q <= 100) of ``values``; 0.0 for no values."""
    if not values:
        return 0.0
    if not 0 < q <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {q}")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class PageSummary:
    name: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float

    def line(self) -> str:
        kind = "total" if self.name == "total" else f"page {self.name}"
        return (
            f"{kind} requests {self.requests} errors {self.errors} "
            f"p50_ms {self.p50_ms:.0f} p95_ms {self.p95_ms:.0f}"
        )


def _summary(name: str, samples: list[tuple[str, float, bool]]) -> PageSummary:
    times = [ms for _name, ms, _failed in samples]
    return PageSummary(
        name=name,
        requests=len(samples),
        errors=sum(1 for _name, _ms, failed in samples if failed),
        p50_ms=percentile(times, 50),
        p95_ms=percentile(times, 95),
    )


def summarise(samples: list[tuple[str, float, bool]]) -> list[PageSummary]:
    """One summary per page name (sorted by name), then the total: from (page, milliseconds, failed)."""
    pages = sorted({name for name, _ms, _failed in samples})
    per_page = [_summary(name, [s for s in samples if s[0] == name]) for name in pages]
    return [*per_page, _summary("total", samples)]


# --- what a user reads off a page to choose the next one (the links and the filter form's choices) ---

_ENTERPRISE_LINK = re.compile(r'href="/ledger/(\d+)/">([^<]+)<')
_PAGE_LINK = re.compile(r"(?:[?&]|&amp;)page=(\d+)")


def enterprise_links(html: str) -> list[tuple[int, str]]:
    """The ledger rows' (id, name) as linked from the list."""
    return [(int(pk), name.strip()) for pk, name in _ENTERPRISE_LINK.findall(html)]


def select_options(html: str, name: str) -> list[str]:
    """The non-empty option values of the form's ``<select name="…">`` ([] if it is not there)."""
    found = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    return [v for v in re.findall(r'<option value="([^"]*)"', found.group(1)) if v] if found else []


def last_page(html: str) -> int:
    """The highest page number the pager links to (1 when there is no pager)."""
    return max((int(n) for n in _PAGE_LINK.findall(html)), default=1)


# --- the load run's own accounts (created by scripts/load.py in the load database only) ---------------

ACCOUNT_PASSWORD = "Anyang-load-2017"  # every load account's; the database is dropped at the next run
COUNTY_PREFIX = "load_county_"
REVIEWER_PREFIX = "load_reviewer_"


def account_name(prefix: str, number: int) -> str:
    return f"{prefix}{number:03d}"
