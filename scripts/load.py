#!/usr/bin/env python3
"""``make load``: LOAD_USERS logged-in users for LOAD_SECONDS on gunicorn + PostgreSQL, on loopback.

1. Drops and recreates the load database LOAD_DATABASE_URL (its name must contain "load": nothing else
   is ever dropped), migrates it and seeds it: ``seed_demo`` with enough enterprises per county for
   LOAD_ENTERPRISES in all (its figures, qualifications, milestones, visits and rewards, bulk-inserted),
   a third of the rewards waiting for review (the reviewers' queue), and the load run's own accounts
   (one per simulated user: county officials spread over the counties, tech reviewers).
   LOAD_REUSE_DB=1 keeps a database a previous run seeded (for reruns; the pages' data is the same).
2. Collects the static files and starts gunicorn on 127.0.0.1 on a free port under the production
   settings (DEBUG off, whitenoise's manifest, a random SECRET_KEY; plain HTTP allowed: loopback only),
   with LOAD_WEB_WORKERS processes × LOAD_WEB_THREADS threads and gunicorn's timeout LOAD_WEB_TIMEOUT
   (and REDIS_URL LOAD_REDIS_URL, default redis://127.0.0.1:6379/6, for the cache).
3. Runs locust headless (scripts/load_locustfile.py): LOAD_USERS users, LOAD_REVIEWERS of them tech
   reviewers and the rest county officials, started LOAD_SPAWN_RATE a second, each logging in through
   the log-in form and then visiting a page every LOAD_THINK_MIN..LOAD_THINK_MAX seconds, each request
   with a timeout of LOAD_REQUEST_TIMEOUT seconds.
4. Prints one line per page and a total line (requests, errors, p50_ms, p95_ms), then always stops
   gunicorn and its workers (Ctrl-C too). Exits 1 on any error (a response that is not HTTP 200 and the
   page asked for), 2 when it refuses to start.

The database is left in place afterwards (to look at); the next run drops it.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_report import ACCOUNT_PASSWORD, COUNTY_PREFIX, REVIEWER_PREFIX, account_name  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/anyang_hte_load"


class Refused(Exception):
    """The run cannot start (a wrong setting): said plainly, exit 2."""


def _int(name: str, default: int, low: int = 1) -> int:
    raw = os.environ.get(name, "") or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise Refused(f"{name}={raw!r} is not a whole number") from None
    if value < low:
        raise Refused(f"{name} must be at least {low}, not {value}")
    return value


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "") or str(default)
    try:
        value = float(raw)
    except ValueError:
        raise Refused(f"{name}={raw!r} is not a number") from None
    if not 0 <= value < 3600:
        raise Refused(f"{name} must be between 0 and 3600, not {value}")
    return value


def scratch_database_url(variable: str, default: str, word: str, example: str) -> str:
    """The PostgreSQL URL in ``variable`` (else ``default``) of a database a run may drop and recreate:
    refused unless its name contains ``word``, so that no other database is taken by mistake."""
    url = os.environ.get(variable, "") or default
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise Refused(f"{variable} must be a PostgreSQL URL, not {parts.scheme or url!r}")
    if word not in name.lower():
        raise Refused(
            f"{variable} names the database {name!r}: the run may drop and recreate its database, so its "
            f"name must contain {word!r} (e.g. {example})"
        )
    return url


def load_database_url() -> str:
    return scratch_database_url("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL, "load", "anyang_hte_load")


# --- the database ------------------------------------------------------------------------------------


def _maintenance(url: str):
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password or None,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        connect_timeout=10,
    )
    conn.autocommit = True
    return conn, parts.path.lstrip("/")


def recreate_database(url: str) -> None:
    conn, name = _maintenance(url)
    with contextlib.closing(conn), conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')


def database_exists(url: str) -> bool:
    conn, name = _maintenance(url)
    with contextlib.closing(conn), conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def _django(url: str) -> None:
    """Django on the load database with the development settings (seed_demo refuses production's)."""
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # the seed's follow-up jobs run in-process
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"  # the seed's mails
    os.environ["DJANGO_SETTINGS_MODULE"] = "anyang_hte.settings.dev"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seeded_before(users: int, reviewers: int) -> bool:
    from anyang_hte.core.models import User

    names = {account_name(COUNTY_PREFIX, users - reviewers), account_name(REVIEWER_PREFIX, reviewers)}
    return User.objects.filter(username__in=names).count() == len(names)


def seed(enterprises: int, users: int, reviewers: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from anyang_hte.core.models import Jurisdiction
    from enterprises.demo import MAX_PER_JURISDICTION

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    counties = Jurisdiction.objects.count()
    per_county = math.ceil(enterprises / counties)
    if per_county > MAX_PER_JURISDICTION:
        raise Refused(
            f"LOAD_ENTERPRISES={enterprises}: seed_demo makes at most {MAX_PER_JURISDICTION} per county, "
            f"{MAX_PER_JURISDICTION * counties} in all"
        )
    out = io.StringIO()
    call_command("seed_demo", enterprises_per_jurisdiction=per_county, stdout=out)
    submitted = _queue_rewards(_accounts(users, reviewers))
    with connection.cursor() as cursor:  # what autovacuum would do after a bulk load: the planner's
        cursor.execute("VACUUM ANALYZE")  # statistics and the visibility map
    print(
        f"load: seeded {per_county * counties} enterprises ({per_county} per county), {submitted} rewards "
        f"waiting for review, {users - reviewers} county and {reviewers} reviewer accounts "
        f"in {time.monotonic() - started:.0f}s",
        flush=True,
    )


def _accounts(users: int, reviewers: int) -> dict:
    """One account per simulated user (one password hash for all: a hash per account would take a
    second each); a TOTP device for each when django-otp is installed. Returns a county's first official
    by jurisdiction id."""
    from django.apps import apps
    from django.contrib.auth.hashers import make_password

    from anyang_hte.core.models import Jurisdiction, User
    from anyang_hte.core.roles import Role

    hashed = make_password(ACCOUNT_PASSWORD)
    counties = list(Jurisdiction.objects.order_by("sort_order", "pk"))
    officials = [
        User(username=account_name(COUNTY_PREFIX, n), password=hashed, role=Role.COUNTY_OFFICIAL,
             jurisdiction=counties[(n - 1) % len(counties)], display_name=f"压测县区用户{n}")
        for n in range(1, users - reviewers + 1)
    ]  # fmt: skip
    bureau = [
        User(username=account_name(REVIEWER_PREFIX, n), password=hashed, role=Role.TECH_REVIEWER,
             display_name=f"压测审核员{n}")
        for n in range(1, reviewers + 1)
    ]  # fmt: skip
    created = User.objects.bulk_create(officials + bureau)
    if apps.is_installed("django_otp.plugins.otp_totp"):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.bulk_create(TOTPDevice(user=u, name="load", confirmed=True) for u in created)
    first = {}
    for user in created[: len(officials)]:
        first.setdefault(user.jurisdiction_id, user)
    return first


def _queue_rewards(officials: dict) -> int:
    """A third of the rewards waiting to be claimed are submitted by their county (status, who, when and
    the decision row, as the reward_submit service records them; written in bulk, not one by one)."""
    from django.utils import timezone

    from anyang_hte.core.roles import Role
    from incentives.models import Reward, RewardDecision

    now = timezone.now()
    generated = Reward.objects.filter(status=Reward.Status.GENERATED, jurisdiction_id__in=officials)
    rows = list(generated.order_by("pk").values_list("pk", "jurisdiction_id"))[::3]
    for jurisdiction_id, official in officials.items():
        ids = [pk for pk, j in rows if j == jurisdiction_id]
        Reward.objects.filter(pk__in=ids).update(
            status=Reward.Status.SUBMITTED, submitted_by=official, submitted_at=now
        )
        RewardDecision.objects.bulk_create(
            RewardDecision(reward_id=pk, from_status=Reward.Status.GENERATED, by=official,
                           to_status=Reward.Status.SUBMITTED, role=Role.COUNTY_OFFICIAL)
            for pk in ids
        )  # fmt: skip
    return len(rows)


# --- gunicorn ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(url: str, workers: int, threads: int) -> dict[str, str]:
    """The production settings' environment for a loopback run over plain HTTP."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="anyang_hte.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=url,
        REDIS_URL=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/6"),
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",  # an error mail lands in the log
        PORTAL_PLAIN_HTTP="1",
        PORTAL_PLAIN_HTTP_REASON="make load: gunicorn on 127.0.0.1 only",
        WEB_WORKERS=str(workers),
        WEB_THREADS=str(threads),
    )
    env.pop("DEBUG", None)
    return env


def collect_static(env: dict[str, str]) -> None:
    """collectstatic (whitenoise's manifest, which the production settings need), unless nothing under
    static/ changed since the last one: it post-processes every file again (~45 s on a busy machine)."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    sources = (p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file())
    if manifest.exists() and manifest.stat().st_mtime >= max(sources, default=0):
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


def start_gunicorn(env, port: int, workers: int, threads: int, timeout: int, keep_alive: int, log: Path):
    """gunicorn with gthread workers. Its keep-alive outlasts a user's think time: gunicorn's default (2 s)
    would close a user's idle connection just as the next request goes out on it ("connection reset",
    an artefact of the client; in production the reverse proxy holds the browsers' connections)."""
    command = [
        str(VENV_BIN / "gunicorn"), "anyang_hte.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
        "--timeout", str(timeout), "--graceful-timeout", "10", "--keep-alive", str(keep_alive),
        "--log-level", "warning",
    ]  # fmt: skip
    with log.open("ab") as out:  # its own session: Ctrl-C reaches the driver, which then stops it
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)


def wait_ready(process, base: str, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Refused(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise Refused(f"gunicorn did not answer within {seconds:.0f}s:\n{_tail(log)}")


def stop(process, grace: float = 15) -> None:
    """Stop gunicorn and its workers (its whole process group): TERM, then KILL after ``grace``."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- the run -----------------------------------------------------------------------------------------


def run_locust(base: str, url: str, users: int, reviewers: int, seconds: int, timeout: float) -> int:
    env = dict(os.environ)
    env.update(
        LOAD_REVIEWERS=str(reviewers),
        LOAD_REQUEST_TIMEOUT=str(timeout),
        LOAD_PASSWORD=ACCOUNT_PASSWORD,
        DATABASE_URL=url,  # only totp_code reads it
        DJANGO_SETTINGS_MODULE="anyang_hte.settings.dev",
    )
    env.pop("REDIS_URL", None)
    spawn_rate = os.environ.get("LOAD_SPAWN_RATE", "") or "1"
    command = [
        str(VENV_BIN / "locust"), "-f", str(ROOT / "scripts" / "load_locustfile.py"), "--headless",
        "--users", str(users), "--spawn-rate", spawn_rate, "--run-time", f"{seconds}s", "--host", base,
        "--stop-timeout", str(math.ceil(timeout)), "--only-summary", "--skip-log-setup",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        return process.wait()
    except BaseException as stopped:  # Ctrl-C (locust got it too) or a TERM to this script
        _stop_locust(process, grace=3 if isinstance(stopped, KeyboardInterrupt) else 0, timeout=timeout)
        raise


def _stop_locust(process, grace: float, timeout: float) -> None:
    """Let locust stop its users and print what it measured: it stops on the terminal's Ctrl-C by
    itself; after ``grace`` seconds it is sent a TERM (its orderly shutdown), and killed if it is still
    running once the requests in flight had their timeout."""
    for signal_to_send, wait in ((None, grace), (signal.SIGTERM, timeout + 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        if signal_to_send is not None:
            process.send_signal(signal_to_send)
        with contextlib.suppress(subprocess.TimeoutExpired, KeyboardInterrupt):
            process.wait(wait)


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a TERM also stops gunicorn (finally)
    try:
        url = load_database_url()
        enterprises = _int("LOAD_ENTERPRISES", 5000)
        users = _int("LOAD_USERS", 50)
        reviewers = _int("LOAD_REVIEWERS", max(1, users // 5))
        if reviewers >= users:
            raise Refused(f"LOAD_REVIEWERS ({reviewers}) must be fewer than LOAD_USERS ({users})")
        seconds = _int("LOAD_SECONDS", 600)
        workers = _int("LOAD_WEB_WORKERS", 3)
        threads = _int("LOAD_WEB_THREADS", 4)
        web_timeout = _int("LOAD_WEB_TIMEOUT", 60)
        request_timeout = float(_int("LOAD_REQUEST_TIMEOUT", 30))
        think = [_seconds("LOAD_THINK_MIN", 3), _seconds("LOAD_THINK_MAX", 12)]  # read by the locustfile
        if think[0] > think[1]:
            raise Refused(f"LOAD_THINK_MIN ({think[0]}) is more than LOAD_THINK_MAX ({think[1]})")
        _seconds("LOAD_SPAWN_RATE", 1)  # users started a second (read by locust)
        if shutil.which("locust", path=str(VENV_BIN)) is None:
            raise Refused(f"locust is not installed in {VENV_BIN} (make install installs the dev extras)")

        if os.environ.get("LOAD_REUSE_DB") == "1" and database_exists(url):
            _django(url)
            if not seeded_before(users, reviewers):
                raise Refused(
                    "LOAD_REUSE_DB=1 but the load database lacks this run's accounts: run without it"
                )
            print("load: reusing the seeded load database", flush=True)
        else:
            recreate_database(url)
            _django(url)
            seed(enterprises, users, reviewers)
        from django.db import connections

        connections.close_all()
    except Refused as refusal:
        print(f"load: refused: {refusal}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("load: interrupted while seeding", file=sys.stderr)
        return 130

    env = production_env(url, workers, threads)
    collect_static(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.gettempdir()) / f"anyang-load-gunicorn-{port}.log"
    gunicorn = None
    try:
        keep_alive = math.ceil(think[1]) + 10
        gunicorn = start_gunicorn(env, port, workers, threads, web_timeout, keep_alive, log)
        wait_ready(gunicorn, base, log)
        print(
            f"load: gunicorn at {base} ({workers} workers × {threads} threads, timeout {web_timeout}s, "
            f"production settings), log {log}; {users} users ({users - reviewers} county officials, "
            f"{reviewers} reviewers) for {seconds}s",
            flush=True,
        )
        code = run_locust(base, url, users, reviewers, seconds, request_timeout)
        if code != 0:
            print(f"load: errors (exit {code}); gunicorn's log {log} ends with:\n{_tail(log)}", flush=True)
        return 1 if code else 0
    except Refused as refusal:
        print(f"load: refused: {refusal}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("load: interrupted", file=sys.stderr)
        return 130
    finally:
        stop(gunicorn)
        if gunicorn is not None:
            print("load: gunicorn stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
