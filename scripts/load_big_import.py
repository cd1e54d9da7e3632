"""A large ledger file (ROWS, default 30,000) through the import page on gunicorn (timeout 60 s), a real
Celery worker, PostgreSQL and Redis: the upload answers at once, the job's page shows its progress, the
preview and the write finish in the worker. It prints each change of the job's state with the seconds
since the upload, and the enterprises before and after.

Run it after `make load` on the database that seeded (LOAD_DATABASE_URL; its accounts log in here):

    .venv/bin/python scripts/load_big_import.py
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
import load  # noqa: E402

ROWS = int(os.environ.get("ROWS", "30000"))
URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/anyang_hte_load")
USER = "load_county_001"


def main():
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anyang_hte.settings.dev")
    import django

    django.setup()
    import bench_import
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from anyang_hte.core.models import User
    from enterprises.models import Enterprise

    user = User.objects.select_related("jurisdiction").get(username=USER)
    bench_import.JURISDICTION = user.jurisdiction.code
    path = Path("/tmp/big_ledger.xlsx")
    started = time.monotonic()
    bench_import.write_ledger(path, ROWS)
    print(
        f"file: {ROWS} rows, {path.stat().st_size / 1e6:.1f} MB, written in {time.monotonic() - started:.1f}s"
    )
    before = Enterprise.objects.filter(jurisdiction=user.jurisdiction).count()

    env = load.production_env(URL, 2, 4)
    load.collect_static(env)
    port = load.free_port()
    log = Path(f"/tmp/big_import_gunicorn_{port}.log")
    web = load.start_gunicorn(env, port, 2, 4, 60, 30, log)
    worker_log = open("/tmp/big_import_worker.log", "wb")
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "anyang_hte", "worker", "-l", "warning", "-c", "1"],
        cwd=ROOT, env=env, stdout=worker_log, stderr=worker_log, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        load.wait_ready(web, base, log)
        import requests

        s = requests.Session()
        page = s.get(base + "/accounts/login/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        r = s.post(
            base + "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": USER, "password": load.ACCOUNT_PASSWORD},
            headers={"Referer": base},
        )
        if "/accounts/2fa/" in r.url:
            device = TOTPDevice.objects.get(user=user, confirmed=True)
            code = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text).group(1)
            r = s.post(r.url, {"csrfmiddlewaretoken": token, "code": code}, headers={"Referer": base})
        form = s.get(base + "/ledger/import/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        t0 = time.monotonic()
        with open(path, "rb") as fh:
            r = s.post(base + "/ledger/import/", data={"csrfmiddlewaretoken": token,
                       "jurisdiction": user.jurisdiction_id}, files={"file": ("台账.xlsx", fh)},
                       headers={"Referer": base}, allow_redirects=False)  # fmt: skip
        print(
            f"upload answered HTTP {r.status_code} in {time.monotonic() - t0:.2f}s"
            f" -> {r.headers.get('Location')}"
        )
        job = base + r.headers["Location"]

        def wait(phase_done: str, what: str):
            t = time.monotonic()
            last = ""
            while True:
                text = s.get(job, headers={"HX-Request": "true"}, timeout=30).text
                state = re.search(r'data-testid="import-job-state">([^<]+)<', text)
                progress = re.search(r'data-testid="import-progress">([^<]+)<', text)
                now = f"{state.group(1) if state else '?'} {progress.group(1) if progress else ''}".strip()
                if now != last:
                    print(f"  {time.monotonic() - t0:6.1f}s  {now}")
                    last = now
                if phase_done in text:
                    print(f"{what}: {time.monotonic() - t:.1f}s")
                    return text
                if "import-job-error" in text:
                    raise SystemExit(text[-3000:])
                time.sleep(2)

        text = wait("import-job-apply", "preview in the worker")
        counts = re.findall(r"(新增|更新|不变|错误)[^0-9<]{0,6}(\d[\d,]*)", text)
        print("preview:", counts[:3])
        page = s.get(job).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        apply_url = re.search(r'action="([^"]*/apply/)"', page).group(1)
        t1 = time.monotonic()
        r = s.post(
            base + apply_url, {"csrfmiddlewaretoken": token}, headers={"Referer": base}, allow_redirects=False
        )
        print(f"confirm answered HTTP {r.status_code} in {time.monotonic() - t1:.2f}s")
        wait("import-job-applied", "write in the worker")
        after = Enterprise.objects.filter(jurisdiction=user.jurisdiction).count()
        print(f"enterprises of {user.jurisdiction.name}: {before} -> {after} (+{after - before})")
        errors = [
            line
            for line in log.read_text(errors="replace").splitlines()
            if "Traceback" in line or "WORKER TIMEOUT" in line
        ]
        print("gunicorn errors/timeouts:", errors or "none")
    finally:
        load.stop(web)
        load.stop(worker)


if __name__ == "__main__":
    main()
