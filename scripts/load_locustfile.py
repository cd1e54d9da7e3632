"""The users of ``make load`` (run by scripts/load.py through locust's headless CLI; not run on its own).

Two kinds of logged-in user, each on its own account of the load database (scripts/load.py made them):
county officials (the ledger, a filtered ledger, a search, an enterprise page, the dashboard) and tech
reviewers (the reward queue, filtered and paged, and the dashboard). Each logs in through the real
log-in form (CSRF token, then the second factor when the portal asks for it), then works with a bounded
think time between pages. A response counts only when it is HTTP 200 AND the page asked for (not the
log-in page, not an error page: scripts/load_report.page_problem). At the end one line per page and a
total line are printed, and the exit code is 1 on any error.

Environment (scripts/load.py sets it): LOAD_REVIEWERS (reviewer users; the rest are county officials),
LOAD_THINK_MIN / LOAD_THINK_MAX (seconds between a user's pages), LOAD_REQUEST_TIMEOUT (seconds per
request), LOAD_PASSWORD, and DATABASE_URL (the load database: only ``totp_code`` reads it).
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import random
import sys
import threading
from collections import Counter
from pathlib import Path

from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_report import (  # noqa: E402  (the folder above is put on the path first)
    ACCOUNT_PASSWORD,
    COUNTY_PREFIX,
    LOGIN_PATH,
    REVIEWER_PREFIX,
    account_name,
    csrf_token,
    enterprise_links,
    last_page,
    looks_like_login,
    needs_second_factor,
    page_problem,
    select_options,
    summarise,
)

REQUEST_TIMEOUT = float(os.environ.get("LOAD_REQUEST_TIMEOUT", "30"))
THINK_MIN = float(os.environ.get("LOAD_THINK_MIN", "3"))
THINK_MAX = float(os.environ.get("LOAD_THINK_MAX", "12"))
PASSWORD = os.environ.get("LOAD_PASSWORD", ACCOUNT_PASSWORD)

SAMPLES: list[tuple[str, float, bool]] = []  # (page, milliseconds, failed) of every request
ERRORS: Counter[str] = Counter()  # "page: why" → how many times
TASK_ERRORS: Counter[str] = Counter()  # an exception in a user's own code (a bug here, not a response)


@events.request.add_listener
def _record(name, response_time, exception, **_kwargs):
    SAMPLES.append((name, float(response_time), exception is not None))
    if exception is not None:
        ERRORS[f"{name}: {exception}"] += 1


@events.user_error.add_listener
def _record_task_error(user_instance, exception, tb, **_kwargs):
    TASK_ERRORS[f"{type(user_instance).__name__}: {exception!r}"] += 1


@events.quitting.add_listener
def _report(environment, **_kwargs):
    print()
    for summary in summarise(SAMPLES):
        print(summary.line())
    if TASK_ERRORS:
        print(f"task_errors {sum(TASK_ERRORS.values())}")
    for why, count in (ERRORS + TASK_ERRORS).most_common(20):
        print(f"error x{count} {why}")
    failed = not SAMPLES or bool(TASK_ERRORS) or any(failed for _name, _ms, failed in SAMPLES)
    environment.process_exit_code = 1 if failed else 0


# --- the second factor -----------------------------------------------------------------------------

_django_ready = threading.Lock()  # gevent patches it into a lock between greenlets


def _django() -> None:
    with _django_ready:
        import django
        from django.apps import apps

        if not apps.ready:
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anyang_hte.settings.dev")
            sys.path.insert(0, str(ROOT))
            django.setup()


def totp_code(username: str) -> str:
    """The current TOTP code of ``username``, for the page at /accounts/2fa/ that asks for it.

    Reads the user's confirmed TOTPDevice (django-otp) from the load database (DATABASE_URL); the demo
    accounts' fixed demo key, once the two-factor log-in is merged, is wired here.
    """
    if importlib.util.find_spec("django_otp") is None:
        raise RuntimeError(
            "the portal asks for a second factor but django-otp is not installed in this venv, "
            "so the load script cannot compute the TOTP code"
        )
    _django()
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        raise RuntimeError(f"{username} has no confirmed TOTP device in the load database")
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return str(code).zfill(device.digits)


# --- the log-in --------------------------------------------------------------------------------------


def log_in(client, username: str, password: str) -> str | None:
    """Log ``username`` in through the real form: GET it (CSRF token), POST the password and, when the
    answer lands under /accounts/2fa/, POST ``totp_code(username)`` to that page. Each request is
    recorded as page "login"; returns the HTML of the page the portal lands on (the role's start page),
    or None when the log-in failed (the failure is recorded with its reason)."""
    with client.get(LOGIN_PATH, name="login", timeout=REQUEST_TIMEOUT, catch_response=True) as resp:
        token = csrf_token(resp.text or "")
        if resp.status_code != 200 or not token:
            resp.failure(resp.error or f"HTTP {resp.status_code}, no log-in form with a CSRF token")
            return None
        resp.success()
    form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
    with client.post(
        LOGIN_PATH, data=form, name="login", timeout=REQUEST_TIMEOUT, catch_response=True
    ) as resp:
        if resp.status_code == 200 and needs_second_factor(resp.url):
            try:
                code = totp_code(username)
                # the field is ``otp_token`` (django-otp's name) or ``code`` (the two-factor branch's form)
                form = {"csrfmiddlewaretoken": csrf_token(resp.text), "otp_token": code, "code": code}
            except Exception as exc:  # noqa: BLE001 (any reason is recorded as this log-in's failure)
                resp.failure(f"second factor for {username}: {exc}")
                return None
            resp.success()
            second_factor_url = resp.url
        else:
            return _landed(resp, username)
    with client.post(
        second_factor_url, data=form, name="login", timeout=REQUEST_TIMEOUT, catch_response=True
    ) as resp:
        return _landed(resp, username)


def _landed(resp, username: str) -> str | None:
    if resp.status_code == 200 and looks_like_login(resp.url, resp.text or ""):
        problem = f"log-in refused for {username}"
    elif resp.status_code == 200 and needs_second_factor(resp.url):
        problem = f"second factor refused for {username} (or asked again)"
    else:
        problem = resp.error or page_problem("login", resp.status_code, resp.url, resp.text or "")
    if problem:
        resp.failure(str(problem))
        return None
    resp.success()
    return resp.text


# --- the users ---------------------------------------------------------------------------------------


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(THINK_MIN, THINK_MAX)
    prefix = ""
    numbers: itertools.count

    def on_start(self):
        self.username = account_name(self.prefix, next(type(self).numbers))
        self.client.headers["Accept-Language"] = "zh-hans"
        self.logged_in = False
        self.ensure_logged_in()

    def ensure_logged_in(self) -> bool:
        if not self.logged_in:
            self.client.cookies.clear()
            landing = log_in(self.client, self.username, PASSWORD)
            self.logged_in = landing is not None
            if landing is not None:
                self.read(landing, unfiltered=True)  # each role lands on its unfiltered list
        return self.logged_in

    def read(self, html: str, *, unfiltered: bool) -> None:
        """Note what the page offers to go to next (links, the filter form's choices, the pages)."""

    def visit(
        self, page: str, path: str, params: dict | None = None, *, unfiltered=False, lands_on: str = ""
    ) -> str | None:
        """GET a page and check it is the one asked for (landing on ``lands_on`` when it redirects);
        returns its HTML (None on an error)."""
        if not self.ensure_logged_in():
            return None
        expected_path = lands_on or path
        with self.client.get(
            path, params=params or None, name=page, timeout=REQUEST_TIMEOUT, catch_response=True
        ) as resp:
            html = resp.text or ""
            problem = resp.error or page_problem(page, resp.status_code, resp.url, html, expected_path)
            if problem:
                resp.failure(str(problem))
                if resp.status_code == 200 and looks_like_login(resp.url, html):
                    self.logged_in = False  # log in again before the next page
                return None
            resp.success()
        self.read(html, unfiltered=unfiltered)
        return html


class CountyOfficial(PortalUser):
    """A county office's official: keeps the ledger of the county."""

    weight = 1
    prefix = COUNTY_PREFIX
    numbers = itertools.count(1)

    def on_start(self):
        self.enterprises: list[tuple[int, str]] = []
        self.choices: dict[str, list[str]] = {}
        self.pages = 1
        super().on_start()

    def read(self, html: str, *, unfiltered: bool) -> None:
        rows = enterprise_links(html)
        if rows:
            self.enterprises = (rows + self.enterprises)[:200]
        for name in ("stage", "tech_field", "readiness", "overdue", "expiring"):
            options = select_options(html, name)
            if options:
                self.choices[name] = options
        if unfiltered:
            self.pages = max(self.pages, last_page(html))

    @task(3)
    def ledger(self):
        page = random.randint(1, self.pages)
        self.visit("ledger", "/ledger/", {"page": page} if page > 1 else None, unfiltered=True)

    @task(2)
    def ledger_filtered(self):
        names = random.sample(sorted(self.choices), k=min(2, len(self.choices)))
        self.visit("ledger_filtered", "/ledger/", {n: random.choice(self.choices[n]) for n in names})

    @task(2)
    def ledger_search(self):
        if not self.enterprises:
            return self.ledger()
        name = random.choice(self.enterprises)[1]
        start = random.randrange(0, max(1, len(name) - 4))
        self.visit("ledger_search", "/ledger/", {"q": name[start : start + random.randint(2, 4)]})

    @task(3)
    def enterprise(self):
        if not self.enterprises:
            return self.ledger()
        pk, _name = random.choice(self.enterprises)
        self.visit("enterprise", f"/ledger/{pk}/")

    @task(1)
    def county_dashboard(self):
        """The menu's 考核监测: a county official's /assessment/ is the county's own page."""
        self.visit("county_dashboard", "/assessment/", lands_on="/assessment/jurisdictions/*")


class TechReviewer(PortalUser):
    """The city tech bureau's reviewer: works through the reward queue."""

    fixed_count = int(os.environ.get("LOAD_REVIEWERS", "10"))
    prefix = REVIEWER_PREFIX
    numbers = itertools.count(1)

    def on_start(self):
        self.choices: dict[str, list[str]] = {}
        self.pages = 1
        super().on_start()

    def read(self, html: str, *, unfiltered: bool) -> None:
        for name in ("jurisdiction", "rule", "overdue"):
            options = select_options(html, name)
            if options:
                self.choices[name] = options
        if unfiltered:
            self.pages = max(self.pages, last_page(html))

    @task(4)
    def reward_queue(self):
        """The queue of submitted rewards: its first page, a later page, or narrowed by a filter."""
        params, roll = {"status": "submitted"}, random.random()
        if self.choices and roll < 0.4:
            name = random.choice(sorted(self.choices))
            params[name] = random.choice(self.choices[name])
        elif self.pages > 1 and roll < 0.7:
            params["page"] = random.randint(2, self.pages)
        self.visit("reward_queue", "/rewards/", params, unfiltered=len(params) == 1)

    @task(1)
    def dashboard(self):
        self.visit("dashboard", "/assessment/")
