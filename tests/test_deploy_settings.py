"""Deploy settings: `check --deploy` is clean under production settings (over HTTPS, and over plain HTTP
with a stated reason), sessions end after a working day idle and at browser close, every page carries
the Content-Security-Policy, and no template has what the policy blocks.

The production checks run in a subprocess: production.py reads the environment once, at import.
"""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.test_deployment import PRODUCTION, ROOT, _env, _interpolate, _template_files

BASE_ENV = {"DJANGO_SETTINGS_MODULE": PRODUCTION, "ALLOWED_HOSTS": "hte.example"}


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    """`manage.py check --deploy --fail-level WARNING` under production settings and a random key."""
    base = {k: v for k, v in __import__("os").environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **BASE_ENV, "SECRET_KEY": secrets.token_urlsafe(50), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_python(code: str, **env: str) -> list[str]:
    """Run ``code`` after django.setup() under production settings; its printed lines."""
    base = {k: v for k, v in __import__("os").environ.items() if k in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s\n" + code,
        ],
        cwd=ROOT,
        env={**base, **BASE_ENV, "SECRET_KEY": secrets.token_urlsafe(50), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def production_value(expression: str, **env: str) -> str:
    return production_python(f"print({expression})", **env)[-1]


# --- check --deploy -------------------------------------------------------------------------------


def test_check_deploy_has_no_warnings_over_https():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert production_value(
        "[s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER]"
    ) == str([True, True, True, 31536000, True, False, ("HTTP_X_FORWARDED_PROTO", "https")])


def test_https_behind_the_proxy_and_the_health_check_on_plain_http():
    """What SecurityMiddleware does with the production settings: redirect plain HTTP, trust the proxy's
    X-Forwarded-Proto, send HSTS over HTTPS, and leave /healthz (asked directly, not via the proxy) alone."""
    lines = production_python(
        "from django.test import Client\n"
        "c = Client(HTTP_HOST='hte.example')\n"
        "r = c.get('/ledger/'); print(r.status_code, r['Location'])\n"
        "r = c.get('/ledger/', headers={'X-Forwarded-Proto': 'https'})\n"
        "print(r.status_code, r['Strict-Transport-Security'])\n"
        "from django.middleware.security import SecurityMiddleware as M\n"
        "from django.test import RequestFactory\n"
        "rf = RequestFactory(HTTP_HOST='hte.example'); m = M(lambda r: None)\n"
        "print(m.process_request(rf.get('/healthz')), m.process_request(rf.get('/healthz/')))"
    )
    assert lines[-3:] == [
        "301 https://hte.example/ledger/",
        "302 max-age=31536000; includeSubDomains",  # to the log-in page, over HTTPS
        "None None",  # no redirect
    ]


def test_check_deploy_has_no_warnings_over_plain_http_with_a_reason():
    reason = "内网暂无证书，2027年启用HTTPS"
    result = check_deploy(PORTAL_PLAIN_HTTP="1", PORTAL_PLAIN_HTTP_REASON=reason)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert reason in result.stderr, "the reason is logged at start-up"
    assert production_value(
        "[s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS]",
        PORTAL_PLAIN_HTTP="1",
        PORTAL_PLAIN_HTTP_REASON=reason,
    ) == str([False, False, False, 0])
    # Only what plain HTTP makes moot is silenced: an insecure secret key still warns.
    weak = check_deploy(
        PORTAL_PLAIN_HTTP="1", PORTAL_PLAIN_HTTP_REASON=reason, SECRET_KEY="django-insecure-x"
    )
    assert weak.returncode != 0 and "security.W009" in weak.stderr


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_plain_http_without_a_reason_refuses_to_start(reason):
    env = {"PORTAL_PLAIN_HTTP": "1"} | ({} if reason is None else {"PORTAL_PLAIN_HTTP_REASON": reason})
    result = check_deploy(**env)
    assert result.returncode != 0
    assert "PORTAL_PLAIN_HTTP_REASON" in result.stderr


def test_the_retired_secure_cookies_switch_is_refused_with_its_replacement():
    result = check_deploy(SECURE_COOKIES="0")
    assert result.returncode != 0
    assert "PORTAL_PLAIN_HTTP=1" in result.stderr


def test_hsts_preload_is_a_deliberate_choice():
    assert production_value(
        "[s.SECURE_HSTS_PRELOAD, s.SILENCED_SYSTEM_CHECKS]", SECURE_HSTS_PRELOAD="1"
    ) == str([True, []])
    assert check_deploy(SECURE_HSTS_PRELOAD="1").returncode == 0


def test_check_deploy_warns_when_the_workers_could_exhaust_postgresql():
    result = check_deploy(WEB_WORKERS="20", WEB_THREADS="4", CELERY_CONCURRENCY="8", DB_MAX_CONNECTIONS="100")
    assert result.returncode != 0
    assert (
        "portal.W001" in result.stderr and "90" in result.stderr and "87" in result.stderr
    )  # 80+8+1+1 > 100-13


def _gunicorn_config(env: dict) -> dict:
    """gunicorn.conf.py's settings as gunicorn would read them with ``env`` in the environment."""
    import runpy
    from unittest import mock

    with mock.patch.dict(os.environ, env):
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_compose_sizes_fit_postgresql_and_reach_gunicorn_celery_and_postgres():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    given = {"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "h", "POSTGRES_PASSWORD": "pw", "EMAIL_HOST": "smtp"}
    env = {k: _interpolate(v, given) for k, v in _env(compose["services"]["web"]).items()}
    web = [_interpolate(a, given) for a in compose["services"]["web"]["command"]]
    db = [_interpolate(a, given) for a in compose["services"]["db"]["command"]]
    # gunicorn reads its sizes from gunicorn.conf.py, which takes them from the same environment
    assert web[web.index("--config") + 1] == "gunicorn.conf.py"
    config = _gunicorn_config(env)
    assert (str(config["workers"]), str(config["threads"])) == (env["WEB_WORKERS"], env["WEB_THREADS"])
    assert f"max_connections={env['DB_MAX_CONNECTIONS']}" in db
    used = int(env["WEB_WORKERS"]) * int(env["WEB_THREADS"]) + int(env["CELERY_CONCURRENCY"]) + 1 + 1
    assert used <= int(env["DB_MAX_CONNECTIONS"]) - int(env["DB_RESERVED_CONNECTIONS"])
    assert production_value("s.CELERY_WORKER_CONCURRENCY", **env) == env["CELERY_CONCURRENCY"]


# --- sessions (every environment) -----------------------------------------------------------------


def test_sessions_last_a_working_day_idle_and_end_with_the_browser():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert production_value("[s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE]") == "[28800, True]"
    assert production_value("s.SESSION_COOKIE_AGE", SESSION_IDLE_HOURS="4") == "14400"


@pytest.mark.django_db
def test_a_session_cookie_has_no_expiry_and_activity_renews_the_session(client):
    UserFactory(username="idle_user")
    response = client.post(reverse("login"), {"username": "idle_user", "password": "pass-1234-word"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"], "a browser-session cookie"

    session = Session.objects.get(session_key=cookie.value)
    assert abs(session.expire_date - (timezone.now() + timedelta(hours=8))) < timedelta(minutes=1)
    # An hour before expiry, a request pushes the end a full working day ahead again.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(hours=1))
    assert client.get(reverse("notification_list")).status_code == 200
    session.refresh_from_db()
    assert session.expire_date > timezone.now() + timedelta(hours=7, minutes=59)


@pytest.mark.django_db
def test_a_session_idle_longer_than_a_working_day_is_over(client):
    UserFactory(username="idle_user")
    client.post(reverse("login"), {"username": "idle_user", "password": "pass-1234-word"})
    assert client.get(reverse("notification_list")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("notification_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Content-Security-Policy ----------------------------------------------------------------------

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client):
    for response in (client.get(reverse("login")), _logged_in(client).get(reverse("enterprises:list"))):
        assert response.status_code == 200
        header = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in header.split(";") if d.strip())
        for name, value in POLICY.items():
            assert directives.get(name) == value, f"{name}: {directives.get(name)!r} in {header!r}"
        assert "unsafe" not in header


def _logged_in(client):
    client.force_login(UserFactory(username="csp_reader"))
    return client


# What the policy blocks, wherever a template may hold it (ours, the apps', and our admin overrides).
BLOCKED = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "on… handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_holds_what_the_policy_blocks():
    offenders = []
    for template in _template_files():
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", "", text, flags=re.S)
        for what, pattern in BLOCKED.items():
            offenders += [
                f"{template.relative_to(ROOT)}: {what}: {m.group(0)[:80]}" for m in pattern.finditer(text)
            ]
    assert not offenders, "\n".join(offenders)


PYTHON_HTML = re.compile(
    r"<[a-zA-Z][^<>]*\s(?:style|on[a-z]+)\s*=|<script>|href=\\?[\"']javascript:", re.IGNORECASE
)


def test_no_python_module_writes_html_the_policy_blocks():
    """Template tags, tables and views that build HTML (format_html) must keep to the policy too."""
    offenders = []
    for folder in ("anyang_hte", "enterprises", "incentives", "applications", "assessment", "firms"):
        for module in (ROOT / folder).rglob("*.py"):
            if {"migrations", "settings"} & set(module.parts):
                continue
            text = module.read_text(encoding="utf-8")
            offenders += [f"{module.relative_to(ROOT)}: {m.group(0)}" for m in PYTHON_HTML.finditer(text)]
    assert not offenders, "\n".join(offenders)


def test_htmx_injects_no_styles_and_evaluates_nothing():
    base = Path(ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in base and '"allowEval": false' in base
