"""The deployment files agree with the code: docker-compose.yml, Dockerfile, settings, static assets.

Docker does not run here, so these tests read the files and check that everything they name exists:
the programs the services start, the tasks beat schedules, the environment variables on both sides,
the files the image copies, and the front-end files the templates load (from our own static files:
the portal is on an intranet, so no CDN).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_DIR = ROOT / "anyang_hte" / "settings"
APP_SERVICES = ("web", "worker", "beat", "migrate")
PRODUCTION = "anyang_hte.settings.production"
SKIP_DIRS = {".git", ".venv", "node_modules", "staticfiles", "media", "build", "__pycache__"}

# The layout scripts/vendor_assets.py writes and template authors rely on.
VENDOR_FILES = [
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff",
    "vendor/htmx/htmx.min.js",
    "vendor/chartjs/chart.umd.min.js",
]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} and $$, enough for our file."""

    def one(match):
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        current = given.get(name)
        if op and op.endswith("?"):
            assert current, f"compose would stop: {name} is required ({arg})"
            return current
        if op == ":-" and not current or op == "-" and current is None:
            return arg
        return current or ""

    return re.sub(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}", one, value)


def _settings_env_names() -> set[str]:
    """The variables the settings files and gunicorn.conf.py read."""
    files = [*SETTINGS_DIR.glob("*.py"), ROOT / "gunicorn.conf.py"]
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    return set(re.findall(r"""os\.(?:environ(?:\.get)?\s*[\[(]|getenv\s*\()\s*["'](\w+)["']""", text))


def _production_required_names() -> set[str]:
    text = (SETTINGS_DIR / "production.py").read_text(encoding="utf-8")
    return set(re.findall(r"""os\.environ\[\s*["'](\w+)["']\s*\]""", text))


def _run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "SYSTEMROOT") if k in os.environ}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _template_files() -> list[Path]:
    found = []
    for top in ROOT.iterdir():
        if top.is_dir() and top.name not in SKIP_DIRS:
            found += [p for p in top.rglob("*.html") if "templates" in p.relative_to(ROOT).parts]
    return sorted(found)


# --- docker-compose.yml ---------------------------------------------------------------------------


def test_compose_has_the_services(compose):
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("db", "redis"):
        assert services[name].get("healthcheck"), f"{name} needs a healthcheck for depends_on"
    assert any(v.endswith(":/app/media") for v in services["web"]["volumes"]), (
        "uploads must outlive the container"
    )
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.filterwarnings("ignore:No directory at")  # whitenoise, when staticfiles/ was not collected
@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_command_programs_exist(compose, service):
    command = compose["services"][service]["command"]
    argv = command if isinstance(command, list) else command.split()
    program = argv[0]
    if program == "python":
        assert argv[1] == "manage.py" and (ROOT / "manage.py").is_file()
        assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
    elif program == "gunicorn":
        assert (Path(sys.executable).parent / "gunicorn").exists(), "gunicorn is not installed"
        assert argv[argv.index("--config") + 1] == "gunicorn.conf.py", "gunicorn runs with gunicorn.conf.py"
        target = next(a for a in argv[1:] if ":" in a and not a.startswith("-") and "." in a)
        module_name, attr = target.split(":")
        module = __import__(module_name, fromlist=[attr])
        assert callable(getattr(module, attr))
    elif program == "celery":
        from celery.app.utils import find_app

        assert (Path(sys.executable).parent / "celery").exists(), "celery is not installed"
        app_name = argv[argv.index("-A") + 1]
        app = find_app(app_name)
        assert app.main == "anyang_hte"
        assert {"worker", "beat"} & set(argv), f"celery command of {service} is neither worker nor beat"
    else:
        pytest.fail(f"{service} runs {program!r}, which this test does not know")


@pytest.mark.parametrize("service", ("web", "worker", "beat"))
def test_app_services_have_health_checks(compose, service):
    check = compose["services"][service]["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL") and check["timeout"] and check["start_period"]


