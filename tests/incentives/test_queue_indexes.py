"""The reviewers' queue (rewards submitted, the longest waiting first) at any number of rewards: on
PostgreSQL its page is a walk of the ``reward_queue_order_amount`` index (no sort of the queue) and its
合计 (count and amount) an index-only scan of it, never a read of the reward table."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incentives.models import Reward
from tests.incentives.factories import RewardFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's; SQLite's differ"
)


@pytest.fixture
def queue(db, county_official):
    now = timezone.now()
    waiting = []
    for i in range(12):
        status = [Reward.Status.SUBMITTED, Reward.Status.GENERATED, Reward.Status.APPROVED][i % 3]
        reward = RewardFactory(status=status)
        if status != Reward.Status.GENERATED:
            Reward.objects.filter(pk=reward.pk).update(
                submitted_by=county_official, submitted_at=now - timezone.timedelta(days=30 - i)
            )
        if status == Reward.Status.SUBMITTED:
            waiting.append(reward)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE incentives_reward")
    return waiting


def test_the_queue_lists_the_longest_waiting_first_with_its_totals(client, reviewer, queue):
    client.force_login(reviewer)
    page = client.get("/rewards/", {"status": "submitted"})
    assert page.status_code == 200
    shown = [r.pk for r in page.context["table"].page.object_list.data]
    assert shown == [r.pk for r in queue]  # submitted earliest first
    assert page.context["totals"] == {"n": len(queue), "amount": sum(r.amount for r in queue)}


def _plans(client, reviewer, *, without=()) -> dict[str, str]:
    """The plans of the queue page's own queries on the reward table, as the view runs them, with
    sequential and bitmap scans and sorts switched off (the test table is tiny: any plan would do), so a
    sort or a table scan left in a plan is one that no index can spare."""
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/rewards/", {"status": "submitted"}).status_code == 200
    plans = {}
    for query in captured.captured_queries:
        sql = query["sql"]
        if 'FROM "incentives_reward"' not in sql or "'submitted'" not in sql:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            for index in without:  # dropped inside the transaction, which is rolled back
                cursor.execute(f"DROP INDEX {index}")
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_incremental_sort"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute("EXPLAIN " + sql)
            plans[sql] = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)  # the settings and the dropped indexes end with the savepoint
    return plans


@postgresql_only
def test_the_queue_page_walks_its_index_without_sorting(client, reviewer, queue):
    plans = _plans(client, reviewer)
    page = [plan for sql, plan in plans.items() if '"incentives_reward"."submitted_at" ASC' in sql]
    assert page, plans
    for plan in page:
        assert "reward_queue_order_amount" in plan, plan
        assert "Seq Scan on incentives_reward" not in plan, plan
        assert "Sort Key: incentives_reward" not in plan, plan  # (a returned reward's last decision
        # is found per row by a sort of its own few decisions)


@postgresql_only
def test_the_queue_totals_are_an_index_only_scan(client, reviewer, queue):
    # on a tiny test table every index that starts with the status costs about the same, so the overdue
    # counts' (which do not carry the amount) are set aside: the plan shows the covering one is used
    overdue = ("reward_status_created", "reward_status_juris_created", "reward_status_juris_approved")
    plans = _plans(client, reviewer, without=overdue)
    totals = [plan for sql, plan in plans.items() if 'SUM("incentives_reward"."amount")' in sql]
    assert totals, plans
    for plan in totals:  # the queue's index, or the status-county index that carries the amount too (a
        # tiny test table makes them cost the same; at a million rewards the planner takes the queue's)
        assert re.search(r"Index Only Scan using reward_(queue_order_amount|status_juris_submitted)", plan), (
            plan
        )


def _rows(html: str) -> list[str]:
    import re

    body = html.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r">\s+<", "><", re.sub(r"\s+", " ", row)).replace("<td >", "<td>").strip() for row in
            re.findall(r"<tr.*?</tr>", body, flags=re.S)]  # fmt: skip


@pytest.mark.parametrize("params", [{"status": "submitted"}, {}])
@pytest.mark.parametrize("who", ["reviewer", "county_official"])
def test_the_reward_rows_are_the_cells_django_tables2_renders(request, queue, who, params):
    """Tick boxes, links, dates, amounts, status badges, waiting days and deadlines come out of
    ``body_rows`` exactly as django-tables2's bootstrap5 template renders the same columns."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.template.loader import get_template
    from django.test import RequestFactory

    from incentives.views import reward_table_for

    def rendered(template: str | None) -> list[str]:
        req = RequestFactory().get("/rewards/", params)
        req.user, req.session = request.getfixturevalue(who), {}
        req._messages = FallbackStorage(req)
        _flt, table, _queue = reward_table_for(req)  # each its own: the row counter is the table's
        return _rows(get_template(template or table.template_name).render({"table": table, "request": req}))

    ours, theirs = rendered(None), rendered("django_tables2/bootstrap5.html")
    assert ours == theirs
    assert len(ours) == (len(queue) if params else Reward.objects.count())
    assert all("badge text-bg-warning" in row for row in ours if "待审核" in row)


@postgresql_only
def test_the_overdue_counts_are_capped_index_scans_per_county(reviewer, queue):
    """The dashboard's 超期事项 counts (live, so that an item handled drops at once): per reward status one
    query, in it per county a count that stops at the cap (a LIMIT), found through an index on the county
    (no read of the whole table, no cast of the time to a date, no OR of the statuses). Which index wins
    on a tiny test table is a tie; at a million rewards it is the (status, county, clock) one."""
    from assessment import deadlines as overdue

    with CaptureQueriesContext(connection) as captured:
        overdue.overdue_table(reviewer)
    counts = [q["sql"] for q in captured.captured_queries if 'FROM "incentives_reward"' in q["sql"]]
    assert len(counts) == 4, counts  # generated, returned, submitted, approved
    for sql in counts:
        assert "::date" not in sql and " OR " not in sql, sql
        assert f"LIMIT {overdue.OVERDUE_COUNT_CAP + 1}" in sql, sql
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in ("enable_seqscan", "enable_bitmapscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan on incentives_reward" not in plan, plan
        assert re.search(r"Index Cond: \(.*jurisdiction_id = core_jurisdiction\.id", plan), plan
        assert "Limit" in plan, plan  # the count stops at the cap
