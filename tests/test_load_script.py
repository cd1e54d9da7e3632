"""The pure parts of `make load` (scripts/load_report.py) and the load database guard (scripts/load.py).

The load run itself is not a test (it takes minutes, on gunicorn and PostgreSQL): these check what it
relies on — the percentiles and the printed lines, how a log-in and a wrong page are told apart — and
that the pages' marks it checks are those the real pages carry.
"""

import importlib.util
import sys
from pathlib import Path

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from anyang_hte.core.roles import Role
from incentives.models import Reward

from .factories import EnterpriseFactory, QualificationFactory, UserFactory, jurisdiction

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _module(name: str):
    if name not in sys.modules:
        sys.path.insert(0, str(SCRIPTS))
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


report = _module("load_report")


# --- percentiles and the summary ----------------------------------------------------------------------


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(100, 0, -1)]  # 100 … 1, unsorted on purpose
    assert report.percentile(values, 50) == 50
    assert report.percentile(values, 95) == 95
    assert report.percentile(values, 100) == 100
    assert report.percentile([7.0], 50) == report.percentile([7.0], 95) == 7
    assert report.percentile([1.0, 2.0, 3.0], 50) == 2
    assert report.percentile([10.0, 20.0], 95) == 20  # ceil(0.95 × 2) = the 2nd
    assert report.percentile([], 95) == 0


@pytest.mark.parametrize("q", [0, -5, 101])
def test_percentile_refuses_a_rank_outside_0_100(q):
    with pytest.raises(ValueError, match="percentile"):
        report.percentile([1.0], q)


def test_summary_has_a_line_per_page_and_a_total():
    samples = [("ledger", float(ms), False) for ms in range(10, 210, 10)]  # 20 requests, 10 … 200 ms
    samples += [("dashboard", 500.0, False), ("dashboard", 900.0, True), ("dashboard", 700.0, False)]
    lines = [s.line() for s in report.summarise(samples)]
    assert lines == [
        "page dashboard requests 3 errors 1 p50_ms 700 p95_ms 900",
        "page ledger requests 20 errors 0 p50_ms 100 p95_ms 190",
        "total requests 23 errors 1 p50_ms 120 p95_ms 700",
    ]


def test_summary_of_no_requests_is_a_zero_total():
    assert [s.line() for s in report.summarise([])] == ["total requests 0 errors 0 p50_ms 0 p95_ms 0"]


# --- telling the pages apart --------------------------------------------------------------------------

LEDGER = "<html><title>培育台账 · 安阳市高新技术企业培育管理平台</title><table></table></html>"
LOGIN_FORM = '<form method="post"><input type="password" name="password" id="id_password"></form>'


def test_login_detector():
    assert report.looks_like_login("http://127.0.0.1:8000/accounts/login/?next=/ledger/", "")
    assert report.looks_like_login("http://127.0.0.1:8000/ledger/", LOGIN_FORM)  # the form, served elsewhere
    assert not report.looks_like_login("http://127.0.0.1:8000/ledger/", LEDGER)
    assert report.needs_second_factor("http://127.0.0.1:8000/accounts/2fa/verify/?next=/")
    assert not report.needs_second_factor("http://127.0.0.1:8000/ledger/?q=2fa")


@pytest.mark.parametrize(
    ("status", "url", "html", "problem"),
    [
        (200, "http://h/ledger/?page=2", LEDGER, ""),
        (500, "http://h/ledger/", "<h1>Server Error</h1>", "HTTP 500"),
        (0, "http://h/ledger/", "", "HTTP 0"),  # no answer (a timeout): locust's status 0
        (200, "http://h/accounts/login/?next=/ledger/", LOGIN_FORM, "the log-in page instead"),
        (200, "http://h/accounts/2fa/verify/", "<form></form>", "the two-factor page instead"),
        (
            200,
            "http://h/rewards/",
            LEDGER.replace("培育台账", "奖励兑现"),
            "landed on /rewards/, expected /ledger/",
        ),
        (200, "http://h/ledger/", "<title>出错了 · </title>", "not the ledger page"),
    ],
)
def test_page_problem(status, url, html, problem):
    found = report.page_problem("ledger", status, url, html, expected_path="/ledger/")
    assert found.startswith(problem) and bool(found) == bool(problem)


def test_a_page_that_redirects_lands_under_a_prefix():
    html = '<div data-testid="indicators"></div>'
    landed = "http://h/assessment/jurisdictions/410502/"
    assert report.page_problem("county_dashboard", 200, landed, html, "/assessment/jurisdictions/*") == ""
    wrong = report.page_problem(
        "county_dashboard", 200, "http://h/assessment/", html, "/assessment/jurisdictions/*"
    )
    assert wrong == "landed on /assessment/, expected /assessment/jurisdictions/*"


