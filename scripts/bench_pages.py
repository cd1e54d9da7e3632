#!/usr/bin/env python3
"""``make bench-pages``: every main page of the portal at BENCH_ENTERPRISES enterprises, beside its floor.

1. The data: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/anyang_bench_pages; its name
   must contain "bench": a reload drops it) is migrated and seeded like ``make load`` does it (the
   reference data, ``seed_demo`` with 3 enterprises per county, the run's own county-official and
   reviewer accounts with their TOTP devices), then loaded with COPY (psycopg2 ``copy_expert``) up to
   BENCH_ENTERPRISES enterprises (default 1,000,000) spread over the real counties: a few years of figures
   for most, qualifications by profile (tech SMEs, candidates, a realistic share of valid HTE
   certificates, lapsed and revoked ones, Little Giants, leading firms), milestones (some overdue), and
   rewards with their funding lines (paid, approved, submitted to the reviewers, waiting to be claimed)
   for the certificates a rule rewards. Every column the pages filter or sort on is filled as the
   services fill it (pinyin initials, stage, readiness verdict, tech-SME score, helper, planned year).
   The indexes are the migrations' own: dropped before the COPY and rebuilt from their definitions
   after it, then VACUUM ANALYZE. When the database already holds that many enterprises the load is
   skipped (BENCH_RELOAD=1 drops and loads it again).
2. The portal: gunicorn with the production image's gunicorn.conf.py (2 workers, its threads) on a free
   loopback port, under anyang_hte.settings.bench: the production settings plus one trivial logged-in
   view (the floor) behind the same middleware.
3. The pages: BENCH_CLIENTS (8) clients, each logged in through the real form (and the second factor),
   request a page back to back for BENCH_SECONDS (15) seconds; right before each page the floor is
   measured the same way (same clients, same duration), so each ratio compares two figures taken
   moments apart on the same machine. One line per page:

       page <name> p50_ms <x> p95_ms <y> floor_p95_ms <z> ratio <y/z>

   then the total time. Any answer that is not 2xx/3xx (or a redirect to the log-in page) fails the run
   (exit 1) after the line of its page; exit 2 when it refuses to start.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import (  # noqa: E402  (scripts/ is put on the path first)
    ROOT,
    Refused,
    _accounts,
    _django,
    _int,
    _seconds,
    _tail,
    collect_static,
    database_exists,
    free_port,
    production_env,
    recreate_database,
    scratch_database_url,
    stop,
    wait_ready,
)
from load_report import (  # noqa: E402
    ACCOUNT_PASSWORD,
    COUNTY_PREFIX,
    LOGIN_PATH,
    REVIEWER_PREFIX,
    account_name,
    csrf_token,
    looks_like_login,
    needs_second_factor,
    percentile,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/anyang_bench_pages"
CHUNK = 50_000
FLOOR_PATH = "/bench/floor/"
REQUEST_TIMEOUT = 60  # gunicorn.conf.py's own: a request still running then has its worker killed
# The enterprises' share per county (code -> weight): the high-tech zone and the central districts hold
# more, as the demo's HTE_SCALE has them.
COUNTY_WEIGHTS = {"410502": 1.3, "410503": 1.0, "410505": 0.9, "410506": 0.7, "410522": 1.1, "410523": 0.8}
COUNTY_WEIGHTS |= {"410526": 1.0, "410527": 0.8, "410581": 1.4, "410571": 1.6, "410599": 0.7}
# profile -> share of the ledger (a national tech-SME database: most are tech SMEs or nothing yet; about
# one in five holds a valid HTE certificate)
PROFILES = {"none": 24, "tech_sme": 33, "lg_reserve": 4, "hte_candidate": 12, "hte": 17, "hte_lapsed": 3}
PROFILES |= {"hte_revoked": 1, "lg_cultivation": 3, "little_giant": 2, "leading": 1}
STAGE_OF = {"hte_lapsed": "hte_candidate", "hte_revoked": "tech_sme"}  # others: the profile's own name
HTE_HOLDERS = {"hte", "lg_cultivation", "little_giant", "leading"}
TRADE_THIRD = "科光智达远诚创新华腾盛源晟锐博"


def bench_database_url() -> str:
    return scratch_database_url("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL, "bench", "anyang_bench_pages")


# --- the data ----------------------------------------------------------------------------------------


def enterprise_count(url: str) -> int:
    if not database_exists(url):
        return 0
    from django.db import connection
    from django.db.utils import ProgrammingError

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM enterprises_enterprise")
            return cursor.fetchone()[0]
    except ProgrammingError:  # not migrated yet
        return 0


def load(url: str, enterprises: int, clients: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    started = time.monotonic()
    connection.close()
    recreate_database(url)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", enterprises_per_jurisdiction=3, stdout=io.StringIO())
    _accounts(2 * clients, clients)  # county officials and as many reviewers, each with a TOTP device
    seeded = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM enterprises_enterprise")
        bulk = max(0, enterprises - cursor.fetchone()[0])
    Loader(connection).run(bulk)
    copied = time.monotonic()
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # the planner's statistics and the index-only scans' visibility map
    print(
        f"bench-pages: loaded {enterprises} enterprises (seed {seeded - started:.0f}s, COPY and indexes "
        f"{copied - seeded:.0f}s, VACUUM ANALYZE {time.monotonic() - copied:.0f}s)",
        flush=True,
    )


def roll_up() -> None:
    """The indicator snapshots the pages read, as the nightly job and the worker leave them (the bench runs
    no worker): every year from the 2017 plan's first to this one (the dashboard's trend window and the
    plan panels), rolled up here unless a complete, fresh set is there already."""
    from anyang_hte.core import dates
    from anyang_hte.core.roles import SystemActor
    from assessment import indicators, selectors, services
    from assessment.models import RollupRun

    years = list(range(2018, dates.today().year + 1))
    read = selectors.years_values(years, codes=indicators.CODES)
    missing = [y for y in years if read[y][1] != selectors.SNAPSHOT or not selectors.counts_taken(y)]
    started = time.monotonic()
    for year in missing:
        services.rollup_year_sync(year=year, by=SystemActor("make bench-pages"))
    # runs queued by the pages of an earlier run that had no worker: the snapshots are there now
    RollupRun.objects.filter(status__in=[RollupRun.Status.PENDING, RollupRun.Status.RUNNING]).delete()
    if missing:
        print(
            f"bench-pages: rolled up {', '.join(map(str, missing))} ({time.monotonic() - started:.0f}s; "
            "the nightly job's and the worker's work, done before the pages are measured)",
            flush=True,
        )


class Tables:
    """One COPY buffer per table (:class:`anyang_hte.core.pgcopy.CopyBuffer`: PostgreSQL's text format,
    escaped, \\N for NULL)."""

    def __init__(self, models, columns: dict):
        from anyang_hte.core.pgcopy import CopyBuffer

        self.buffers = {m: CopyBuffer(m._meta.db_table, columns[m]) for m in models}

    def add(self, model, values: tuple) -> None:
        self.buffers[model].add(values)

    def flush(self, cursor) -> None:
        for buffer in self.buffers.values():
            buffer.copy(cursor)


class Loader:
    """Generates the ledger chunk by chunk and COPYs it in; ids are assigned here (the sequences are
    moved past them at the end)."""

    def __init__(self, connection):
        from enterprises.models import AnnualFigures, Enterprise, LedgerMilestone, Qualification
        from incentives.models import FundingLine, Payment, Reward

        self.connection = connection
        self.models = [
            Enterprise,
            Qualification,
            AnnualFigures,
            LedgerMilestone,
            Reward,
            FundingLine,
            Payment,
        ]
        from anyang_hte.core import dates

        self.today = dates.today()
        self.now = datetime.datetime.now(datetime.UTC).isoformat()
        self.rng = random.Random("anyang-bench-pages")
        self.initials: dict[str, str] = {}
        self.E, self.Q, self.F, self.M = Enterprise, Qualification, AnnualFigures, LedgerMilestone
        self.R, self.L, self.P = Reward, FundingLine, Payment

    # The columns each table is given (the rest keep their defaults: empty, NULL).
    COLUMNS = {
        "Enterprise": "id name name_initials credit_code jurisdiction_id tech_field registered_on address "
        "legal_representative contact_name contact_phone bank_name bank_account bank_account_holder "
        "rd_institution rd_institution_level planned_year notes helper_name helper_phone helper_unit stage "
        "declared_stage restricted_industry hte_ready tsme_score created_at updated_at",
        "Qualification": "id enterprise_id kind number granted_on expires_on source revoked_on revoke_reason "
        "granted_elsewhere granted_where created_at",
        "AnnualFigures": "id enterprise_id year sales_revenue total_income rd_expense rd_expense_domestic "
        "total_costs staff_count st_staff_count hightech_revenue total_assets net_assets ip_class1_count "
        "ip_class2_count conversions_count industrial_value_added updated_at",
        "LedgerMilestone": "id enterprise_id title due_on done_on note created_at",
        "Reward": "id enterprise_id jurisdiction_id rule_id qualification_id amount first_time_only status "
        "submitted_by_id submitted_at approved_by_id approved_at created_at updated_at",
        "FundingLine": "id reward_id source jurisdiction_id amount status batch_id",
        "Payment": "id line_id amount paid_on reference recorded_by_id recorded_at",
    }

    def run(self, n: int) -> None:
        if n <= 0:
            return
        self._prepare()
        columns = {m: self.COLUMNS[m.__name__].split() for m in self.models}
        tables = [m._meta.db_table for m in self.models]
        raw = self.connection.connection  # psycopg2's own connection: copy_expert
        with self.connection.cursor() as c:
            c.execute("SELECT max(id) FROM enterprises_enterprise")
        with raw.cursor() as cursor:
            indexes = self._drop_indexes(cursor, tables)
            raw.commit()
            cursor.execute("SET session_replication_role = replica")  # no FK triggers: the rows are built
            for start in range(0, n, CHUNK):  # consistent here, and checking 6M references costs minutes
                out = Tables(self.models, columns)
                for _i in range(min(CHUNK, n - start)):
                    self._enterprise(out)
                out.flush(cursor)
                raw.commit()
                print(f"bench-pages: {start + min(CHUNK, n - start)} / {n} enterprises copied", flush=True)
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for definition in indexes:
                cursor.execute(definition)
            for table in tables:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            raw.commit()

    @staticmethod
    def _drop_indexes(cursor, tables) -> list[str]:
        """Drop the tables' indexes that back no constraint; returns their definitions to rebuild them."""
        cursor.execute(
            """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
               LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid
               WHERE t.relname = ANY(%s) AND c.oid IS NULL""",
            [tables],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _name, definition in found]

    def _prepare(self) -> None:
        from anyang_hte.core.models import Jurisdiction, User
        from anyang_hte.core.roles import Role
        from enterprises.demo import (
            BANKS,
            GIVEN,
            HTE_MILESTONES,
            INDUSTRIES,
            NAME_FIRST,
            NAME_SECOND,
            PLACES,
            PRE_HTE_MILESTONES,
            SURNAMES,
            _helpers,
        )
        from enterprises.models import TechField
        from enterprises.services import qualification_expiry
        from incentives.models import FundingSource, PayoutBatch, RewardRule

        self.expiry = qualification_expiry
        self.counties = list(Jurisdiction.objects.filter(code__in=COUNTY_WEIGHTS).order_by("sort_order"))
        self.weights = [COUNTY_WEIGHTS[j.code] for j in self.counties]
        self.places = PLACES
        self.helpers = {j.code: _helpers(j.code) for j in self.counties}
        self.industries = list(INDUSTRIES.items())
        self.tech_fields = list(TechField.values)
        self.trade = [a + b + c for a in NAME_FIRST for b in NAME_SECOND for c in TRADE_THIRD]
        self.people = [s + g for s in SURNAMES for g in GIVEN]
        self.banks = BANKS
        self.milestones = {True: PRE_HTE_MILESTONES, False: HTE_MILESTONES}
        self.profiles, self.profile_weights = list(PROFILES), list(PROFILES.values())
        self.ids = {
            m: (m.objects.order_by("-id").values_list("id", flat=True).first() or 0) for m in self.models
        }
        officials = User.objects.filter(role=Role.COUNTY_OFFICIAL, username__startswith=COUNTY_PREFIX)
        self.official = {u.jurisdiction_id: u.pk for u in officials}
        self.reviewer = User.objects.filter(username__startswith=REVIEWER_PREFIX).values_list(
            "pk", flat=True
        )[0]
        self.finance = User.objects.filter(role=Role.CITY_FINANCE).values_list("pk", flat=True)[0]
        self.rules = {
            r.trigger_kind: r
            for r in RewardRule.objects.filter(effective_to__isnull=True).order_by("effective_from")
        }
        self.batches = {}  # (source, jurisdiction id or None) -> a locked, paid batch
        for source, _label in FundingSource.choices:
            for county in [None] if source == "city" else self.counties:
                batch = PayoutBatch.objects.create(
                    name=f"压测拨付批次 {source} {county.code if county else ''}".strip(),
                    source=source,
                    jurisdiction=county,
                    status=PayoutBatch.Status.LOCKED,
                    created_by_id=self.finance,
                )
                self.batches[(source, county.pk if county else None)] = batch.pk
        self.hte_batches = [
            datetime.date(y, m, d)
            for y in range(self.today.year - 6, self.today.year + 1)
            for m, d in ((10, 28), (12, 12))
            if datetime.date(y, m, d) <= self.today
        ]

    def _next(self, model) -> int:
        self.ids[model] += 1
        return self.ids[model]

    def _initials(self, part: str) -> str:
        from enterprises.pinyin import name_initials

        found = self.initials.get(part)
        if found is None:
            found = self.initials[part] = name_initials(part)
        return found

    def _enterprise(self, out: Tables) -> None:
        from enterprises.identifiers import credit_code_with_check_digit

        rng, today = self.rng, self.today
        county = rng.choices(self.counties, self.weights)[0]
        prefixes, place, roads, _unit, bank_place = self.places[county.code]
        profile = rng.choices(self.profiles, self.profile_weights)[0]
        pk = self._next(self.E)
        prefix, trade = rng.choice(prefixes), rng.choice(self.trade)
        industry, field = rng.choice(self.industries)
        suffix = (
            "股份有限公司" if profile in ("little_giant", "leading") and rng.random() < 0.6 else "有限公司"
        )
        name = prefix + trade + industry + suffix
        initials = "".join(self._initials(p) for p in (prefix, trade, industry, suffix))
        region = "410500" if county.code == "410599" else county.code
        org = "MB" + _base31(pk, 7)  # the demo's organisation codes are MA… or digits: never these
        credit_code = credit_code_with_check_digit("91" + region + org)
        stage = STAGE_OF.get(profile, profile)
        pre_hte = profile not in HTE_HOLDERS
        helper = rng.choice(self.helpers[county.code]) if rng.random() < 0.85 else ("", "", "")
        planned = (
            rng.choice((2026, 2027, 2027, 2028))
            if pre_hte and profile != "none" and rng.random() < 0.6
            else None
        )
        ready = None if rng.random() < 0.3 else rng.random() < (0.35 if pre_hte else 0.9)
        score = rng.randint(60, 98) if profile != "none" and rng.random() < 0.7 else None
        declared = stage if rng.random() < 0.8 else ""
        registered = today - datetime.timedelta(days=rng.randint(800, 7000))
        person = self.people
        out.add(self.E, (
            pk, name, initials, credit_code, county.pk, field or rng.choice(self.tech_fields), registered,
            f"{place}{rng.choice(roads)}{rng.randint(1, 388)}号", rng.choice(person), rng.choice(person),
            f"13{rng.randrange(10**9):09d}", f"{rng.choice(self.banks)}{bank_place}支行",
            f"{rng.randrange(10**18):019d}", "", "", "", planned, "", helper[0], helper[1], helper[2], stage,
            declared, "f", _bool(ready), score, self.now, self.now,
        ))  # fmt: skip
        for kind, granted, revoked in self._qualifications(profile):
            qid = self._next(self.Q)
            year = granted.year
            out.add(self.Q, (
                qid, pk, kind, f"{kind[:2].upper()}{year}{qid:08d}", granted, self.expiry(kind, granted),
                "official_list", revoked, "未按期报送年度发展情况报表" if revoked else "", "f", "", self.now,
            ))  # fmt: skip
            if kind in self.rules and revoked is None:
                self._reward(out, pk, county.pk, self.rules[kind], qid, granted)
        if profile != "none" or rng.random() < 0.4:
            self._figures(out, pk, profile)
        if rng.random() < 0.6:
            for title in rng.sample(self.milestones[pre_hte], rng.randint(1, 3)):
                due = today + datetime.timedelta(days=rng.randint(-300, 240))
                done = None
                if due < today and rng.random() < 0.75:
                    done = min(today, due + datetime.timedelta(days=rng.randint(-30, 20)))
                out.add(self.M, (self._next(self.M), pk, title, due, done, "", self.now))

    def _qualifications(self, profile: str) -> list[tuple[str, datetime.date, datetime.date | None]]:
        rng, today = self.rng, self.today
        this_year = datetime.date(today.year, 1, 1) + datetime.timedelta(
            days=rng.randint(0, max(0, min(270, (today - datetime.date(today.year, 1, 1)).days)))
        )
        quals = []
        if profile == "none":
            if rng.random() < 0.4:
                quals.append(("tech_sme", this_year.replace(year=today.year - 1), None))
            return quals
        if profile not in HTE_HOLDERS or rng.random() < 0.5:
            quals.append(("tech_sme", this_year, None))
        valid = [b for b in self.hte_batches if self.expiry("hte", b) >= today]
        if profile == "lg_reserve":
            quals.append(("lg_reserve", today - datetime.timedelta(days=rng.randint(60, 700)), None))
        elif profile == "hte_candidate":
            quals.append(("hte_candidate", today - datetime.timedelta(days=rng.randint(30, 900)), None))
        elif profile == "hte_lapsed":
            lapsed = rng.choice([b for b in self.hte_batches if self.expiry("hte", b) < today])
            quals.append(("hte", lapsed, None))
            quals.append(("hte_candidate", self.expiry("hte", lapsed) + datetime.timedelta(days=30), None))
        elif profile == "hte_revoked":
            granted = rng.choice(valid)
            quals.append(
                ("hte", granted, min(today, granted + datetime.timedelta(days=rng.randint(120, 600))))
            )
        else:  # a valid HTE certificate, and what comes after it
            quals.append(("hte", rng.choice(valid), None))
            if profile in ("lg_cultivation", "little_giant", "leading"):
                quals.append(("lg_cultivation", today - datetime.timedelta(days=rng.randint(30, 900)), None))
            if profile in ("little_giant", "leading"):
                quals.append(("little_giant", today - datetime.timedelta(days=rng.randint(30, 900)), None))
            if profile == "leading":
                quals.append(("leading", today - datetime.timedelta(days=rng.randint(30, 700)), None))
        return quals

    def _reward(self, out, enterprise, county, rule, qualification, granted) -> None:
        """A rule's reward for a certificate: paid when it is over a year old, then approved (lines to be
        batched), submitted (the reviewers' queue) or still to be claimed, as the year goes."""
        rng, today = self.rng, self.today
        age = (today - granted).days
        roll = rng.random()
        if age > 400:
            status = "paid" if roll < 0.92 else "approved"
        else:
            status = "approved" if roll < 0.3 else "submitted" if roll < 0.6 else "generated"
        rid = self._next(self.R)
        at = datetime.datetime.combine(granted + datetime.timedelta(days=40), datetime.time(9), datetime.UTC)
        submitted = status != "generated"
        approved = status in ("approved", "paid")
        out.add(self.R, (
            rid, enterprise, county, rule.pk, qualification, rule.total_amount, _bool(rule.first_time_only),
            status, self.official.get(county) if submitted else None,
            (at + datetime.timedelta(days=20)).isoformat() if submitted else None,
            self.reviewer if approved else None,
            (at + datetime.timedelta(days=50)).isoformat() if approved else None,
            at.isoformat(), at.isoformat(),
        ))  # fmt: skip
        for source, amount in (("city", rule.city_amount), ("county", rule.county_amount)):
            if not amount:
                continue
            line_status = {"paid": "paid", "approved": "approved"}.get(status, "pending")
            batch = (
                self.batches[(source, None if source == "city" else county)]
                if line_status == "paid"
                else None
            )
            line = self._next(self.L)
            out.add(self.L, (line, rid, source, county, amount, line_status, batch))
            if line_status == "paid":
                paid_on = granted + datetime.timedelta(days=rng.randint(120, 360))
                out.add(self.P, (
                    self._next(self.P), line, amount, paid_on, f"BENCH{line:09d}", self.finance,
                    at.isoformat(),
                ))  # fmt: skip

    def _figures(self, out, enterprise, profile) -> None:
        """One to three years of figures, in whole yuan (integers: money is never a float here)."""
        rng = self.rng
        top = 300_000_000 if profile in HTE_HOLDERS else 80_000_000
        sales = int(2_000_000 * (top / 2_000_000) ** rng.random())
        years = range(self.today.year - rng.randint(1, 3), self.today.year)
        for year in reversed(years):
            staff = max(8, min(2000, sales // rng.randint(300_000, 900_000)))
            rd = sales * rng.randint(20, 90) // 1000
            out.add(self.F, (
                self._next(self.F), enterprise, year, _yuan(sales), _yuan(sales * 101 // 100), _yuan(rd),
                _yuan(rd * 95 // 100), _yuan(sales * 85 // 100), f"{staff}.0", f"{max(1, staff // 6)}.0",
                _yuan(sales * rng.randint(30, 95) // 100), _yuan(sales * 11 // 10), _yuan(sales // 2),
                rng.choice((0, 0, 1, 2, 3)), rng.randint(0, 18), rng.randint(0, 6), _yuan(sales // 4),
                self.now,
            ))  # fmt: skip
            sales = sales * 100 // rng.randint(95, 130)


def _yuan(whole: int) -> str:
    """Whole yuan as the text COPY reads into a money column."""
    return f"{whole}.00"


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("t" if value else "f")


def _base31(n: int, width: int) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    digits = []
    for _i in range(width):
        n, r = divmod(n, 31)
        digits.append(alphabet[r])
    return "".join(reversed(digits))


# --- the clients -------------------------------------------------------------------------------------


class Failed(Exception):
    """An answer that is not 2xx/3xx (or a 3xx to the log-in page)."""


def _problem(resp) -> str:
    if not 200 <= resp.status_code < 400:
        return f"HTTP {resp.status_code}"
    if resp.is_redirect and urlsplit(resp.headers.get("Location", "")).path.startswith(LOGIN_PATH):
        return "redirected to the log-in page (session lost?)"
    return ""


def log_in(base: str, username: str):
    """A requests session logged in through the real form, and through the second factor when the portal
    asks for it (the code of the account's TOTP device, as the load test computes it)."""
    import requests
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from anyang_hte.core.two_factor import totp_code

    session = requests.Session()
    session.headers["Accept-Language"] = "zh-hans"
    page = session.get(base + LOGIN_PATH, timeout=30)
    form = {"csrfmiddlewaretoken": csrf_token(page.text), "username": username, "password": ACCOUNT_PASSWORD}
    resp = session.post(base + LOGIN_PATH, data=form, headers={"Referer": page.url}, timeout=30)
    if resp.status_code == 200 and needs_second_factor(resp.url):
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        code = totp_code(device.key, step=device.step, digits=device.digits)
        form = {"csrfmiddlewaretoken": csrf_token(resp.text), "otp_token": code, "code": code}
        resp = session.post(resp.url, data=form, headers={"Referer": resp.url}, timeout=30)
    if resp.status_code != 200 or looks_like_login(resp.url, resp.text) or needs_second_factor(resp.url):
        raise Refused(f"log-in of {username} failed: HTTP {resp.status_code} at {resp.url}")
    return session


@dataclass
class Page:
    name: str
    role: str  # "reviewer" or "county"
    paths: list[str]  # one is drawn for each request
    own: list[list[str]] | None = None  # instead: each client's own paths (a county official's county)
    post: bool = False  # a POST with the session's CSRF token (the export's start)


@dataclass
class Sample:
    times: list[float] = field(default_factory=list)
    problems: Counter = field(default_factory=Counter)


def drive(base: str, sessions: list, paths, seconds: float, *, post: bool = False) -> Sample:
    """Every session requests one of ``paths`` (or of its own, ``paths[i]`` for session i, when they are
    lists) back to back for ``seconds``, each in its own thread; returns every request's time in
    milliseconds and the problems met."""
    import requests

    sample, lock = Sample(), threading.Lock()
    deadline = time.monotonic() + seconds
    rng = random.Random(len(paths))

    def client(session, paths):
        token = session.cookies.get("csrftoken", "")
        while time.monotonic() < deadline:
            path = rng.choice(paths)
            started = time.perf_counter()
            try:
                if post:
                    resp = session.post(
                        base + path,
                        data={"csrfmiddlewaretoken": token},
                        headers={"Referer": base + path},
                        allow_redirects=False,
                        timeout=REQUEST_TIMEOUT,
                    )
                else:
                    resp = session.get(base + path, allow_redirects=False, timeout=REQUEST_TIMEOUT)
                problem = _problem(resp)
            except requests.RequestException as exc:  # a timeout, a connection reset: counted, not raised
                problem = f"{type(exc).__name__} after {time.perf_counter() - started:.0f}s"
            ms = (time.perf_counter() - started) * 1000
            with lock:
                sample.times.append(ms)
                if problem:
                    sample.problems[f"{path}: {problem}"] += 1

    own = [paths[i] if isinstance(paths[0], list) else paths for i in range(len(sessions))]
    threads = [threading.Thread(target=client, args=(s, p)) for s, p in zip(sessions, own, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sample


def pages_to_measure(base: str, sessions: dict) -> list[Page]:
    """The pages and, where a page takes a value (a search, an enterprise), values drawn from the data."""
    from django.conf import settings
    from django.db import connection

    from enterprises.demo import PLACES
    from enterprises.pinyin import name_initials

    rng = random.Random("bench-pages")
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM enterprises_enterprise")
        top = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id, name, credit_code FROM enterprises_enterprise WHERE id = ANY(%s)",
            [[rng.randint(1, top) for _i in range(400)]],
        )
        picked = cursor.fetchall()
    prefixes = sorted({p for prefixes, *_rest in PLACES.values() for p in prefixes}, key=len, reverse=True)
    names, initials = [], []
    for _id, name, _code in picked:
        prefix = next((p for p in prefixes if name.startswith(p)), "")
        trade = name[len(prefix) : len(prefix) + 3]  # the trade name a user remembers
        names.append(trade)
        initials.append(name_initials(name[len(prefix) : len(prefix) + 5]))
    ledger = "/ledger/"
    deep = deep_page(base, sessions["reviewer"][0], settings.LIST_COUNT_CAP // settings.LIST_PAGE_SIZE)
    county_pages = []  # each official's own county page, where /assessment/ redirects them
    for session in sessions["county"]:
        home = session.get(base + "/assessment/", allow_redirects=False, timeout=REQUEST_TIMEOUT)
        path = urlsplit(home.headers.get("Location", "")).path
        if not home.is_redirect or not path.startswith("/assessment/jurisdictions/"):
            raise Refused(f"a county official's /assessment/ did not lead to the county page: {path}")
        county_pages.append([path])
    return [
        Page("list_reviewer", "reviewer", [ledger]),
        Page("list_county", "county", [ledger]),
        Page("search_name", "reviewer", [f"{ledger}?q={q}" for q in names]),
        Page("search_pinyin", "reviewer", [f"{ledger}?q={q}" for q in initials]),
        Page("search_credit_code", "reviewer", [f"{ledger}?q={code[:14]}" for _i, _n, code in picked]),
        Page("filter_stage", "reviewer", [f"{ledger}?stage=hte_candidate"]),
        Page("filter_readiness", "reviewer", [f"{ledger}?readiness=ready"]),
        Page("sort_tsme_score", "reviewer", [f"{ledger}?sort=-tsme_score"]),
        Page("deep_page", "reviewer", [deep]),
        Page("enterprise", "reviewer", [f"{ledger}{pk}/" for pk, _n, _c in picked]),
        Page("reward_queue", "reviewer", ["/rewards/?status=submitted"]),
        Page("dashboard", "reviewer", ["/assessment/"]),
        Page("county_page", "county", [], own=county_pages),
        Page("export_start", "reviewer", [f"{ledger}export/xlsx/?stage=hte"], post=True),
    ]


def deep_page(base: str, session, last: int) -> str:
    """The list's rows past the count cap: the last numbered page's "continue" link (keyset), followed
    twice more, so the page measured is well past row LIST_COUNT_CAP."""
    import html

    path = f"/ledger/?page={last}"
    for _i in range(3):
        resp = session.get(base + path, timeout=120)
        found = re.search(r'href="([^"]*[?&](?:amp;)?after=[^"]+)"', resp.text)
        if resp.status_code != 200 or not found:
            raise Refused(f"no 'continue' link past the count cap on {path} (HTTP {resp.status_code})")
        link = html.unescape(found.group(1))
        path = link if link.startswith("/") else "/ledger/" + link
    return path


# --- the run -----------------------------------------------------------------------------------------


def start_gunicorn(env: dict, port: int, log: Path):
    """gunicorn with the production image's config (gunicorn.conf.py) on loopback, its own session (so
    Ctrl-C reaches this script, which then stops it)."""
    env = dict(env, WEB_BIND=f"127.0.0.1:{port}", WEB_LOG_LEVEL="warning")
    command = [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py",
               "--access-logfile", "/dev/null", "anyang_hte.wsgi:application"]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)


def settle(base: str, session) -> None:
    """Wait until the portal answers the floor promptly again: requests of the previous page that its
    clients gave up on (a timeout) may still hold the workers, and would be charged to the next floor.
    Bounded by gunicorn's own timeout, after which it kills such a worker."""
    import requests

    deadline = time.monotonic() + REQUEST_TIMEOUT + 15
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with contextlib.suppress(requests.RequestException):
            session.get(base + FLOOR_PATH, timeout=REQUEST_TIMEOUT)
            if time.perf_counter() - started < 1:
                return


def measure(base: str, sessions: dict, pages: list[Page], seconds: float) -> bool:
    ok = True
    for page in pages:
        clients = sessions[page.role]
        settle(base, clients[0])
        floor = drive(base, clients, [FLOOR_PATH], seconds)
        got = drive(base, clients, page.own or page.paths, seconds, post=page.post)
        floor_p95 = percentile(floor.times, 95)
        p50, p95 = percentile(got.times, 50), percentile(got.times, 95)
        print(
            f"page {page.name} p50_ms {p50:.0f} p95_ms {p95:.0f} floor_p95_ms {floor_p95:.1f} "
            f"ratio {p95 / floor_p95:.1f}",
            flush=True,
        )
        for problem, count in (floor.problems + got.problems).most_common(5):
            print(f"  error x{count} {problem}", flush=True)
            ok = False
    return ok


def main() -> int:
    started = time.monotonic()
    try:
        url = bench_database_url()
        enterprises = _int("BENCH_ENTERPRISES", 1_000_000)
        seconds = _seconds("BENCH_SECONDS", 15)
        clients = _int("BENCH_CLIENTS", 8)
        redis_url = os.environ.get("BENCH_REDIS_URL", "") or "redis://127.0.0.1:6379/13"
        _django(url)
        have = enterprise_count(url)
        if os.environ.get("BENCH_RELOAD") == "1" or have < enterprises:
            load(url, enterprises, clients)
        else:
            print(f"bench-pages: the database holds {have} enterprises already (BENCH_RELOAD=1 reloads)")
        roll_up()
    except Refused as refusal:
        print(f"bench-pages: refused: {refusal}", file=sys.stderr)
        return 2

    import redis

    queue = redis.Redis.from_url(redis_url)
    queue.flushdb()  # the bench's own Redis database: no cache or export job of an earlier run
    env = production_env(url, workers=2, threads=int(os.environ.get("WEB_THREADS", "2")))
    env.update(
        DJANGO_SETTINGS_MODULE="anyang_hte.settings.bench",
        REDIS_URL=redis_url,
        WEB_MAX_REQUESTS="0",  # no worker restart in the middle of a measurement
        PORTAL_PLAIN_HTTP_REASON="make bench-pages: gunicorn on 127.0.0.1 only",
    )
    collect_static(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.gettempdir()) / f"anyang-bench-pages-gunicorn-{port}.log"
    gunicorn = None
    try:
        gunicorn = start_gunicorn(env, port, log)
        wait_ready(gunicorn, base, log)
        sessions = {
            "reviewer": [log_in(base, account_name(REVIEWER_PREFIX, n)) for n in range(1, clients + 1)],
            "county": [log_in(base, account_name(COUNTY_PREFIX, n)) for n in range(1, clients + 1)],
        }
        pages = pages_to_measure(base, sessions)
        print(
            f"bench-pages: gunicorn at {base} (gunicorn.conf.py, 2 workers × {env['WEB_THREADS']} threads, "
            f"production settings + the floor), {clients} clients, {seconds:.0f}s per page and per floor, "
            f"log {log}",
            flush=True,
        )
        ok = measure(base, sessions, pages, seconds)
        if not ok:
            print(f"bench-pages: errors; gunicorn's log ends with:\n{_tail(log)}", flush=True)
        return 0 if ok else 1
    except Refused as refusal:
        print(f"bench-pages: refused: {refusal}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench-pages: interrupted", file=sys.stderr)
        return 130
    finally:
        stop(gunicorn)
        with contextlib.suppress(Exception):
            queue.flushdb()
        print(f"bench-pages: total {time.monotonic() - started:.0f}s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
