"""The four watch lists on a hand-made fixture, their pages and exports, and the weekly reminder."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.models import Notification
from anyang_hte.core.roles import Role, SystemActor
from applications.models import ApplicationRound, RoundEntry
from assessment import watchlists as wl
from tests.factories import (
    EnterpriseFactory,
    FiguresFactory,
    MilestoneFactory,
    QualificationFactory,
    UserFactory,
    jurisdiction,
)

pytestmark = [pytest.mark.django_db]

TODAY = datetime.date(2026, 3, 15)
D = datetime.timedelta


def three_years(granted_on):
    return granted_on.replace(year=granted_on.year + 3) - D(days=1)


def hte(enterprise, granted_on, **kw):
    return QualificationFactory(
        enterprise=enterprise, kind="hte", granted_on=granted_on, expires_on=three_years(granted_on), **kw
    )


def expiring_in(days, kind="hte", enterprise=None, **kw):
    """A qualification of ``kind`` that expires ``days`` after TODAY (granted three years before)."""
    expires = TODAY + D(days=days)
    granted = (expires + D(days=1)).replace(year=expires.year - 3)
    return QualificationFactory(
        enterprise=enterprise or EnterpriseFactory(), kind=kind, granted_on=granted, expires_on=expires, **kw
    )


@pytest.fixture
def fixture():
    """Enterprises named for what they test; wf = 文峰区, lz = 林州市."""
    wf, lz = jurisdiction("410502"), jurisdiction("410581")
    e = {}

    def ent(key, juris=wf):
        e[key] = EnterpriseFactory(name=f"企业{key}", jurisdiction=juris)
        return e[key]

    # HTE certificates
    expiring_in(60, enterprise=ent("hte_soon"))
    expiring_in(300, enterprise=ent("hte_soon_lz", lz))
    expiring_in(400, enterprise=ent("hte_later"))  # beyond 12 months
    expiring_in(90, enterprise=ent("hte_renewed"))
    hte(e["hte_renewed"], TODAY - D(days=20))  # already re-certified
    expiring_in(45, enterprise=ent("hte_revoked"), revoked_on=TODAY - D(days=5), revoke_reason="取消")
    expiring_in(-10, enterprise=ent("hte_expired"))
    # Little Giants
    expiring_in(150, kind="little_giant", enterprise=ent("lg_soon"))
    expiring_in(330, kind="lg_cultivation", enterprise=ent("lgc_soon"))
    expiring_in(420, kind="little_giant", enterprise=ent("lg_later"))
    # annual report for last year (2025)
    hte(ent("report_missing"), datetime.date(2024, 10, 28))
    hte(ent("report_missing_lz", lz), datetime.date(2023, 12, 12))
    hte(ent("report_filed"), datetime.date(2024, 10, 28))
    FiguresFactory(enterprise=e["report_filed"], year=2025)
    hte(ent("report_old_year_only"), datetime.date(2024, 10, 28))
    FiguresFactory(enterprise=e["report_old_year_only"], year=2024)
    hte(ent("hte_this_year"), datetime.date(2026, 1, 20))  # no report due yet
    hte(ent("hte_lapsed"), datetime.date(2022, 10, 28))  # expired 2025-10-27
    ent("no_hte")
    # milestones
    e["m_overdue"] = MilestoneFactory(enterprise=ent("m1"), title="逾期节点", due_on=TODAY - D(days=1))
    e["m_overdue_lz"] = MilestoneFactory(
        enterprise=ent("m1_lz", lz), title="林州逾期", due_on=TODAY - D(days=40)
    )
    MilestoneFactory(enterprise=e["m1"], title="已完成", due_on=TODAY - D(days=3), done_on=TODAY - D(days=4))
    MilestoneFactory(enterprise=e["m1"], title="未到期", due_on=TODAY)
    # planned to apply this year: the stored verdict (符合 True, 不符合 False, 待补充 None)
    for key, ready, planned, juris in (
        ("plan_missing", None, 2026, wf),
        ("plan_fail", False, 2026, wf),
        ("plan_ready", True, 2026, wf),
        ("plan_next", False, 2027, wf),
        ("plan_fail_lz", False, 2026, lz),
    ):
        e[key] = EnterpriseFactory(
            name=f"企业{key}", jurisdiction=juris, planned_year=planned, hte_ready=ready
        )
    # the open application round: 符合 firms with no entry in it are "ready but not applying"
    current = ApplicationRound.objects.create(
        year=2026,
        intention_deadline=datetime.date(2026, 5, 31),
        recommendation_deadline=datetime.date(2026, 6, 30),
        review_deadline=datetime.date(2026, 7, 31),
        opened_at=timezone.now(),
    )
    e["ready_idle_lz"] = EnterpriseFactory(name="企业ready_idle_lz", jurisdiction=lz, hte_ready=True)
    for key, status in (("ready_applying", "intention"), ("ready_withdrawn", "withdrawn")):
        e[key] = EnterpriseFactory(name=f"企业{key}", jurisdiction=wf, hte_ready=True)
        RoundEntry.objects.create(round=current, enterprise=e[key], status=status, declared_at=timezone.now())
    return e


def names(qs):
    return sorted((row.name if hasattr(row, "credit_code") else row.enterprise.name) for row in qs)


def test_each_list_has_exactly_its_members(fixture):
    assert names(wl.hte_expiring(TODAY)) == ["企业hte_soon", "企业hte_soon_lz", "企业report_missing_lz"]
    assert names(wl.lg_expiring(TODAY)) == ["企业lg_soon", "企业lgc_soon"]
    assert [m.title for m in wl.milestones_overdue(TODAY)] == ["林州逾期", "逾期节点"]
    open_rows = list(wl.readiness_open(TODAY))
    assert names(open_rows) == ["企业plan_fail", "企业plan_fail_lz", "企业plan_missing"]
    cells = {row.name: wl.row_cells(wl.READINESS_OPEN, row, TODAY) for row in open_rows}
    assert cells["企业plan_fail"][3:5] == [2026, "不符合"] and cells["企业plan_missing"][4] == "待补充"
    idle = list(wl.ready_not_applying(TODAY))
    # 符合 and no entry in the open round (a withdrawn entry is none); the one applying is not listed
    assert names(idle) == ["企业plan_ready", "企业ready_idle_lz", "企业ready_withdrawn"]
    assert wl.row_cells(wl.READY_NOT_APPLYING, idle[0], TODAY)[3] == "2026年高企申报"


def test_ready_but_not_applying_is_empty_without_an_open_round(fixture):
    ApplicationRound.objects.update(status="closed")
    assert not wl.ready_not_applying(TODAY).exists()


def test_report_missing_is_valid_htes_from_before_last_year_end_without_last_years_figures(fixture):
    members = set(names(wl.report_missing(TODAY)))
    # holders of a valid certificate granted by 2025-12-31 without 2025 figures
    assert members == {
        "企业hte_soon",
        "企业hte_soon_lz",
        "企业hte_later",
        "企业hte_renewed",
        "企业report_missing",
        "企业report_missing_lz",
        "企业report_old_year_only",
    }


def test_report_missing_lz_certificate_expires_within_the_year(fixture):
    # 2023-12-12 + 3 years - 1 day = 2026-12-11: inside the 12-month window, so it is on the HTE list too.
    assert fixture["report_missing_lz"].qualifications.get().expires_on == datetime.date(2026, 12, 11)


def test_lists_are_scoped_to_the_county(fixture, county_official, reviewer):
    for code in wl.WATCHLISTS:
        mine = wl.watchlist_queryset(code, user=county_official, today=TODAY)
        everyone = wl.watchlist_queryset(code, user=reviewer, today=TODAY)
        field = wl.WATCHLISTS[code].jurisdiction_field
        assert set(mine.values_list(f"{field}__code", flat=True)) == {"410502"}
        assert mine.count() <= everyone.count()
        if code != wl.LG_EXPIRING:
            assert "410581" in set(everyone.values_list(f"{field}__code", flat=True))
    lz = jurisdiction("410581")
    only_lz = wl.watchlist_queryset(wl.HTE_EXPIRING, user=reviewer, today=TODAY, jurisdiction=lz)
    assert names(only_lz) == ["企业hte_soon_lz", "企业report_missing_lz"]


def test_counts_by_jurisdiction(fixture):
    counts = wl.counts_by_jurisdiction(today=TODAY, user=SystemActor("test"))
    wf, lz = jurisdiction("410502").pk, jurisdiction("410581").pk
    assert counts[wf] == {
        "hte_expiring": 1,
        "lg_expiring": 2,
        "report_missing": 5,
        "milestones_overdue": 1,
        "readiness_open": 2,
        "ready_not_applying": 2,
    }
    assert counts[lz] == {
        "hte_expiring": 2,
        "lg_expiring": 0,
        "report_missing": 2,
        "milestones_overdue": 1,
        "readiness_open": 1,
        "ready_not_applying": 1,
    }
    assert set(counts) == {wf, lz}


# --- the weekly reminder -------------------------------------------------------------------------


def test_weekly_task_tells_each_county_with_something_once(fixture, django_capture_on_commit_callbacks):
    from assessment.tasks import watchlists_notify

    wf_a = UserFactory(username="wf_a", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    wf_b = UserFactory(username="wf_b", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    lz = UserFactory(username="lz_a", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410581"))
    quiet = UserFactory(username="bg_a", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410503"))
    UserFactory(username="wf_fin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction("410502"))
    UserFactory(username="rev", role=Role.TECH_REVIEWER, jurisdiction=None)

    with django_capture_on_commit_callbacks(execute=True):
        told = watchlists_notify.delay(TODAY.isoformat()).get()
    assert told == 2
    by_user = {n.user_id: n for n in Notification.objects.all()}
    assert set(by_user) == {wf_a.pk, wf_b.pk, lz.pk}
    assert quiet.pk not in by_user
    wf_note = by_user[wf_a.pk]
    assert wf_note.title.startswith("文峰区")
    assert "高企证书到期 1" in wf_note.title and "年报未报 5" in wf_note.title
    assert "帮扶节点逾期：1 条" in wf_note.body and "高企证书12个月内到期：1 条" in wf_note.body
    assert wf_note.url == reverse("assessment:watchlists")
    assert "小巨人到期" not in by_user[lz.pk].title  # an empty list is not in the title


def test_weekly_task_is_silent_when_every_list_is_empty(db, django_capture_on_commit_callbacks):
    from assessment.tasks import watchlists_notify

    UserFactory(username="wf_a", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    EnterpriseFactory()  # nothing to watch
    with django_capture_on_commit_callbacks(execute=True):
        assert watchlists_notify.delay(TODAY.isoformat()).get() == 0
    assert Notification.objects.count() == 0


def test_weekly_task_is_in_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "assessment.tasks.watchlists_notify" in tasks


# --- pages and exports ---------------------------------------------------------------------------


@pytest.fixture
def live_fixture():
    """A small fixture relative to the real today, for the pages (which use today's date)."""
    today = timezone.localdate()
    wf, lz = jurisdiction("410502"), jurisdiction("410581")
    soon = EnterpriseFactory(name="文峰即将到期科技有限公司", jurisdiction=wf)
    expires = today + D(days=30)
    QualificationFactory(
        enterprise=soon,
        kind="hte",
        granted_on=(expires + D(days=1)).replace(year=expires.year - 3),
        expires_on=expires,
        number="GR000001",
    )
    far = EnterpriseFactory(name="林州即将到期科技有限公司", jurisdiction=lz)
    QualificationFactory(
        enterprise=far,
        kind="hte",
        granted_on=(expires + D(days=1)).replace(year=expires.year - 3),
        expires_on=expires,
        number="=GR000002",
    )
    MilestoneFactory(enterprise=soon, title="提交申报材料", due_on=today - D(days=3))
    return soon, far


def test_overview_page_counts_for_the_bureau_and_the_county(client, live_fixture, reviewer, county_official):
    client.force_login(reviewer)
    page = client.get(reverse("assessment:watchlists"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "全市合计" in html and "林州市" in html
    client.force_login(county_official)
    html = client.get(reverse("assessment:watchlists")).content.decode()
    assert "林州市" not in html and "文峰区" in html


def test_list_page_is_scoped_and_filters(client, live_fixture, reviewer, county_official):
    url = reverse("assessment:watchlist", args=["hte_expiring"])
    client.force_login(county_official)
    html = client.get(url).content.decode()
    assert "文峰即将到期科技有限公司" in html and "林州即将到期" not in html
    assert "共 1 条" in html
    assert 'name="jurisdiction"' not in html  # a county has no jurisdiction filter
    # a county cannot widen its scope through the query string
    html = client.get(url + "?jurisdiction=410581").content.decode()
    assert "林州即将到期" not in html

    client.force_login(reviewer)
    html = client.get(url).content.decode()
    assert "文峰即将到期" in html and "林州即将到期" in html and "共 2 条" in html
    html = client.get(url + "?jurisdiction=410581").content.decode()
    assert "文峰即将到期" not in html and "林州即将到期" in html
    assert client.get(reverse("assessment:watchlist", args=["nope"])).status_code == 404


def test_report_missing_page_says_what_missing_means(client, county_official):
    client.force_login(county_official)
    html = client.get(reverse("assessment:watchlist", args=["report_missing"])).content.decode()
    assert "5月31日" in html and "无上年度年度数据" in html


def test_exports_xlsx_and_csv(client, live_fixture, reviewer, county_official):
    client.force_login(reviewer)
    response = client.get(reverse("assessment:watchlist_export", args=["hte_expiring", "xlsx"]))
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert [r[2] for r in rows] == ["文峰即将到期科技有限公司", "林州即将到期科技有限公司"]
    assert rows[1][5] == "'=GR000002"  # formula injection neutralised
    assert rows[0][8] == 30  # days left

    client.force_login(county_official)
    response = client.get(reverse("assessment:watchlist_export", args=["milestones_overdue", "csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:3] == ["#", "县区", "企业名称"]
    assert lines[1][2] == "文峰即将到期科技有限公司" and lines[1][4] == "提交申报材料" and lines[1][6] == "3"
    assert len(lines) == 2
    assert client.get(reverse("assessment:watchlist_export", args=["hte_expiring", "pdf"])).status_code == 404