def test_what_a_user_reads_off_a_page():
    html = (
        '<input type="hidden" name="csrfmiddlewaretoken" value="tok123">'
        '<select name="stage" id="id_stage"><option value="">全部阶段</option>'
        '<option value="hte" >高企</option>'
        '<option value="tech_sme" selected>科技型中小企业</option></select>'
        '<a href="/ledger/12/">安阳甲科技有限公司</a><a href="/ledger/12/edit/">编辑</a>'
        '<a class="page-link" href="?page=2">2</a><a class="page-link" href="?stage=hte&amp;page=9">9</a>'
    )
    assert report.csrf_token(html) == "tok123"
    assert report.csrf_token("<form></form>") == ""
    assert report.select_options(html, "stage") == ["hte", "tech_sme"]
    assert report.select_options(html, "tech_field") == []
    assert report.enterprise_links(html) == [(12, "安阳甲科技有限公司")]
    assert report.last_page(html) == 9
    assert report.last_page("<table></table>") == 1


# --- the marks match the real pages, reached through the real log-in form -----------------------------


def _log_in(username: str) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    form = client.get("/accounts/login/").content.decode()
    assert report.looks_like_login("http://testserver/accounts/login/", form)
    data = {
        "csrfmiddlewaretoken": report.csrf_token(form),
        "username": username,
        "password": "pass-1234-word",
    }
    landing = client.post("/accounts/login/", data, follow=True)
    url = "http://testserver" + landing.request["PATH_INFO"]
    if "/accounts/2fa/" in url:  # a money role: the code from its authenticator, as the run's log-in does
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        code = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)
        token = report.csrf_token(landing.content.decode())
        landing = client.post(url, {"csrfmiddlewaretoken": token, "code": code}, follow=True)
        url = "http://testserver" + landing.request["PATH_INFO"]
    assert landing.status_code == 200 and not report.looks_like_login(url, landing.content.decode())
    return client, landing.content.decode()


def _problem(client: Client, page: str, path: str, params=None, lands_on: str = "") -> str:
    response = client.get(path, params or {}, follow=True)
    url = "http://testserver" + response.request["PATH_INFO"]
    return report.page_problem(page, response.status_code, url, response.content.decode(), lands_on or path)


@pytest.mark.django_db
def test_the_load_pages_pass_its_checks_for_a_county_official_and_a_reviewer():
    county = UserFactory(username="load_county_001", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction())
    UserFactory(username="load_reviewer_001", role=Role.TECH_REVIEWER)
    enterprise = EnterpriseFactory(jurisdiction=county.jurisdiction)
    QualificationFactory(enterprise=enterprise)

    client, landing = _log_in("load_county_001")
    assert report.page_problem("ledger", 200, "http://testserver/ledger/", landing, "/ledger/") == ""
    assert report.enterprise_links(landing) == [(enterprise.pk, enterprise.name)]
    assert "hte" in report.select_options(landing, "stage")
    assert _problem(client, "ledger_filtered", "/ledger/", {"stage": "hte"}) == ""
    assert _problem(client, "ledger_search", "/ledger/", {"q": enterprise.name[2:5]}) == ""
    assert _problem(client, "enterprise", f"/ledger/{enterprise.pk}/") == ""
    assert _problem(client, "county_dashboard", "/assessment/", lands_on="/assessment/jurisdictions/*") == ""
    assert _problem(client, "dashboard", "/assessment/").startswith("landed on /assessment/jurisdictions/")

    client, landing = _log_in("load_reviewer_001")
    assert report.page_problem("reward_queue", 200, "http://testserver/rewards/", landing, "/rewards/") == ""
    assert _problem(client, "reward_queue", "/rewards/", {"status": Reward.Status.SUBMITTED}) == ""
    assert _problem(client, "dashboard", "/assessment/") == ""
    assert _problem(Client(), "dashboard", "/assessment/").startswith("the log-in page")  # logged out


# --- the guard on the database the run drops ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/anyang_hte",
        "postgres://postgres@127.0.0.1:5432/test_anyang_hte_main",
        "sqlite:///tmp/load.sqlite3",
    ],
)
def test_the_run_refuses_a_database_that_is_not_a_load_database(monkeypatch, url):
    load = _module("load")
    monkeypatch.setenv("LOAD_DATABASE_URL", url)
    with pytest.raises(load.Refused):
        load.load_database_url()


def test_the_default_load_database(monkeypatch):
    load = _module("load")
    monkeypatch.delenv("LOAD_DATABASE_URL", raising=False)
    assert load.load_database_url() == "postgres://postgres@127.0.0.1:5432/anyang_hte_load"