@pytest.mark.django_db
def test_web_health_check_asks_healthz_with_an_allowed_host(compose, settings, client, monkeypatch):
    """The check's own code, run here: it must reach /healthz with a Host header production accepts."""
    import urllib.error
    import urllib.request

    check = compose["services"]["web"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    code = _interpolate(check[3], {})
    settings.ALLOWED_HOSTS = ["hte.example", "10.1.2.3"]
    monkeypatch.setenv("ALLOWED_HOSTS", "hte.example,10.1.2.3")
    asked = []

    def urlopen(request, timeout):
        assert timeout <= 10
        url = request.full_url
        asked.append(url)
        assert url.startswith("http://127.0.0.1:8000/")
        response = client.get(url.removeprefix("http://127.0.0.1:8000"), HTTP_HOST=request.get_header("Host"))
        if response.status_code != 200:
            raise urllib.error.HTTPError(url, response.status_code, "", {}, None)
        return response

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    exec(compile(code, "healthcheck", "exec"), {})  # raises (exit status 1) unless 200
    assert asked == ["http://127.0.0.1:8000/healthz"]
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a real worker, and no heartbeat yet: unhealthy
    with pytest.raises(urllib.error.HTTPError):
        exec(compile(code, "healthcheck", "exec"), {})


def test_worker_health_check_pings_this_worker(compose):
    worker = compose["services"]["worker"]
    argv = _interpolate(worker["healthcheck"]["test"][1], {}).split()
    assert argv[:5] == ["celery", "-A", "anyang_hte", "inspect", "ping"]
    # The worker is named celery@<host name>; the check pings that name (the container's $HOSTNAME).
    assert worker["command"][worker["command"].index("--hostname") + 1] == "celery@%h"
    assert argv[argv.index("--destination") + 1] == "celery@$HOSTNAME"


def test_beat_health_check_reads_the_worker_heartbeat(compose):
    from anyang_hte.core.health import CHECKS

    argv = compose["services"]["beat"]["healthcheck"]["test"]
    assert argv[1:4] == ["python", "manage.py", "healthcheck"] and "healthcheck" in get_commands()
    assert argv[argv.index("--check") + 1] in CHECKS


def test_gunicorn_config_names_only_real_settings(monkeypatch):
    import runpy

    from gunicorn.config import Config

    monkeypatch.setenv("WEB_WORKERS", "5")
    monkeypatch.setenv("WEB_THREADS", "2")
    values = {
        k: v for k, v in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items() if not k.startswith("_")
    }
    values.pop("os")
    config = Config()
    for name, value in values.items():
        config.set(name, value)  # an unknown (misspelt) setting raises AttributeError
    assert (config.workers, config.threads, config.worker_class_str) == (5, 2, "gthread")
    assert 30 < config.timeout <= 120 and config.graceful_timeout > 0
    assert config.max_requests > 0 and 0 < config.max_requests_jitter < config.max_requests
    assert config.accesslog == "-"


def test_beat_schedules_only_registered_tasks():
    from celery.app.utils import find_app

    app = find_app("anyang_hte")
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert schedule, "CELERY_BEAT_SCHEDULE is empty"
    missing = {name: entry["task"] for name, entry in schedule.items() if entry["task"] not in app.tasks}
    assert not missing, f"beat schedules tasks no worker knows: {missing}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_environment_matches_settings(compose, service):
    env = _env(compose["services"][service])
    read = _settings_env_names()
    unknown = set(env) - read - {"DJANGO_SETTINGS_MODULE"}
    assert not unknown, f"{service} passes variables no settings file reads: {sorted(unknown)}"
    missing = _production_required_names() - set(env)
    assert not missing, f"{service} lacks variables production.py requires: {sorted(missing)}"
    assert env["DJANGO_SETTINGS_MODULE"] == PRODUCTION
    for secret in ("SECRET_KEY",):
        assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]*\}}", env[secret]), (
            f"{secret} must come from the environment"
        )


def test_compose_postgres_password_comes_from_the_environment(compose):
    db_env = _env(compose["services"]["db"])
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", db_env["POSTGRES_PASSWORD"])


def test_compose_environment_gives_working_production_settings(compose):
    """What the containers would see, defaults filled in as compose does, imports and means what it should."""
    given = {
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "hte.example",
        "POSTGRES_PASSWORD": "pw",
        "EMAIL_HOST": "smtp",
    }
    env = {k: _interpolate(v, given) for k, v in _env(compose["services"]["web"]).items()}
    result = _run_python(
        "import json, django; django.setup(); from django.conf import settings as s; "
        "db = s.DATABASES['default']; "
        "print(json.dumps([s.DEBUG, db['ENGINE'], db['HOST'], db['NAME'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.CELERY_BROKER_URL, s.EMAIL_PORT, s.ALLOWED_HOSTS, str(s.MEDIA_ROOT)]))",
        env,
    )
    assert result.returncode == 0, result.stderr
    debug, engine, host, name, eager, broker, email_port, hosts, media = json.loads(
        result.stdout.splitlines()[-1]
    )
    assert debug is False
    assert (engine, host, name) == ("django.db.backends.postgresql", "db", "anyang_hte")
    assert eager is False and broker.startswith("redis://redis:")
    assert isinstance(email_port, int) and hosts == ["hte.example"] and media == "/app/media"


