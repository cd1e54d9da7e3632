"""The assessment pages read snapshots only: a year without them says it is being computed (with the
rollup's progress bar) and queues the rollup, a county official's page too; with them the figures are
shown. On PostgreSQL: rendering the dashboard and a county page issues no aggregate over the ledger."""

import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment import deadlines as overdue
from assessment import selectors
from assessment.models import RollupRun
from tests.factories import EnterpriseFactory, QualificationFactory, jurisdiction, rolled_up

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
WF = "410502"

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the SQL checked is PostgreSQL's (the portal's database at scale)",
)


@pytest.fixture
def ledger():
    """Two valid HTEs granted this year in 文峰区."""
    for name in ("快照企业甲", "快照企业乙"):
        firm = EnterpriseFactory(name=name, jurisdiction=jurisdiction(WF), planned_year=YEAR, hte_ready=True)
        QualificationFactory(
            enterprise=firm,
            kind="hte",
            granted_on=timezone.localdate().replace(month=1, day=1),
            expires_on=timezone.localdate().replace(year=YEAR + 3),
        )


def test_a_year_without_snapshots_is_computing_never_live(client, reviewer, ledger):
    client.force_login(reviewer)
    page = client.get(reverse("assessment:dashboard"), {"year": YEAR})
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="computing"' in body and "年的指标正在汇总计算" in body
    assert 'data-testid="rollup-progress"' in body and "?progress=1" in body  # the bar polls
    # a rollup queued for the year and each trend year, as the system
    years = set(RollupRun.objects.values_list("year", flat=True))
    assert set(range(YEAR - 4, YEAR + 1)) <= years
    # nothing computed live: the table shows — where the ledger has 2 new HTEs
    wf = page.context["table"][0]
    assert wf["scope"] == WF and wf["values"]["new_hte"] is None and wf["source"] == "computing"
    assert "正在汇总计算" in body
    # opening it again while they run queues nothing more
    client.get(reverse("assessment:dashboard"), {"year": YEAR})
    assert RollupRun.objects.count() == len(years)


def test_a_county_official_gets_computing_and_the_progress_bar_too(client, county_official, ledger):
    client.force_login(county_official)
    page = client.get(reverse("assessment:jurisdiction", args=[WF]), {"year": YEAR})
    body = page.content.decode()
    assert page.status_code == 200 and "正在汇总计算" in body
    run = RollupRun.objects.get(year=YEAR)
    assert run.requested_by == county_official  # who asked; the audit's actor is the system
    progress = client.get(
        reverse("assessment:rollup_status", args=[run.pk]), {"progress": "1"}, HTTP_HX_REQUEST="true"
    )
    assert progress.status_code == 200 and 'data-testid="rollup-progress"' in progress.content.decode()
    RollupRun.objects.filter(pk=run.pk).update(status=RollupRun.Status.DONE)
    done = client.get(
        reverse("assessment:rollup_status", args=[run.pk]), {"progress": "1"}, HTTP_HX_REQUEST="true"
    )
    assert done["HX-Refresh"] == "true"  # the page reloads with its numbers
    # the manager's status panel stays city-wide
    assert client.get(reverse("assessment:rollup_status", args=[run.pk])).status_code == 403


def test_with_snapshots_the_figures_are_shown(client, reviewer, county_official, ledger):
    rolled_up(*range(YEAR - 4, YEAR + 1))
    client.force_login(county_official)
    page = client.get(reverse("assessment:jurisdiction", args=[WF]), {"year": YEAR})
    body = page.content.decode()
    assert 'data-testid="computing"' not in body and "汇总快照" in body
    assert page.context["row"]["values"]["new_hte"] == 2
    client.force_login(reviewer)
    page = client.get(reverse("assessment:drilldown", args=[WF, "new_hte"]), {"year": YEAR})
    assert page.context["value"] == 2 and 'data-testid="computing"' not in page.content.decode()
    assert not RollupRun.objects.filter(year__gte=YEAR - 4).exists()


# --- PostgreSQL: no aggregate over the ledger ---------------------------------------------------

AGGREGATE = re.compile(
    r"\b(COUNT|SUM|AVG|MIN|MAX|ARRAY_AGG|STRING_AGG|BOOL_OR|BOOL_AND)\s*\(|\bGROUP BY\b", re.I
)


def ledger_tables() -> set[str]:
    """The tables that grow with the ledger: every table of the enterprises app, the rewards, their
    funding lines and payments, and the application round's entries."""
    tables = {m._meta.db_table for m in apps.get_app_config("enterprises").get_models()}
    tables |= {m._meta.db_table for m in apps.get_app_config("incentives").get_models()}
    tables.add(apps.get_model("applications", "RoundEntry")._meta.db_table)
    return tables


def ledger_aggregates(queries) -> list[str]:
    tables = ledger_tables()
    return [
        q["sql"]
        for q in queries
        if AGGREGATE.search(q["sql"]) and any(f'"{table}"' in q["sql"] for table in tables)
    ]


def overdue_queue_counts(user) -> set[str]:
    """The 超期事项 counts, which the dashboard shows live on purpose: they count the open queues (items
    waiting for a step past its time limit), not the ledger, and a clerk who handles one sees it go."""
    with CaptureQueriesContext(connection) as captured:
        overdue.overdue_table(user)
    return set(ledger_aggregates(captured.captured_queries))


@postgresql_only
def test_the_dashboard_and_a_county_page_issue_no_aggregate_over_the_ledger(
    client, reviewer, county_official, ledger
):
    rolled_up(*range(YEAR - 4, YEAR + 1), 2018, 2019, 2020, 2021)  # the year, the trend, the plan's years
    for user, url in (
        (reviewer, reverse("assessment:dashboard") + f"?year={YEAR}"),
        (county_official, reverse("assessment:jurisdiction", args=[WF]) + f"?year={YEAR}"),
        (reviewer, reverse("assessment:bulletin") + f"?year={YEAR}"),
    ):
        client.force_login(user)
        allowed = overdue_queue_counts(user)
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        found = [sql for sql in ledger_aggregates(captured.captured_queries) if sql not in allowed]
        assert found == [], url
        assert page.status_code == 200 and "正在汇总计算" not in page.content.decode()
        assert not RollupRun.objects.exists()  # every year shown was rolled up: nothing queued


@postgresql_only
def test_the_check_fails_on_a_live_computation(client, reviewer, ledger):
    """The check above is meaningful: the live table (what the pages used to compute for a year without
    snapshots) is caught by it."""
    with CaptureQueriesContext(connection) as captured:
        selectors.live_table(YEAR)
    assert len(ledger_aggregates(captured.captured_queries)) >= 10
    with CaptureQueriesContext(connection) as captured:
        selectors.readiness_counts(YEAR, [jurisdiction(WF).pk])
    assert ledger_aggregates(captured.captured_queries)