# --- production settings ---------------------------------------------------------------------------


def test_production_settings_import_with_secret_key_and_allowed_hosts():
    env = {"DJANGO_SETTINGS_MODULE": PRODUCTION, "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "hte.example"}
    result = _run_python(
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)", env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("False")


def test_production_settings_refuse_to_start_without_secret_key():
    env = {"DJANGO_SETTINGS_MODULE": PRODUCTION, "ALLOWED_HOSTS": "hte.example"}
    result = _run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_collectstatic_with_the_production_storage(tmp_path):
    """What the Dockerfile runs: the manifest storage fails on any url() or source map that is missing."""
    env = {"DJANGO_SETTINGS_MODULE": PRODUCTION, "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "localhost"}
    code = (
        "import django; from django.conf import settings; "
        f"settings.STATIC_ROOT = {str(tmp_path / 'static')!r}; django.setup(); "
        "from django.core.management import call_command; call_command('collectstatic', interactive=False, "
        "verbosity=0)"
    )
    result = _run_python(code, env)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert "vendor/bootstrap/bootstrap.min.css" in manifest["paths"]


# --- Dockerfile -----------------------------------------------------------------------------------


def test_dockerfile_copies_files_that_exist():
    for instruction, args in _dockerfile_instructions():
        if instruction not in ("COPY", "ADD") or "--from=" in args:
            continue
        parts = [p for p in args.split() if not p.startswith("--")]
        for source in parts[:-1]:
            assert (ROOT / source).exists() or list(ROOT.glob(source)), f"Dockerfile copies missing {source}"


def test_dockerfile_builds_assets_and_runs_gunicorn_unprivileged():
    instructions = _dockerfile_instructions()
    runs = " ".join(args for ins, args in instructions if ins == "RUN")
    assert "npm ci" in runs and "scripts/vendor_assets.py" in runs
    assert "pip install -c constraints.txt ." in runs
    assert "collectstatic --noinput" in runs
    users = [args for ins, args in instructions if ins == "USER"]
    assert users and users[-1] not in ("root", "0")
    cmd = [args for ins, args in instructions if ins == "CMD"][-1]
    assert "gunicorn" in cmd and "anyang_hte.wsgi:application" in cmd
    assert '"--config", "gunicorn.conf.py"' in cmd


def test_dockerfile_installs_the_postgresql_client_of_the_server(compose):
    """manage.py backup and restore run pg_dump and pg_restore of the server's major version."""
    major = compose["services"]["db"]["image"].split(":")[1].split(".")[0]
    runs = " ".join(args for ins, args in _dockerfile_instructions() if ins == "RUN")
    assert f"postgresql-client-{major}" in runs


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "node_modules", "media", "db.sqlite3", ".git"} <= ignored


# --- front-end assets -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", VENDOR_FILES)
def test_vendor_assets_are_in_place(path):
    assert (ROOT / "static" / path).is_file(), f"static/{path} is missing: run `make assets`"


def test_every_static_file_a_template_names_exists():
    missing = []
    for template in _template_files():
        for path in re.findall(r"""{%\s*static\s+["']([^"']+)["']""", template.read_text(encoding="utf-8")):
            if not finders.find(path):
                missing.append(f"{template.relative_to(ROOT)}: {path}")
    assert not missing, "templates name static files that do not exist (run `make assets`?):\n" + "\n".join(
        missing
    )


_ASSET_TAG = re.compile(r"<(?:script|link|img|iframe|source|audio|video|embed)\b[^>]*>", re.IGNORECASE)
_REMOTE = re.compile(r"""\b(?:src|href|srcset)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
_CSS_REMOTE = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*(?:https?:)?//""", re.IGNORECASE)


def test_nothing_is_loaded_from_outside_the_intranet():
    offenders = []
    for template in _template_files():
        text = template.read_text(encoding="utf-8")
        offenders += [
            f"{template.relative_to(ROOT)}: {tag}" for tag in _ASSET_TAG.findall(text) if _REMOTE.search(tag)
        ]
        offenders += [f"{template.relative_to(ROOT)}: {m.group(0)}" for m in _CSS_REMOTE.finditer(text)]
    own_static = [
        p for p in (ROOT / "static").rglob("*") if p.suffix in (".css", ".js") and "vendor" not in p.parts
    ]
    for asset in own_static:
        offenders += [
            f"{asset.relative_to(ROOT)}: {m.group(0)}" for m in _CSS_REMOTE.finditer(asset.read_text())
        ]
    assert not offenders, "remote assets (no internet on the intranet):\n" + "\n".join(offenders)
